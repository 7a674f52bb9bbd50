"""Crawls on other machines through Scrapyd's JSON API, instead of local children.

With ``pricing daemon --scrapyd http://node1:6800 --scrapyd http://node2:6800`` the
daemon's :class:`~scheduler.executors.CrawlExecutor` is a :class:`ScrapydExecutor`: each
crawl is scheduled on the node with the fewest running and pending jobs
(``daemonstatus.json``), with the database URL and config folder passed as Scrapy
settings (the node must reach the same database: PostgreSQL) and a base-URL override as
a spider argument. The URL goes *without its password* (:func:`job_settings`): Scrapyd
puts settings on the crawl's command line (``scrapy crawl -s KEY=VALUE``), where ``ps``
shows them. Each node gives PostgreSQL the password the libpq way, from Scrapyd's
environment (``PGPASSWORD``) or a password file (``~/.pgpass``, ``PGPASSFILE``).

The daemon polls ``status.json`` until the job finishes; at the time limit, on a stop
or on a lost lease it cancels the job (SIGTERM: Scrapy closes the spider and records
the run), then again with SIGKILL after the kill grace. The crawl run itself
is recorded by the crawl pipeline on the node, exactly as for a local crawl.

A node that stops answering about a running job for ``lost_after`` seconds (killed,
powered off, cut off), or that answers but no longer knows the job (restarted), has
lost it: :meth:`Dispatcher.run` returns a result with ``lost`` set, and the caller
(:func:`scheduler.tasks.run_crawl`) fails the run and dispatches the crawl again,
avoiding that node. A job left running by a daemon that died is cancelled by the next
one (:func:`stop_orphan`).

The nodes run this repository's Scrapy project, ``crawlers``, as an egg uploaded with
``pricing deploy-crawlers --scrapyd URL`` (:func:`build_egg`, :meth:`ScrapydClient.add_version`:
Scrapyd's ``addversion.json``, no ``scrapyd-deploy`` or ``setup.py`` needed). The egg holds
the Scrapy project only; each node has the ``pricing-monitor`` package installed (storage,
config models and their dependencies) and ``PRICING_CONFIG_DIR`` set, so Scrapyd can list
the spiders when the egg is uploaded. ``scrapyd`` started in the repository also works
without an egg: its ``scrapy.cfg`` names ``crawlers.settings`` as project ``default``.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from pricing.errors import PricingError
from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.db import url_without_password
from pricing.storage.models import DaemonTask
from scheduler.executors import CrawlExecutor, JobResult
from scheduler.options import DaemonOptions

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
LOST_AFTER_SECONDS = 60.0
# picking a node and scheduling on it is one step: crawls dispatched at the same moment
# see each other's jobs in daemonstatus.json and spread over the nodes
_schedule_lock = threading.Lock()


class ScrapydError(PricingError):
    """A Scrapyd node refused a request or could not be reached."""

    def __init__(self, node: str, what: str, reason: str) -> None:
        super().__init__(f"scrapyd {node}: {what}: {reason}")


def job_settings(
    database_url: str, config_dir: Path | str, log_format: str = "text"
) -> dict[str, str]:
    """The Scrapy settings a crawl job is scheduled with: the database URL with its
    password removed (a node supplies it through libpq: ``PGPASSWORD`` or a pgpass
    file), the config folder, and the log format."""
    return {
        "PRICING_DATABASE_URL": url_without_password(database_url),
        "PRICING_CONFIG_DIR": str(config_dir),
        "PRICING_LOG_FORMAT": log_format,
    }


class ScrapydClient:
    """The few calls of Scrapyd's JSON API the daemon needs."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(
        self, method: str, endpoint: str, data: Any = None, files: Any = None
    ) -> dict[str, Any]:
        try:
            response = requests.request(
                method,
                f"{self.url}/{endpoint}",
                params=data if method == "GET" else None,
                data=data if method == "POST" else None,
                files=files,
                timeout=self.timeout,
            )
            response.raise_for_status()
            body: dict[str, Any] = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ScrapydError(self.url, endpoint, str(exc)) from None
        if body.get("status") != "ok":
            raise ScrapydError(self.url, endpoint, str(body.get("message", body)))
        return body

    def add_version(self, project: str, version: str, egg: Path) -> None:
        """Upload an egg as ``version`` of ``project`` (Scrapyd lists its spiders to
        check it, so a broken egg is refused here)."""
        with egg.open("rb") as fh:
            self._call(
                "POST",
                "addversion.json",
                {"project": project, "version": version},
                files={"egg": (egg.name, fh, "application/octet-stream")},
            )

    def list_spiders(self, project: str) -> list[str]:
        body = self._call("GET", "listspiders.json", {"project": project})
        return [str(name) for name in body.get("spiders", [])]

    def load(self) -> int:
        """Jobs running or waiting on this node."""
        body = self._call("GET", "daemonstatus.json")
        return int(body.get("running", 0)) + int(body.get("pending", 0))

    def schedule(
        self,
        project: str,
        spider: str,
        job_id: str,
        settings: Mapping[str, str],
        args: Mapping[str, str],
    ) -> None:
        data: list[tuple[str, str]] = [("project", project), ("spider", spider), ("jobid", job_id)]
        data += [("setting", f"{key}={value}") for key, value in settings.items()]
        data += list(args.items())
        self._call("POST", "schedule.json", data)

    def state(self, project: str, job_id: str) -> str | None:
        """``pending``, ``running``, ``finished``, or None for a job the node does not know."""
        body = self._call("GET", "status.json", {"project": project, "job": job_id})
        state = body.get("currstate")
        return str(state) if state else None

    def cancel(self, project: str, job_id: str, signal: str = "TERM") -> str | None:
        body = self._call(
            "POST", "cancel.json", {"project": project, "job": job_id, "signal": signal}
        )
        prev = body.get("prevstate")
        return str(prev) if prev else None


@dataclass(frozen=True)
class RemoteJob:
    node: str
    project: str
    job_id: str

    def __str__(self) -> str:
        return f"{self.node} {self.project} {self.job_id}"

    @classmethod
    def parse(cls, text: str) -> RemoteJob:
        node, project, job_id = text.split(" ")
        return cls(node, project, job_id)


@dataclass(frozen=True)
class RemoteResult(JobResult):
    """How a Scrapyd job ended. ``lost``: the node stopped answering about the job, or
    forgot it; the crawl died with it."""

    job: RemoteJob

    @property
    def where(self) -> str:
        return self.job.node

    def tail(self, max_chars: int = 600) -> str:
        where = f"scrapyd job {self.job.job_id} on {self.job.node}"
        return (f"{self.error} ({where})" if self.error else f"see the log of {where}")[:max_chars]


class Dispatcher:
    """Runs crawls on Scrapyd nodes and watches them until they end."""

    def __init__(
        self,
        nodes: Sequence[str],
        project: str = "default",
        *,
        kill_grace: float = 10.0,
        poll: float = POLL_SECONDS,
        lost_after: float = LOST_AFTER_SECONDS,
    ) -> None:
        if not nodes:
            raise ValueError("no Scrapyd nodes")
        self.clients = [ScrapydClient(url) for url in nodes]
        self.project = project
        self.kill_grace = kill_grace
        self.poll = poll
        self.lost_after = lost_after

    def _pick(self, avoid: Collection[str] = ()) -> ScrapydClient:
        """The reachable node with the least work, preferring nodes not in ``avoid``
        (those that lost a job of this crawl); ScrapydError when none answers."""
        preferred = [c for c in self.clients if c.url not in avoid] or self.clients
        loads: list[tuple[int, int, ScrapydClient]] = []
        errors = []
        for i, client in enumerate(preferred):
            try:
                loads.append((client.load(), i, client))
            except ScrapydError as exc:
                log.warning("%s", exc)
                errors.append(str(exc))
        if not loads:
            raise ScrapydError(
                ", ".join(c.url for c in preferred),
                "daemonstatus.json",
                "no node answered: " + "; ".join(errors),
            )
        return min(loads)[2]

    def run(
        self,
        spider: str,
        *,
        settings: Mapping[str, str],
        args: Mapping[str, str],
        timeout: float,
        stop: threading.Event | Callable[[], bool],
        started: Callable[[RemoteJob], None] | None = None,
        avoid: Collection[str] = (),
    ) -> RemoteResult:
        """Schedule ``spider`` (on a node not in ``avoid`` if one answers) and wait for
        it to finish, be stopped, time out or be lost with its node."""
        begun = time.monotonic()
        with _schedule_lock:
            client = self._pick(avoid)
            job = RemoteJob(client.url, self.project, uuid.uuid4().hex)
            client.schedule(self.project, spider, job.job_id, settings, args)
        log.info("crawl %s: scheduled as %s", spider, job)
        if started is not None:
            started(job)
        should_stop = stop.is_set if isinstance(stop, threading.Event) else stop
        deadline = begun + timeout
        silent_since: float | None = None
        while True:
            try:
                state = client.state(self.project, job.job_id)
                silent_since = None
            except ScrapydError as exc:  # a blip, or the node is gone: lost_after decides
                log.warning("%s", exc)
                state = "unknown"
                silent_since = silent_since or time.monotonic()
                if time.monotonic() - silent_since >= self.lost_after:
                    self.stop(job)  # in case it is only cut off from us
                    reason = f"the node did not answer for {self.lost_after:g}s: {exc}"
                    return self._lost(job, begun, reason)
            if state == "finished":
                return RemoteResult(0, False, False, time.monotonic() - begun, job)
            if state is None:
                return self._lost(job, begun, "the node no longer knows the job (restarted?)")
            timed_out = time.monotonic() >= deadline
            if timed_out or should_stop():
                self.stop(job)
                return RemoteResult(1, timed_out, not timed_out, time.monotonic() - begun, job)
            time.sleep(self.poll)

    @staticmethod
    def _lost(job: RemoteJob, begun: float, reason: str) -> RemoteResult:
        log.error("crawl job %s lost: %s", job, reason)
        return RemoteResult(1, False, False, time.monotonic() - begun, job, lost=True, error=reason)

    def stop(self, job: RemoteJob) -> None:
        """Cancel a job: SIGTERM, then SIGKILL if it is still there after the grace."""
        client = ScrapydClient(job.node)
        try:
            if client.cancel(job.project, job.job_id, "TERM") != "running":
                return
            deadline = time.monotonic() + self.kill_grace
            while time.monotonic() < deadline:
                if client.state(job.project, job.job_id) in ("finished", None):
                    return
                time.sleep(min(self.poll, 0.5))
            client.cancel(job.project, job.job_id, "KILL")
            deadline = time.monotonic() + self.kill_grace
            while time.monotonic() < deadline:
                if client.state(job.project, job.job_id) != "running":
                    return
                time.sleep(0.2)
        except ScrapydError as exc:
            log.error("could not cancel %s: %s", job, exc)


class ScrapydExecutor(CrawlExecutor):
    """Each crawl is a job on the least busy of ``options.scrapyd_nodes``, recorded on
    its task row (``remote``) as soon as it is scheduled. A job watches ``acting``: once
    the daemon stops acting (a stop, a lost lease) the job is cancelled, so the hooks
    that stop local children have nothing to do here."""

    def __init__(
        self, settings: Settings, options: DaemonOptions, db: Database, acting: Callable[[], bool]
    ) -> None:
        self.dispatcher = Dispatcher(
            options.scrapyd_nodes,
            options.scrapyd_project,
            kill_grace=options.kill_grace,
            lost_after=options.scrapyd_lost_after,
        )
        self.scrapy_settings = job_settings(
            settings.database_url, settings.config_dir, settings.log_format
        )
        self.options = options
        self.db = db
        self.acting = acting

    def crawl(
        self, task: DaemonTask, competitor: str, avoid: Collection[str] = ()
    ) -> RemoteResult | None:
        """The crawl as a job on the least busy node not in ``avoid``; a node that
        cannot be reached gives a failed result with the reason in ``error``."""
        opts = self.options
        args = {"base_url": opts.base_urls[competitor]} if competitor in opts.base_urls else {}

        def started(job: RemoteJob) -> None:
            with self.db.session() as session:
                row = session.get(DaemonTask, task.id)
                assert row is not None
                row.remote = str(job)

        if not self.acting():
            return None
        try:
            return self.dispatcher.run(
                competitor,
                settings=self.scrapy_settings,
                args=args,
                timeout=opts.crawl_timeout,
                stop=lambda: not self.acting(),
                started=started,
                avoid=avoid,
            )
        except ScrapydError as exc:
            nowhere = RemoteJob(",".join(opts.scrapyd_nodes), opts.scrapyd_project, "-")
            return RemoteResult(1, False, False, 0.0, nowhere, error=str(exc))

    def close(self) -> None:
        """Nothing to close: a crawl is dispatched only while the daemon acts."""

    def reopen(self) -> None:
        """Nothing to reopen (see :meth:`close`)."""

    def stop(self) -> int:
        """0: each running job cancels itself once the daemon stops acting."""
        return 0

    def kill(self) -> int:
        """0: each running job is cancelled (SIGTERM, then SIGKILL after the kill grace)
        by the thread watching it, once the daemon stops acting."""
        return 0


def stop_orphan(task: DaemonTask, kill_grace: float) -> None:
    """Cancel the Scrapyd job of a task whose daemon died: unlike a local child, a
    Scrapyd job outlives its daemon. Nothing for a task that ran no job."""
    if task.remote:
        job = RemoteJob.parse(task.remote)
        Dispatcher([job.node], kill_grace=kill_grace).stop(job)


EGG_PACKAGE = "crawlers"


def build_egg(out_dir: Path, version: str) -> Path:
    """Zip the ``crawlers`` package (the Scrapy project) into an egg Scrapyd can run:
    the sources plus ``EGG-INFO`` with the ``scrapy`` entry point naming the settings."""
    import crawlers

    source = Path(crawlers.__file__).resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    py = f"py{sys.version_info.major}.{sys.version_info.minor}"
    egg = out_dir / f"pricing_crawlers-{version}-{py}.egg"
    metadata = {
        "PKG-INFO": f"Metadata-Version: 1.1\nName: pricing-crawlers\nVersion: {version}\n",
        "entry_points.txt": f"[scrapy]\nsettings = {EGG_PACKAGE}.settings\n",
        "top_level.txt": f"{EGG_PACKAGE}\n",
        "zip-safe": "\n",
    }
    with zipfile.ZipFile(egg, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(source.rglob("*.py")):
            zf.write(path, f"{EGG_PACKAGE}/{path.relative_to(source).as_posix()}")
        for name, text in metadata.items():
            zf.writestr(f"EGG-INFO/{name}", text)
    return egg


def deploy(
    nodes: Sequence[str], project: str, out_dir: Path, version: str | None = None
) -> dict[str, list[str]]:
    """Build the egg once and upload it to every node; returns each node's spiders."""
    version = version or time.strftime("%Y%m%d%H%M%S")
    egg = build_egg(out_dir, version)
    spiders = {}
    for url in nodes:
        client = ScrapydClient(url, timeout=120)
        client.add_version(project, version, egg)
        spiders[url] = client.list_spiders(project)
        log.info("deployed %s version %s to %s: %s", project, version, url, spiders[url])
    return spiders
