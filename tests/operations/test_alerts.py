"""Alerts through real transports: a webhook receiver (http.server) and an SMTP sink
(a small stdlib socket server), both on loopback; competitor price moves.

The receivers are :mod:`tests.support.alerts` (the daemon tests use them too).
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from pricing.errors import ConfigError
from pricing.observations import ObservationIn, store_observations
from pricing.storage import Database
from pricing.storage.models import AlertEvent, CrawlRun, Listing, Match
from scheduler.alerts import (
    AlertsConfig,
    EmailConfig,
    Notifier,
    WebhookConfig,
    build_message,
    load_alerts,
    record_event,
)
from scheduler.price_moves import find_moves
from tests.support import CONFIG_DIR
from tests.support.alerts import SmtpSink, WebhookReceiver


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookReceiver, SmtpSink]]:
    with WebhookReceiver() as hook, SmtpSink() as smtp:
        yield hook, smtp


def _config(hook: WebhookReceiver, smtp: SmtpSink, **limits: float) -> AlertsConfig:
    return AlertsConfig(
        webhook=WebhookConfig(url=hook.url),
        email=EmailConfig.model_validate(
            {
                "host": "127.0.0.1",
                "port": smtp.port,
                "from": "daemon@example.com",
                "to": ["ops@example.com"],
            }
        ),
        **limits,
    )


def _record_at(db: Database, clock: Clock, kind: str, target: str, summary: str) -> None:
    record_event(db, kind, target, summary)
    with db.session() as session:  # stamp the event with the test clock
        event = session.scalars(select(AlertEvent).order_by(AlertEvent.id.desc())).first()
        assert event is not None
        event.created_at = clock()


def test_a_bad_night_sends_one_message_per_channel(
    sqlite_db: Database, receivers: tuple[WebhookReceiver, SmtpSink]
) -> None:
    hook, smtp = receivers
    clock = Clock()
    notifier = Notifier(
        sqlite_db,
        _config(hook, smtp, group_wait_seconds=300, min_interval_minutes=360),
        clock=clock,
    )
    for i in range(120):
        _record_at(sqlite_db, clock, "crawl_failed", "partsdepot", f"HTTP 503 on attempt {i}")
        clock.advance(seconds=1)
    _record_at(sqlite_db, clock, "crawl_suspect", "gearhub", "found 3 items where about 190")
    _record_at(sqlite_db, clock, "nightly_failed", "nightly", "exited with code 1")

    assert notifier.flush() is None, "the first message waits group_wait for the burst"
    clock.advance(minutes=5)
    message = notifier.flush()
    assert message is not None
    assert notifier.flush() is None, "nothing left to send"

    assert len(hook.bodies) == 1 and len(smtp.messages) == 1
    body = hook.bodies[0]
    assert body["subject"] == message.subject == smtp.messages[0]["Subject"]
    assert "122 problems" in body["subject"]
    events = {(e["kind"], e["target"]): e for e in body["events"]}
    assert events[("crawl_failed", "partsdepot")]["count"] == 120
    assert events[("crawl_failed", "partsdepot")]["summary"] == "HTTP 503 on attempt 119"
    assert set(events) == {
        ("crawl_failed", "partsdepot"),
        ("crawl_suspect", "gearhub"),
        ("nightly_failed", "nightly"),
    }
    text = smtp.messages[0].get_content()  # type: ignore[attr-defined]
    assert "partsdepot crawl failed (120 times" in text and "gearhub crawl suspect" in text
    assert "nightly run failed (at " in text
    assert smtp.messages[0]["To"] == "ops@example.com"
    with sqlite_db.session() as session:
        assert all(
            e.sent_at is not None and "webhook: sent" in (e.delivery or "")
            for e in session.scalars(select(AlertEvent))
        )


def test_events_after_a_message_wait_for_the_minimum_interval(
    sqlite_db: Database, receivers: tuple[WebhookReceiver, SmtpSink]
) -> None:
    hook, smtp = receivers
    clock = Clock()
    notifier = Notifier(
        sqlite_db, _config(hook, smtp, group_wait_seconds=0, min_interval_minutes=60), clock=clock
    )
    _record_at(sqlite_db, clock, "crawl_failed", "partsdepot", "first")
    assert notifier.flush() is not None
    for step in (1, 19, 39):  # 1, 20 and 59 minutes after the first message
        clock.advance(minutes=step)
        _record_at(sqlite_db, clock, "crawl_failed", "gearhub", "still failing")
        assert notifier.flush() is None
    clock.advance(minutes=2)
    later = notifier.flush()
    assert later is not None and "3 problems" in later.subject
    assert len(hook.bodies) == len(smtp.messages) == 2


def test_a_failed_channel_keeps_events_pending_and_retries(
    sqlite_db: Database, receivers: tuple[WebhookReceiver, SmtpSink]
) -> None:
    hook, _smtp = receivers
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    clock = Clock()
    config = AlertsConfig(
        webhook=WebhookConfig(url=dead_url, timeout_seconds=2),
        group_wait_seconds=0,
        retry_seconds=120,
    )
    notifier = Notifier(sqlite_db, config, clock=clock)
    _record_at(sqlite_db, clock, "nightly_failed", "nightly", "exited with code 1")
    assert notifier.flush() is None
    clock.advance(seconds=60)
    assert notifier.flush() is None, "no retry before retry_seconds"
    with sqlite_db.session() as session:
        assert session.scalars(select(AlertEvent.sent_at)).all() == [None]
    notifier.channels = Notifier(sqlite_db, _config(hook, _smtp)).channels[:1]
    clock.advance(seconds=61)
    assert notifier.flush() is not None
    assert len(hook.bodies) == 1


def test_without_alerts_yaml_there_are_no_channels(tmp_path: Path) -> None:
    config = load_alerts(tmp_path)
    assert config.webhook is None and config.email is None


def test_the_example_alerts_yaml_is_valid() -> None:
    config = load_alerts(CONFIG_DIR)
    assert config.min_interval_minutes > 0


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('webhook: {url: "http://x/h", urll: 1}', "webhook.urll: unknown key"),
        ("webhook: {url: ftp://x}", "webhook.url"),
        ("email: {host: h, from: a@b, to: []}", "email.to"),
        ("group_wait_seconds: soon", "group_wait_seconds"),
    ],
)
def test_bad_alerts_yaml_names_file_and_key(tmp_path: Path, content: str, where: str) -> None:
    (tmp_path / "alerts.yaml").write_text(content)
    with pytest.raises(ConfigError) as err:
        load_alerts(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'alerts.yaml'}: {where}")


# --- competitor price moves -------------------------------------------------------------


def _crawl(db: Database, status: str, prices: dict[str, str], at: dt.datetime) -> int:
    """A crawl run of ``shopa`` with one observation per URL."""
    with db.session() as session:
        run = CrawlRun(competitor="shopa", status=status, started_at=at, finished_at=at)
        session.add(run)
        session.flush()
        observations = [
            ObservationIn(
                competitor="shopa",
                url=url,
                title=url,
                observed_at=at,
                price=Decimal(price),
                currency="USD",
            )
            for url, price in prices.items()
        ]
        store_observations(session, observations, crawl_run_id=run.id)
        return run.id


def test_price_moves_beyond_the_threshold_on_watched_skus(db: Database) -> None:
    t0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
    urls = {"a": "https://a.example/1", "b": "https://a.example/2", "c": "https://a.example/3"}
    _crawl(db, "succeeded", {urls["a"]: "10.00", urls["b"]: "20.00", urls["c"]: "5.00"}, t0)
    with db.session() as session:
        for key, sku in (("a", "NL-1"), ("b", "NL-2"), ("c", "NL-3")):
            listing = session.scalar(select(Listing).where(Listing.url == urls[key]))
            assert listing is not None
            session.add(Match(listing_id=listing.id, sku=sku, method="xref", confidence=1.0,
                              status="auto"))  # fmt: skip
    # a failed run in between is no baseline; a suspect run is never looked at
    failed = _crawl(db, "failed", {urls["a"]: "99.00"}, t0 + dt.timedelta(hours=1))
    suspect = _crawl(db, "suspect", {urls["a"]: "1.00"}, t0 + dt.timedelta(hours=2))
    later = t0 + dt.timedelta(days=1)
    run = _crawl(
        db, "succeeded", {urls["a"]: "11.00", urls["b"]: "20.50", urls["c"]: "4.00"}, later
    )
    with db.session() as session:
        moves = find_moves(session, [run, failed, suspect], ["NL-1", "NL-2"], 0.05)
    assert [(m.sku, m.old_price, m.new_price) for m in moves] == [
        ("NL-1", Decimal("10.00"), Decimal("11.00"))
    ]  # NL-2 moved 2.5 %, NL-3 is not watched
    assert moves[0].summary().startswith("shopa: 10.00 USD -> 11.00 USD per unit (+10.0%)")
    message = build_message([AlertEvent(kind="price_move", target="NL-1", summary="x",
                                        created_at=later)])  # fmt: skip
    assert message.subject == "[pricing] 1 alert: NL-1 competitor price moved"


def test_price_moves_config_is_checked(tmp_path: Path) -> None:
    (tmp_path / "alerts.yaml").write_text("price_moves: {threshold: 0.1, skus: []}")
    with pytest.raises(ConfigError, match="price_moves.skus"):
        load_alerts(tmp_path)
    (tmp_path / "alerts.yaml").write_text("price_moves: {threshold: 0.1, skus: [NL-1]}")
    assert load_alerts(tmp_path).price_moves.skus == ["NL-1"]  # type: ignore[union-attr]
