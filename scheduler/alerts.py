"""Alerts: tell people about failed or suspect crawls, failed nightly runs and competitor
price moves on watched SKUs, rarely.

Problems are recorded as :class:`~pricing.storage.models.AlertEvent` rows the moment
they happen (so a restart loses none); the leading daemon's heartbeat calls
:meth:`Notifier.flush`, which gathers every pending event into one message and sends
it to each configured channel (a webhook, email over SMTP). Rate limit: a message
waits ``group_wait_seconds`` after the first event, so a burst becomes one message,
and at most one message goes out per ``min_interval_minutes``; events in between ride
along with the next. A bad night therefore sends one message, not hundreds.

``config/alerts.yaml`` is optional; without it (or without channels) events are only
recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any, Protocol

import requests
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pricing.config import load_config_file
from pricing.storage import Database
from pricing.storage.models import AlertEvent, utcnow

log = logging.getLogger(__name__)

ALERTS_FILE = "alerts.yaml"
MAX_GROUPS_LISTED = 20

KIND_TEXT = {
    "crawl_failed": "crawl failed",
    "crawl_suspect": "crawl suspect",
    "crawl_timed_out": "crawl stopped at its time limit",
    "nightly_failed": "nightly run failed",
    "task_interrupted": "interrupted by a daemon stop",
    "crawl_node_lost": "crawl lost with its Scrapyd node",
    "price_move": "competitor price moved",
}
PROBLEM_KINDS = frozenset(KIND_TEXT) - {"price_move"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class WebhookConfig(_Strict):
    """POST a JSON message (``subject``, ``text``, ``events``) to ``url``."""

    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: Annotated[float, Field(gt=0)] = 10.0


class EmailConfig(_Strict):
    """Send a plain-text email through an SMTP server."""

    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    security: Annotated[str, Field(pattern=r"^(none|starttls|ssl)$")] = "none"
    username: str | None = None
    password_env: str | None = None  # name of the environment variable holding it
    sender: str = Field(alias="from")
    to: Annotated[list[str], Field(min_length=1)]
    timeout_seconds: Annotated[float, Field(gt=0)] = 10.0


class PriceMovesConfig(_Strict):
    """Alert when a competitor's unit price for one of ``skus`` moves by more than
    ``threshold`` (a fraction: 0.05 is 5 %) from one trusted crawl to the next."""

    threshold: Annotated[float, Field(gt=0, lt=10)]
    skus: Annotated[list[str], Field(min_length=1)]


class AlertsConfig(_Strict):
    """``config/alerts.yaml``."""

    group_wait_seconds: Annotated[float, Field(ge=0)] = 300.0
    min_interval_minutes: Annotated[float, Field(ge=0)] = 360.0
    retry_seconds: Annotated[float, Field(gt=0)] = 300.0
    subject_prefix: str = "[pricing]"
    webhook: WebhookConfig | None = None
    email: EmailConfig | None = None
    price_moves: PriceMovesConfig | None = None


def load_alerts(config_dir: Path) -> AlertsConfig:
    """The alert settings; defaults with no channel when the file does not exist."""
    path = Path(config_dir) / ALERTS_FILE
    if not path.is_file():
        return AlertsConfig()
    return load_config_file(AlertsConfig, path)


def record_event(db: Database, kind: str, target: str, summary: str) -> None:
    """Remember a problem; the next flush tells people about it."""
    with db.session() as session:
        add_event(session, kind, target, summary)


def add_event(session: Session, kind: str, target: str, summary: str) -> None:
    """:func:`record_event` inside the caller's transaction (it commits with its work)."""
    level = logging.WARNING if kind in PROBLEM_KINDS else logging.INFO
    log.log(level, "alert: %s %s: %s", KIND_TEXT.get(kind, kind), target, summary)
    session.add(AlertEvent(kind=kind, target=target[:64], summary=summary[:4000]))


@dataclass(frozen=True)
class EventGroup:
    """Events of one kind about one target, folded into one line of a message."""

    kind: str
    target: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    last_summary: str

    @property
    def label(self) -> str:
        what = KIND_TEXT.get(self.kind, self.kind)
        return what if what.startswith(self.target) else f"{self.target} {what}"

    def line(self) -> str:
        times = f"{self.count} times, last" if self.count > 1 else "at"
        when = self.last_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"- {self.label} ({times} {when}): {self.last_summary}"

    def as_json(self) -> dict[str, str | int]:
        return {
            "kind": self.kind,
            "target": self.target,
            "count": self.count,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "summary": self.last_summary,
        }


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    text: str
    groups: list[EventGroup]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": "pricing-monitor",
            "subject": self.subject,
            "text": self.text,
            "events": [g.as_json() for g in self.groups],
        }


def build_message(events: Sequence[AlertEvent], prefix: str = "[pricing]") -> AlertMessage:
    """One message for many events: one line per (kind, target), with counts."""
    groups: dict[tuple[str, str], list[AlertEvent]] = {}
    for event in events:
        groups.setdefault((event.kind, event.target), []).append(event)
    folded = [
        EventGroup(kind, target, len(evs), evs[0].created_at, evs[-1].created_at, evs[-1].summary)
        for (kind, target), evs in groups.items()
    ]
    heads = ", ".join(g.label for g in folded[:3])
    more = f" and {len(folded) - 3} more" if len(folded) > 3 else ""
    noun = "problem" if all(e.kind in PROBLEM_KINDS for e in events) else "alert"
    noun += "" if len(events) == 1 else "s"
    subject = f"{prefix} {len(events)} {noun}: {heads}{more}".strip()
    lines = [g.line() for g in folded[:MAX_GROUPS_LISTED]]
    if len(folded) > MAX_GROUPS_LISTED:
        lines.append(f"... and {len(folded) - MAX_GROUPS_LISTED} more (see `pricing status`)")
    text = "\n".join([subject, "", *lines, "", "Details: `pricing status` and `pricing crawls`."])
    return AlertMessage(subject, text, folded)


class Channel(Protocol):
    """Somewhere a message goes. ``send`` raises on failure."""

    name: str

    def send(self, message: AlertMessage) -> None: ...


class WebhookChannel:
    name = "webhook"

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config

    def send(self, message: AlertMessage) -> None:
        response = requests.post(
            self.config.url,
            json=message.as_json(),
            headers=self.config.headers,
            timeout=self.config.timeout_seconds,
        )
        response.raise_for_status()


class EmailChannel:
    name = "email"

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    def send(self, message: AlertMessage) -> None:
        cfg = self.config
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.subject, cfg.sender, ", ".join(cfg.to)
        mail.set_content(message.text)
        smtp: smtplib.SMTP
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                cfg.host,
                cfg.port,
                timeout=cfg.timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        with smtp:
            if cfg.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, os.environ.get(cfg.password_env or "", ""))
            smtp.send_message(mail)


def channels_for(config: AlertsConfig) -> list[Channel]:
    found: list[Channel] = []
    if config.webhook is not None:
        found.append(WebhookChannel(config.webhook))
    if config.email is not None:
        found.append(EmailChannel(config.email))
    return found


class Notifier:
    """Sends pending alert events, rate-limited (see the module docstring)."""

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
        with self.db.session() as session:
            pending = list(
                session.scalars(
                    select(AlertEvent).where(AlertEvent.sent_at.is_(None)).order_by(AlertEvent.id)
                )
            )
            last_sent = session.scalar(select(func.max(AlertEvent.sent_at)))
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
        with self.db.session() as session:
            session.execute(
                update(AlertEvent)
                .where(AlertEvent.id.in_([e.id for e in pending]))
                .values(sent_at=now, delivery="; ".join(outcomes))
                .execution_options(synchronize_session=False)
            )
        log.info("alert sent (%s): %s", "; ".join(outcomes), message.subject)
        return message
