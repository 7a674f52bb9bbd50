"""The notifier: sends pending alert events, rate-limited."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from pricing.storage import Database
from pricing.storage.models import utcnow
from scheduler.alerts.channels import Channel, channels_for
from scheduler.alerts.config import AlertsConfig
from scheduler.alerts.events import mark_sent, pending_events
from scheduler.alerts.message import AlertMessage, build_message

log = logging.getLogger(__name__)

__all__ = ["Notifier", "build_message"]


class Notifier:
    """Sends pending alert events, rate-limited (see :mod:`scheduler.alerts`)."""

    def __init__(
        self,
        db: Database,
        config: AlertsConfig,
        channels: Sequence[Channel] | None = None,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.config = config
        self.channels = list(channels_for(config) if channels is None else channels)
        self.clock = clock
        self._retry_at: dt.datetime | None = None

    def flush(self, *, force: bool = False) -> AlertMessage | None:
        """Send one message for all pending events if the rate limit allows (``force``:
        ignore it); returns the message sent, or None."""
        if not self.channels:
            return None
        now = self.clock()
        if not force and self._retry_at is not None and now < self._retry_at:
            return None
        pending, last_sent = pending_events(self.db)
        if not pending:
            return None
        if not force:
            if now < pending[0].created_at + dt.timedelta(seconds=self.config.group_wait_seconds):
                return None
            gap = dt.timedelta(minutes=self.config.min_interval_minutes)
            if last_sent is not None and now < last_sent + gap:
                return None
        message = build_message(pending, self.config.subject_prefix)
        outcomes = []
        for channel in self.channels:
            try:
                channel.send(message)
                outcomes.append(f"{channel.name}: sent")
            except Exception as exc:  # any transport error: record it and carry on
                log.error("alert via %s failed: %s", channel.name, exc)
                outcomes.append(f"{channel.name}: failed: {exc}"[:500])
        if not any(o.endswith(": sent") for o in outcomes):
            self._retry_at = now + dt.timedelta(seconds=self.config.retry_seconds)
            return None
        self._retry_at = None
        mark_sent(self.db, pending, now, "; ".join(outcomes))
        log.info("alert sent (%s): %s", "; ".join(outcomes), message.subject)
        return message
