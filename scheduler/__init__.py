"""The scheduler daemon (APScheduler 3.x): crawls and the nightly pipeline, unattended."""
