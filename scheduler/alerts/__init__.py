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

Its parts: :mod:`.config` (``alerts.yaml``), :mod:`.events` (recording events and the
store of pending ones), :mod:`.message` (one message for many events),
:mod:`.channels` (webhook, email) and :mod:`.notifier` (the rate-limited sender).
"""

from __future__ import annotations

from scheduler.alerts.channels import Channel, EmailChannel, WebhookChannel, channels_for
from scheduler.alerts.config import (
    ALERTS_FILE,
    AlertsConfig,
    EmailConfig,
    PriceMovesConfig,
    WebhookConfig,
    load_alerts,
)
from scheduler.alerts.events import KIND_TEXT, PROBLEM_KINDS, add_event, record_event
from scheduler.alerts.message import MAX_GROUPS_LISTED, AlertMessage, EventGroup, build_message
from scheduler.alerts.notifier import Notifier

__all__ = [
    "ALERTS_FILE",
    "KIND_TEXT",
    "MAX_GROUPS_LISTED",
    "PROBLEM_KINDS",
    "AlertMessage",
    "AlertsConfig",
    "Channel",
    "EmailChannel",
    "EmailConfig",
    "EventGroup",
    "Notifier",
    "PriceMovesConfig",
    "WebhookChannel",
    "WebhookConfig",
    "add_event",
    "build_message",
    "channels_for",
    "load_alerts",
    "record_event",
]
