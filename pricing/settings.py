"""Process settings: where the database and the configuration live.

Built once at the edge (the CLI callback, the daemon, a test) and passed in; nothing
reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/pricing.db"


class Settings(BaseSettings):
    """``PRICING_DATABASE_URL`` and ``PRICING_CONFIG_DIR``, overridable by CLI flags;
    ``PRICING_CHROMIUM_PATH`` and ``PRICING_CHROMIUM_ARGS`` for JavaScript storefronts;
    ``PRICING_LOG_FORMAT`` (``--log-format``) for the commands that log."""

    model_config = SettingsConfigDict(env_prefix="PRICING_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    config_dir: Path = Path("config")
    debug: bool = False
    # the browser for JavaScript storefronts (scrapy-playwright), and extra launch flags
    # (shell words, appended to the sandbox-friendly defaults in crawlers/spiders)
    chromium_path: Path = Path("/usr/bin/chromium")
    chromium_args: str = ""
    # log lines of the daemon, crawls and the nightly run: text, or json (pricing/logs.py)
    log_format: str = "text"

    def with_overrides(self, *, db: str | None = None, config: Path | None = None) -> Settings:
        changes: dict[str, object] = {}
        if db:
            changes["database_url"] = db
        if config:
            changes["config_dir"] = config
        return self.model_copy(update=changes)
