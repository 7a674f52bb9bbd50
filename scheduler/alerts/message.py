"""One alert message for many events: one line per (kind, target), with counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pricing.storage.models import AlertEvent
from scheduler.alerts.events import KIND_TEXT, PROBLEM_KINDS

MAX_GROUPS_LISTED = 20


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
