"""Scale-out on PostgreSQL, as docs/operations.md describes it: two Scrapyd nodes and
two ``pricing daemon`` processes against one database, crawls of several demo-market
competitors spread over both nodes, in one dispatch cycle.

A node is killed mid-crawl (SIGKILL to its process group, so its crawl processes die
with it); the leader sees the node lose the job, fails the run and dispatches the crawl
again on the surviving node. While that crawl runs the leader is killed; the standby
takes the lease, cancels the orphaned Scrapyd jobs and runs those crawls again. Each
competitor ends exactly one crawl ``succeeded``, no observation is stored twice, every
product page of every shop is observed, and only the lease holder ever dispatched.

Run with ``pytest -s tests/operations/test_scale_out.py`` to print the figures quoted in
docs/operations.md ("Scale out"). Needs a PostgreSQL server (skipped without one, a
failure with ``PRICING_REQUIRE_POSTGRES=1``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import func, select

from demo_market import DemoMarket
from pricing.storage import Database
from pricing.storage.models import CrawlRun, DaemonTask, Listing, PriceObservation
from scheduler.lease import lease_info
from tests.support import CONFIG_DIR, ROOT
from tests.support.daemon import PYTHON, Daemon, clean_env

SHOPS = ("partsdepot", "gearhub", "tradesupply")
# seconds between requests to a shop: a crawl of its ~200 pages lasts at least 8 s, so
# once its first batch is committed there is time to kill a node, or the leader (the
# standby takes over within 3.5 s), before it ends
DOWNLOAD_DELAY = 0.04


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Node:
    """A real Scrapyd on a loopback port, leading its own process group: its crawl
    processes (Scrapyd's children) are in that group too. It runs in the repository,
    whose ``scrapy.cfg`` makes the crawlers its project ``default`` (no egg to deploy:
    ``pricing deploy-crawlers`` is covered by tests/operations/test_daemon.py); its own settings are
    in ``~/.scrapyd.conf`` of a home of its own."""

    def __init__(self, home: Path, config: Path) -> None:
        home.mkdir()
        self.home = home
        self.port = _free_port()
        (home / ".scrapyd.conf").write_text(
            "[scrapyd]\nbind_address = 127.0.0.1\n"
            f"http_port = {self.port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
            f"dbs_dir = {home / 'dbs'}\nitems_dir =\npoll_interval = 0.2\nmax_proc = 4\n"
        )
        env = clean_env() | {"PRICING_CONFIG_DIR": str(config), "HOME": str(home)}
        scrapyd = [str(Path(PYTHON).with_name("scrapyd")), "--pidfile", str(home / "twistd.pid")]
        with (home / "scrapyd.log").open("wb") as out:
            self.proc = subprocess.Popen(
                scrapyd, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def spiders(self) -> list[str]:
        body = requests.get(f"{self.url}/listspiders.json", params={"project": "default"})
        return list(body.json()["spiders"])

    def jobs(self) -> set[str]:
        """Ids of every job this node ran or runs."""
        body = requests.get(f"{self.url}/listjobs.json", params={"project": "default"}).json()
        return {job["id"] for key in ("pending", "running", "finished") for job in body[key]}

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def cleanup(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def processes() -> Iterator[list[Node | Daemon]]:
    started: list[Node | Daemon] = []
    yield started
    for proc in reversed(started):
        proc.cleanup()


def wait_until(
    what: str, check: Callable[[], Any], timeout: float, logs: Sequence[Daemon] = ()
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    text = "\n".join(f"--- daemon {d.pid}:\n{d.output()[-4000:]}" for d in logs)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{text}")


def make_config(tmp: Path, base_urls: dict[str, str]) -> Path:
    """The example config with only the demo shops in ``base_urls`` on, paced."""
    cfg = tmp / "config"
    cfg.mkdir()
    for path in CONFIG_DIR.glob("*.yaml"):
        if path.name != "alerts.yaml":
            (cfg / path.name).write_text(path.read_text())
    data = yaml.safe_load((CONFIG_DIR / "competitors.yaml").read_text())
    for comp in data["competitors"]:
        comp["enabled"] = comp["name"] in base_urls
        if comp["enabled"]:
            comp["base_url"] = base_urls[comp["name"]]
            comp["download_delay"] = DOWNLOAD_DELAY
    (cfg / "competitors.yaml").write_text(yaml.safe_dump(data))
    return cfg


def tasks(db: Database) -> list[DaemonTask]:
    with db.session() as session:
        return list(
            session.scalars(
                select(DaemonTask).where(DaemonTask.kind == "crawl").order_by(DaemonTask.id)
            )
        )


def leader_pid(db: Database) -> int | None:
    info = lease_info(db)
    if info is None or not info.active():
        return None
    return int(str(info.holder).split(":")[1])


def crawl_in_progress(
    db: Database, node: str | None = None, attempt: int = 1, committed: int = 1
) -> DaemonTask | None:
    """A running crawl task (on ``node``, if given) whose crawl run is open and has
    committed at least ``committed`` observations."""
    with db.session() as session:
        for task in session.scalars(select(DaemonTask).where(DaemonTask.status == "running")):
            if not task.remote or (node and not task.remote.startswith(node + " ")):
                continue
            if task.attempt != attempt:
                continue
            run = session.scalar(
                select(CrawlRun.id).where(
                    CrawlRun.competitor == task.target,
                    CrawlRun.id > task.after_run_id,
                    CrawlRun.status == "running",
                )
            )
            if run is None:
                continue
            observed = session.scalar(
                select(func.count(PriceObservation.id)).where(PriceObservation.crawl_run_id == run)
            )
            if observed >= committed:
                return task
    return None


def cycle_done(db: Database) -> list[DaemonTask] | None:
    """The crawl tasks, once every shop has one succeeded and nothing is running."""
    done = tasks(db)
    if any(t.status == "running" for t in done):
        return None
    if sorted(t.target for t in done if t.status == "succeeded") != sorted(SHOPS):
        return None
    return done


def aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def check_cycle(db: Database, cycle: list[DaemonTask], market: DemoMarket) -> dict[str, int]:
    """Exactly one succeeded task and crawl run per shop, the other runs failed, and
    every product page observed by the succeeded run."""
    items = {}
    with db.session() as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
        for shop in SHOPS:
            mine = [t for t in cycle if t.target == shop]
            assert [t.status for t in mine].count("succeeded") == 1, mine
            assert mine[-1].status == "succeeded"
            shop_runs = [r for r in runs if r.competitor == shop]
            good = [r for r in shop_runs if r.status == "succeeded"]
            assert len(good) == 1, [(r.id, r.status, r.note) for r in shop_runs]
            assert all(r.status == "failed" for r in shop_runs if r is not good[0])
            seen = set(
                session.scalars(
                    select(Listing.url)
                    .join(PriceObservation, PriceObservation.listing_id == Listing.id)
                    .where(PriceObservation.crawl_run_id == good[0].id)
                )
            )
            expected = {t.url for t in market.ground_truth(shop)}
            assert expected <= seen, f"{shop}: {len(expected - seen)} product pages lost"
            items[shop] = good[0].items
    return items


def assert_no_duplicates(db: Database) -> int:
    """No observation stored twice (per competitor, url and time); nothing running."""
    with db.session() as session:
        twice = session.scalar(
            select(func.count()).select_from(
                select(Listing.competitor, Listing.url, PriceObservation.observed_at)
                .join(PriceObservation, PriceObservation.listing_id == Listing.id)
                .group_by(Listing.competitor, Listing.url, PriceObservation.observed_at)
                .having(func.count() > 1)
                .subquery()
            )
        )
        assert twice == 0
        for model in (CrawlRun, DaemonTask):
            running = session.scalar(
                select(func.count()).select_from(model).where(model.status == "running")
            )
            assert running == 0, f"{model.__tablename__}: {running} still running"
        return int(session.scalar(select(func.count(PriceObservation.id))) or 0)


@pytest.mark.timeout(180)
def test_two_nodes_two_daemons_one_postgres(
    pg_url: str, tmp_path: Path, processes: list[Node | Daemon]
) -> None:
    began = time.monotonic()
    with DemoMarket(names=list(SHOPS)) as market:
        config = make_config(tmp_path, market.base_urls)
        nodes = [Node(tmp_path / f"node{i}", config) for i in (1, 2)]
        processes.extend(nodes)
        node_args = [arg for node in nodes for arg in ("--scrapyd", node.url)]
        node_args += ["--scrapyd-project", "default"]
        db = Database(pg_url)
        db.upgrade()
        for node in nodes:
            wait_until("scrapyd to listen", lambda n=node: _listening(n.port), 30)
        # each node lists its spiders (a `scrapy list` process, once), as a deploy does
        with ThreadPoolExecutor(len(nodes)) as pool:
            listed = list(pool.map(Node.spiders, nodes))
        assert all(set(SHOPS) <= set(spiders) for spiders in listed)

        # one dispatch cycle: the crawls fire once, a second after the leader starts
        args = ["--crawl-every", "3600", "--nightly-every", "3600", "--max-attempts", "3"]
        args += ["--scrapyd-lost-after", "2", *node_args]
        a = Daemon(pg_url, config, tmp_path, *args)
        processes.append(a)
        wait_until("daemon A to lead", lambda: leader_pid(db) == a.pid, 30, [a])
        b = Daemon(pg_url, config, tmp_path, *args)
        processes.append(b)
        wait_until("daemon B to stand by", lambda: "standby:" in b.output(), 30, [a, b])

        # a crawl node dies mid-crawl: its crawls go to the other node
        victim = wait_until(
            "a crawl committing observations", lambda: crawl_in_progress(db), 60, [a]
        )
        dead = next(n for n in nodes if victim.remote.startswith(n.url + " "))
        alive = next(n for n in nodes if n is not dead)
        dead.kill()
        node_killed = dt.datetime.now(dt.UTC)

        # the leader dies while a re-dispatched crawl runs: the standby takes over
        redone = wait_until(
            "a re-dispatched crawl under way",
            lambda: crawl_in_progress(db, alive.url, attempt=2, committed=0),
            60,
            [a],
        )
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        leader_killed = time.monotonic()
        wait_until("daemon B to lead", lambda: leader_pid(db) == b.pid, 10, [b])
        takeover_s = time.monotonic() - leader_killed
        cycle = wait_until("every shop crawled", lambda: cycle_done(db), 90, [b])
        items = check_cycle(db, cycle, market)
        b.proc.send_signal(signal.SIGTERM)
        assert b.proc.wait(40) == 0, b.output()[-3000:]

    a_tasks = [t for t in cycle if f":{a.pid}:" in t.holder]
    b_tasks = [t for t in cycle if f":{b.pid}:" in t.holder]
    assert len(a_tasks) + len(b_tasks) == len(cycle)
    # the dead node's crawls: interrupted, their runs failed, dispatched again by A to
    # the surviving node
    lost = [t for t in a_tasks if t.status == "interrupted" and "lost the job" in t.note]
    assert lost and all(t.remote.startswith(dead.url + " ") for t in lost), lost
    lost_targets = sorted(t.target for t in lost)
    again = [t for t in a_tasks if t.attempt == 2]
    assert sorted(t.target for t in again) == lost_targets
    assert all(t.remote.startswith(alive.url + " ") for t in again)
    first = [t for t in a_tasks if t.attempt == 1]
    assert sorted(t.target for t in first) == sorted(SHOPS)
    assert {t.remote.split(" ")[0] for t in first} == {n.url for n in nodes}  # spread
    redispatch_s = max((aware(t.started_at) - node_killed).total_seconds() for t in again)
    with db.session() as session:
        lost_runs = list(
            session.scalars(select(CrawlRun).where(CrawlRun.note.like("%lost the job%")))
        )
    # a crawl lost before its process opened a run leaves none behind
    assert victim.target in {r.competitor for r in lost_runs} <= set(lost_targets)
    assert all(r.status == "failed" for r in lost_runs)
    # A's crawls cut short by its death: interrupted by B, which ran them again
    orphans = [t for t in a_tasks if t.status == "interrupted" and t not in lost]
    assert redone.id in {t.id for t in orphans}
    assert all("interrupted: the daemon running it" in t.note for t in orphans)
    assert sorted(t.target for t in b_tasks) == sorted(t.target for t in orphans)
    assert all(
        t.status == "succeeded" and t.attempt == 3 - (t.target not in lost_targets) for t in b_tasks
    )
    # only the lease holder dispatched: B scheduled nothing while standing by, and every
    # job the surviving node ran belongs to exactly one journaled task
    assert "scheduled as" not in b.output().split("leading: daemon")[0]
    on_alive = [
        t.remote.split(" ")[2] for t in cycle if (t.remote or "").startswith(alive.url + " ")
    ]
    assert len(on_alive) == len(set(on_alive)) and alive.jobs() == set(on_alive)
    observations = assert_no_duplicates(db)
    db.dispose()
    total = time.monotonic() - began
    print(
        f"\nscale-out on PostgreSQL: {len(SHOPS)} shops on 2 Scrapyd nodes, 2 daemons; "
        f"{len(cycle)} crawl tasks, items {items}; node killed with {len(lost)} crawl(s) "
        f"on it, re-dispatched {redispatch_s:.1f}s after the kill; standby led "
        f"{takeover_s:.1f}s after the leader's kill and re-ran {len(b_tasks)} crawl(s); "
        f"{observations} observations, none twice; {total:.0f}s in all"
    )
