"""The real ``pricing daemon``, as an operator runs it: child processes on the same
database, the demo market on local ports, a webhook receiver and an SMTP sink on
loopback, a real Scrapyd.

Schedules are accelerated with the daemon's trial mode (``--crawl-every``,
``--nightly-every``: interval triggers in the same job store instead of the crons), and
the lease is short (``--lease 3 --heartbeat 0.5``) so a takeover takes seconds.

Crawls only ever run in child processes: importing the spiders here would install
Scrapy's reactor in the test process.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from demo_market import DemoMarket, write_demo_inputs
from pricing import imports
from pricing.config import PricingPolicy
from pricing.errors import NotFoundError
from pricing.export import export_approved
from pricing.reports.nightly import latest_complete_run
from pricing.storage import Database
from pricing.storage.models import (
    AlertEvent,
    CrawlRun,
    DaemonTask,
    Match,
    PriceObservation,
    Suggestion,
    SuggestionRun,
)
from scheduler.lease import lease_info
from tests.support import CONFIG_DIR, run_cli
from tests.support.alerts import SmtpSink, WebhookReceiver, alerts_yaml
from tests.support.daemon import PYTHON, Daemon, clean_env

# --- helpers --------------------------------------------------------------------------


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for d in started:
        d.cleanup()


def wait_until(
    what: str, check: Callable[[], Any], timeout: float, daemons: Sequence[Daemon] = ()
) -> Any:
    """Poll ``check`` until it returns something truthy; on timeout, fail with the
    daemons' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    logs = "\n".join(f"--- daemon {d.pid}:\n{d.output()[-4000:]}" for d in daemons)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{logs}")


def scalar(db: Database, stmt: Any) -> Any:
    with db.session() as session:
        return session.scalar(stmt)


def rows(db: Database, stmt: Any) -> list[Any]:
    with db.session() as session:
        return list(session.execute(stmt).all())


def make_config(
    tmp: Path,
    enabled: dict[str, str],
    alerts: str | None = None,
) -> Path:
    """The example config with only ``enabled`` competitors on (name -> base URL)."""
    cfg = tmp / "config"
    cfg.mkdir()
    for path in CONFIG_DIR.glob("*.yaml"):
        if path.name != "alerts.yaml":
            (cfg / path.name).write_text(path.read_text())
    data = yaml.safe_load((CONFIG_DIR / "competitors.yaml").read_text())
    for comp in data["competitors"]:
        comp["enabled"] = comp["name"] in enabled
        if comp["name"] in enabled:
            comp["base_url"] = enabled[comp["name"]]
    (cfg / "competitors.yaml").write_text(yaml.safe_dump(data))
    if alerts is not None:
        (cfg / "alerts.yaml").write_text(alerts)
    return cfg


@pytest.fixture(scope="module")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_demo_inputs(tmp_path_factory.mktemp("demo-inputs"))


def prepare_db(url: str, inputs: Any, *, sales: bool = False) -> Database:
    db = Database(url)
    db.upgrade()
    imports.import_catalog(db, inputs.catalog)
    imports.import_xrefs(db, inputs.xref)
    if sales:
        imports.import_sales(db, inputs.sales)
    return db


def leader_pid(db: Database) -> int | None:
    info = lease_info(db)
    if info is None or not info.active():
        return None
    return int(info.holder.split(":")[1])  # type: ignore[union-attr]


def status_json(db_url: str, config: Path) -> dict[str, dict[str, Any]]:
    result = run_cli("status", "--format", "json", db_url=db_url, config_dir=config, timeout=60)
    assert result.returncode == 0, result.stderr
    return {row["job"]: row for row in json.loads(result.stdout)}


def assert_consistent(db: Database) -> None:
    """Nothing left ``running``, no observation stored twice."""
    for model in (CrawlRun, SuggestionRun, DaemonTask):
        left = scalar(db, select(func.count()).select_from(model).where(model.status == "running"))
        assert left == 0, f"{model.__tablename__}: {left} row(s) still running"
    total = scalar(db, select(func.count(PriceObservation.id)))
    distinct = scalar(
        db,
        select(func.count()).select_from(
            select(PriceObservation.listing_id, PriceObservation.observed_at).distinct().subquery()
        ),
    )
    assert total == distinct


def observations_of(db: Database, run_id: int) -> int:
    return int(
        scalar(
            db,
            select(func.count(PriceObservation.id)).where(PriceObservation.crawl_run_id == run_id),
        )
    )


# --- price moves: which SKUs the demo market moves between two days ---------------------


@dataclass(frozen=True)
class Watch:
    threshold: float
    moved: set[str]
    still: set[str]


def choose_watched(market: DemoMarket, day1: dt.date, day2: dt.date) -> Watch:
    """Three SKUs whose gearhub price moves clearly beyond 3 % between the days, three
    that barely move (ground truth from the demo world)."""
    first = market.world.ground_truth("gearhub", day1)
    second = {t.url: t for t in market.world.ground_truth("gearhub", day2)}
    per_sku: dict[str, list[float]] = {}
    for t in first:
        if t.sku and t.kind in ("xref", "oem") and t.availability == "InStock":
            per_sku.setdefault(t.sku, []).append(float(second[t.url].price / t.price - 1))
    single = {sku: changes[0] for sku, changes in per_sku.items() if len(changes) == 1}
    moved = sorted(sku for sku, c in single.items() if abs(c) > 0.045)[:3]
    still = sorted(sku for sku, c in single.items() if abs(c) < 0.005)[:3]
    assert len(moved) == 3 and len(still) == 3
    return Watch(0.03, set(moved), set(still))


# --- the tests --------------------------------------------------------------------------


@pytest.mark.timeout(150)
def test_jobs_fire_standby_takes_over_after_kill_9_mid_crawl(
    db_url: str, tmp_path: Path, demo_inputs: Any, daemons: list[Daemon]
) -> None:
    """A leader and a standby on one database: the leader crawls and runs the nightly
    pipeline; killed with SIGKILL mid-crawl, the standby takes over, fails the
    interrupted run, crawls again, and alerts on competitor price moves; SIGTERM then
    stops it with exit code 0 and nothing left running."""
    db = prepare_db(db_url, demo_inputs)
    with DemoMarket(names=["gearhub"]) as market, WebhookReceiver() as hook:
        day1 = market.day
        day2 = day1 + dt.timedelta(days=40)
        watch = choose_watched(market, day1, day2)
        alerts = alerts_yaml(hook, None, group_wait_seconds=0.5, min_interval_minutes=0)
        alerts += yaml.safe_dump(
            {
                "price_moves": {
                    "threshold": watch.threshold,
                    "skus": sorted(watch.moved | watch.still),
                }
            }
        )
        config = make_config(tmp_path, market.base_urls, alerts)
        args = ("--crawl-every", "12", "--nightly-every", "8")

        first = Daemon(db_url, config, tmp_path, *args)
        daemons.append(first)
        wait_until("the first daemon to lead", lambda: leader_pid(db) == first.pid, 30, daemons)
        second = Daemon(db_url, config, tmp_path, *args)
        daemons.append(second)

        # jobs fire: a crawl, then the nightly pipeline after it
        wait_until(
            "a complete suggestion run",
            lambda: scalar(db, select(SuggestionRun.id).where(SuggestionRun.status == "complete")),
            60,
            daemons,
        )
        crawled = rows(db, select(CrawlRun.id, CrawlRun.status, CrawlRun.items))
        assert crawled and crawled[0].status == "succeeded" and crawled[0].items > 150
        assert "standby: the lease is held by" in second.output()
        assert leader_pid(db) == first.pid
        status = status_json(db_url, config)
        assert (
            status["daemon"]["status"] == "active" and f":{first.pid}:" in status["daemon"]["note"]
        )
        assert status["crawl gearhub"]["schedule"] == "every 12s"
        assert status["crawl gearhub"]["next_run"] and status["crawl gearhub"]["health"] == "ok"
        assert status["crawl partsdepot"]["schedule"] == "disabled"

        # the market's prices move; kill the leader in the middle of its next crawl
        market.day = day2
        known = max(r.id for r in crawled)

        def crawl_in_progress() -> int | None:
            run = scalar(
                db,
                select(CrawlRun.id).where(CrawlRun.id > known, CrawlRun.status == "running"),
            )
            return run if run is not None and observations_of(db, run) > 0 else None

        killed_run = wait_until("a crawl in progress", crawl_in_progress, 40, daemons)
        first.kill9()
        time.sleep(0.5)  # anything still writing would show now
        kept = observations_of(db, killed_run)
        observations_at_kill = scalar(db, select(func.count(PriceObservation.id)))
        assert scalar(db, select(CrawlRun.status).where(CrawlRun.id == killed_run)) == "running"

        # the standby takes over, fails the interrupted run and crawls again
        wait_until("the standby to lead", lambda: leader_pid(db) == second.pid, 15, daemons)
        rerun = wait_until(
            "the re-run crawl",
            lambda: scalar(
                db,
                select(DaemonTask).where(
                    DaemonTask.kind == "crawl",
                    DaemonTask.attempt == 2,
                    DaemonTask.status == "succeeded",
                ),
            ),
            45,
            daemons,
        )
        wait_until(
            "the price-move alert",
            lambda: any(e["kind"] == "price_move" for b in hook.bodies for e in b["events"]),
            15,
            daemons,
        )
        assert second.terminate() == 0

    # the interrupted run: failed, its committed observations kept, nothing added later
    killed = rows(db, select(CrawlRun.status, CrawlRun.note).where(CrawlRun.id == killed_run))[0]
    assert killed.status == "failed" and "interrupted" in killed.note
    assert observations_of(db, killed_run) == kept > 0
    interrupted = rows(db, select(DaemonTask.target).where(DaemonTask.status == "interrupted"))
    assert [t.target for t in interrupted] == ["gearhub"]
    assert rerun.holder.split(":")[1] == str(second.pid)
    observations_after = scalar(db, select(func.count(PriceObservation.id)))
    assert observations_after > observations_at_kill
    print(  # the figures docs/daemon.md quotes (pytest -s)
        f"\nkill -9 mid-crawl ({db.dialect}): run {killed_run} failed with {kept} observations "
        f"kept; {observations_at_kill} observations at the kill, {observations_after} after "
        f"the re-run; {len(interrupted)} task interrupted"
    )
    assert_consistent(db)
    assert lease_info(db).holder is None  # type: ignore[union-attr]  # released on SIGTERM

    # price moves: exactly the watched SKUs that moved (and are matched), each once
    matched = set(scalar_list(db, select(Match.sku).where(Match.status.in_(("auto", "confirmed")))))
    expected = watch.moved & matched
    assert expected, "no watched SKU matched: the demo market or the matcher changed"
    moves = rows(db, select(AlertEvent.target).where(AlertEvent.kind == "price_move"))
    assert sorted(m.target for m in moves) == sorted(expected)
    # every event went out once: the webhook saw each (kind, target) as often as recorded
    delivered: dict[tuple[str, str], int] = {}
    for body in hook.bodies:
        for event in body["events"]:
            key = (event["kind"], event["target"])
            delivered[key] = delivered.get(key, 0) + event["count"]
    recorded: dict[tuple[str, str], int] = {}
    for event in rows(db, select(AlertEvent.kind, AlertEvent.target, AlertEvent.sent_at)):
        assert event.sent_at is not None
        recorded[(event.kind, event.target)] = recorded.get((event.kind, event.target), 0) + 1
    assert delivered == recorded
    assert ("task_interrupted", "gearhub") in recorded
    db.dispose()


def new_running_run(db: Database, after: int) -> int | None:
    return scalar(
        db,
        select(SuggestionRun.id).where(SuggestionRun.id > after, SuggestionRun.status == "running"),
    )


def scalar_list(db: Database, stmt: Any) -> list[Any]:
    with db.session() as session:
        return list(session.scalars(stmt))


@pytest.mark.timeout(120)
def test_kill_9_and_sigterm_mid_pipeline(
    sqlite_url: str, tmp_path: Path, demo_inputs: Any, daemons: list[Daemon]
) -> None:
    """Killed while the optimizer writes a suggestion run, the next daemon fails that
    run, runs the nightly again, and report and export never use the half-written run;
    SIGTERM mid-pipeline lets the run finish and exits 0."""
    db = prepare_db(sqlite_url, demo_inputs, sales=True)
    config = make_config(tmp_path, {})
    args = ("--nightly-every", "3")

    half_written = None
    for _attempt in range(3):  # the optimizer's window is short: try again if missed
        known = scalar(db, select(func.max(SuggestionRun.id))) or 0
        daemon = Daemon(sqlite_url, config, tmp_path, *args)
        daemons.append(daemon)
        running = wait_until(
            "a suggestion run being written", lambda k=known: new_running_run(db, k), 40, daemons
        )
        daemon.kill9()
        if scalar(db, select(SuggestionRun.status).where(SuggestionRun.id == running)) == "running":
            half_written = running
            break
    assert half_written is not None, "never caught a suggestion run mid-write"

    restarted = Daemon(sqlite_url, config, tmp_path, *args)
    daemons.append(restarted)
    wait_until(
        "the half-written run to be marked failed",
        lambda: (
            scalar(db, select(SuggestionRun.status).where(SuggestionRun.id == half_written))
            == "failed"
        ),
        20,
        [restarted],
    )
    in_progress = wait_until(
        "the nightly run again", lambda: new_running_run(db, half_written), 30, [restarted]
    )
    assert restarted.terminate() == 0  # mid-pipeline: the run is let finish
    assert scalar(db, select(SuggestionRun.status).where(SuggestionRun.id == in_progress)) == (
        "complete"
    )
    tasks = rows(
        db, select(DaemonTask.status, DaemonTask.attempt).where(DaemonTask.kind == "nightly")
    )
    assert ("interrupted", 1) in [(t.status, t.attempt) for t in tasks]
    assert any(t.attempt == 2 and t.status == "succeeded" for t in tasks)
    assert_consistent(db)
    half = scalar(db, select(func.count(Suggestion.id)).where(Suggestion.run_id == half_written))
    assert half == 0
    complete = scalar(db, select(func.count(Suggestion.id)).where(Suggestion.run_id == in_progress))
    print(
        f"\nkill -9 mid-pipeline: suggestion run {half_written} failed ({half} suggestions); "
        f"re-run as run {in_progress}, finished during SIGTERM with {complete} suggestions"
    )

    # report and export refuse the half-written run; by default they take a complete one
    out = str(tmp_path / "r")
    refused = run_cli("report", "--run", str(half_written), "--out", out, db_url=sqlite_url)
    assert refused.returncode == 1
    assert f"no complete suggestion run {half_written}" in refused.stderr
    with db.session() as session:
        assert latest_complete_run(session) == in_progress
    with pytest.raises(NotFoundError):
        export_approved(db, half_written, "ops", PricingPolicy(), tmp_path / "erp.csv")
    db.dispose()


class HungServer:
    """Accepts TCP connections (the kernel does, from the backlog) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> HungServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


@pytest.mark.timeout(90)
def test_a_bad_night_of_hung_crawls_sends_one_alert(
    sqlite_url: str, tmp_path: Path, demo_inputs: Any, daemons: list[Daemon]
) -> None:
    """A shop that never answers: each crawl is stopped at its time limit and recorded
    failed; the alerts go out once, to the webhook and by email, rate-limited."""
    db = prepare_db(sqlite_url, demo_inputs)
    with HungServer() as hung, WebhookReceiver() as hook, SmtpSink() as smtp:
        alerts = alerts_yaml(hook, smtp, group_wait_seconds=2, min_interval_minutes=60)
        config = make_config(tmp_path, {"partsdepot": hung.url}, alerts)
        limits = ("--crawl-every", "3", "--crawl-timeout", "5", "--kill-grace", "1")
        daemon = Daemon(sqlite_url, config, tmp_path, *limits)
        daemons.append(daemon)
        timed_out = select(func.count(DaemonTask.id)).where(DaemonTask.status == "timed_out")
        wait_until(
            "two crawls stopped at the limit", lambda: scalar(db, timed_out) >= 2, 40, daemons
        )
        wait_until("the message", lambda: hook.bodies and smtp.messages, 10, daemons)
        time.sleep(1.5)  # more heartbeats: nothing more may go out
        assert daemon.terminate() == 0
        status = status_json(sqlite_url, config)

    assert len(hook.bodies) == 1 and len(smtp.messages) == 1
    body = hook.bodies[0]
    assert body["subject"] == smtp.messages[0]["Subject"]
    assert [(e["kind"], e["target"]) for e in body["events"]] == [("crawl_timed_out", "partsdepot")]
    assert "partsdepot crawl stopped at its time limit" in smtp.messages[0].get_content()
    recorded = scalar(
        db, select(func.count(AlertEvent.id)).where(AlertEvent.kind == "crawl_timed_out")
    )
    pending = scalar(db, select(func.count(AlertEvent.id)).where(AlertEvent.sent_at.is_(None)))
    assert recorded >= 2 and pending >= 1 and recorded - pending == body["events"][0]["count"]
    assert status["alerts"]["status"] == f"{pending} pending"
    assert status["crawl partsdepot"]["health"].startswith("failing (")
    runs = rows(db, select(CrawlRun.status, CrawlRun.note))
    assert runs and all(r.status == "failed" for r in runs)
    assert any("time limit" in (r.note or "") for r in runs)
    assert_consistent(db)
    db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def scrapyd_node(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real Scrapyd on a loopback port, with the example config for its spiders."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\nitems_dir =\npoll_interval = 0.5\nmax_proc = 2\n"
    )
    env = clean_env() | {"PRICING_CONFIG_DIR": str(tmp_path / "config")}
    scrapyd = Path(PYTHON).with_name("scrapyd")
    with (home / "scrapyd.log").open("wb") as out:
        proc = subprocess.Popen([str(scrapyd)], cwd=home, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return True
            except OSError:
                return False

        wait_until("scrapyd to listen", up, 30)
        yield url, home
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.timeout(120)
def test_crawls_are_dispatched_to_scrapyd(
    sqlite_url: str,
    tmp_path: Path,
    demo_inputs: Any,
    daemons: list[Daemon],
    scrapyd_node: tuple[str, Path],
) -> None:
    """With a Scrapyd node named, the crawl runs there (deployed as an egg through
    addversion.json) and is recorded in the same database."""
    node, home = scrapyd_node
    db = prepare_db(sqlite_url, demo_inputs)
    with DemoMarket(names=["gearhub"]) as market:
        config = make_config(tmp_path, market.base_urls)
        deployed = run_cli(
            "deploy-crawlers",
            "--scrapyd",
            node,
            "--out",
            str(tmp_path / "eggs"),
            config_dir=config,
            timeout=120,
        )
        assert deployed.returncode == 0, deployed.stderr
        assert "gearhub" in deployed.stdout
        daemon = Daemon(sqlite_url, config, tmp_path, "--crawl-every", "600", "--scrapyd", node)
        daemons.append(daemon)
        task = wait_until(
            "the crawl on scrapyd",
            lambda: scalar(
                db,
                select(DaemonTask).where(
                    DaemonTask.kind == "crawl", DaemonTask.status != "running"
                ),
            ),
            60,
            daemons,
        )
        assert daemon.terminate() == 0
    assert task.status == "succeeded", task.note
    assert task.remote.startswith(f"{node} crawlers ")
    job_id = task.remote.split(" ")[2]
    assert (home / "logs" / "crawlers" / "gearhub" / f"{job_id}.log").is_file()
    run = rows(db, select(CrawlRun.status, CrawlRun.items))[0]
    assert run.status == "succeeded" and run.items > 150
    assert "scheduled as" in daemon.output() and "started process" not in daemon.output()
    assert_consistent(db)
    db.dispose()
