"""``/healthz`` and ``/metrics`` of the web app, on a real database (SQLite and PostgreSQL).

Both answer without a login, even where reading needs one; the metrics are parsed with
Prometheus' own text parser, so what a scraper reads is what is checked.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import AlertEvent, CrawlRun, DaemonLease, SuggestionRun, utcnow
from pricing.web.app import create_app
from pricing.web.auth import AuthConfig
from pricing.web.server import BackgroundServer
from tests.support import CONFIG_DIR, PG_ADMIN_URL

LOGIN_ALWAYS = AuthConfig(users={}, tokens={"t0ken-0123456789abcdef": "bot"}, read="login")


@pytest.fixture
def client(db: Database) -> Iterator[httpx.Client]:
    """The app on a real uvicorn server, as a load balancer or Prometheus reach it."""
    app = create_app(
        Settings(database_url=db.url, config_dir=CONFIG_DIR), auth=LOGIN_ALWAYS, database=db
    )
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz_answers_without_login(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.get("/api/runs").status_code == 401  # reading does need a login here


def test_metrics_report_crawls_lease_alerts_and_suggestion_runs(
    client: httpx.Client, db: Database
) -> None:
    now = utcnow()
    hour = dt.timedelta(hours=1)
    with db.session() as s:
        s.add_all(
            [
                CrawlRun(competitor="partsdepot", status="succeeded", started_at=now - 5 * hour,
                         finished_at=now - 4 * hour, requests=120, items=100, errors=1),
                CrawlRun(competitor="partsdepot", status="failed", started_at=now - 2 * hour,
                         finished_at=now - hour, requests=8, items=0, errors=2,
                         note="found no items; 2 pages lost to errors"),
                CrawlRun(competitor="partsdepot", status="running", started_at=now),
                CrawlRun(competitor="gearhub", status="suspect", started_at=now - 3 * hour,
                         finished_at=now - 2 * hour, requests=50, items=40, errors=0),
                DaemonLease(name="scheduler", holder="host-a:123:abcd", term=3,
                            acquired_at=now - hour, renewed_at=now, expires_at=now + hour),
                AlertEvent(kind="crawl_failed", target="partsdepot", summary="x"),
                AlertEvent(kind="crawl_suspect", target="gearhub", summary="y"),
                AlertEvent(kind="crawl_failed", target="partsdepot", summary="z", sent_at=now),
                SuggestionRun(status="complete", base_currency="USD", created_at=now - 3 * hour,
                              finished_at=now - 3 * hour + dt.timedelta(seconds=42)),
                SuggestionRun(status="failed", base_currency="USD", created_at=now - hour,
                              finished_at=now - hour),
            ]
        )  # fmt: skip

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)

    def value(name: str, **labels: str) -> float:
        return got[(name, tuple(sorted(labels.items())))]

    assert value("pricing_database_up") == 1
    last_good = value("pricing_crawl_last_success_timestamp_seconds", competitor="partsdepot")
    assert last_good == pytest.approx((now - 4 * hour).timestamp(), abs=1)
    age = value("pricing_crawl_last_success_age_seconds", competitor="partsdepot")
    assert 4 * 3600 - 5 <= age <= 4 * 3600 + 60
    assert value("pricing_crawl_last_run_items", competitor="partsdepot") == 0  # the failed one
    assert value("pricing_crawl_last_run_errors", competitor="partsdepot") == 2
    assert value("pricing_crawl_last_run_requests", competitor="partsdepot") == 8
    assert value("pricing_crawl_last_run_status", competitor="partsdepot", status="failed") == 1
    assert value("pricing_crawl_last_run_status", competitor="gearhub", status="suspect") == 1
    assert value("pricing_crawl_last_run_items", competitor="gearhub") == 40
    # a suspect run is no success; a configured competitor never crawled is infinitely stale
    assert math.isinf(value("pricing_crawl_last_success_age_seconds", competitor="gearhub"))
    assert ("pricing_crawl_last_success_timestamp_seconds", (("competitor", "gearhub"),)) not in got
    assert value("pricing_daemon_lease_active", lease="scheduler", holder="host-a:123:abcd") == 1
    assert value("pricing_daemon_lease_term", lease="scheduler") == 3
    assert value("pricing_alerts_pending") == 2
    assert value("pricing_suggestion_run_last_duration_seconds") == pytest.approx(42, abs=0.01)
    assert 3 * 3600 - 45 <= value("pricing_suggestion_run_last_age_seconds") <= 3 * 3600 + 60


def test_an_expired_lease_names_no_holder(client: httpx.Client, db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        s.add(
            DaemonLease(
                name="scheduler",
                holder="dead-host",
                term=1,
                expires_at=now - dt.timedelta(minutes=1),
            )
        )
    got = samples(client.get("/metrics").text)
    assert got[("pricing_daemon_lease_active", (("holder", ""), ("lease", "scheduler")))] == 0
    assert math.isinf(got[("pricing_suggestion_run_last_age_seconds", ())])


def _take_database_away(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        folder = Path(parsed.database or "").parent
        folder.rename(folder.with_name(folder.name + "-gone"))
        return
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def test_healthz_is_503_and_metrics_say_down_when_the_database_is_gone(
    client: httpx.Client, db: Database
) -> None:
    assert client.get("/healthz").status_code == 200
    db.engine.dispose()
    _take_database_away(db.url)

    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"

    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert samples(metrics.text)[("pricing_database_up", ())] == 0
