"""What a load balancer and a monitoring system read: ``/healthz`` and ``/metrics``.

Both answer without a login. ``/healthz`` is 200 ``{"status": "ok"}`` while the database
answers a query, 503 otherwise. ``/metrics`` is the Prometheus text format, read from the
database when it is scraped (a custom collector: every web process, and any number of
them, reports the same figures, whoever wrote them):

=============================================  ==========================================
``pricing_database_up``                        1 when the figures below could be read
``pricing_crawl_last_success_timestamp_seconds``  per competitor: end of its last good run
``pricing_crawl_last_success_age_seconds``     per competitor: seconds since then (+Inf
                                               for a configured competitor never crawled)
``pricing_crawl_last_run_timestamp_seconds``   per competitor: end of its last finished run
``pricing_crawl_last_run_items``               ... items found by that run
``pricing_crawl_last_run_errors``              ... pages it lost to faults
``pricing_crawl_last_run_requests``            ... requests it made
``pricing_crawl_last_run_status``              ... 1 for its status (label ``status``)
``pricing_daemon_lease_active``                1 while a daemon holds the scheduler lease
                                               (label ``holder``: the acting daemon)
``pricing_daemon_lease_term``                  grows by one at every change of holder
``pricing_alerts_pending``                     alert events no message has carried yet
``pricing_suggestion_run_last_duration_seconds``  the last complete suggestion run
``pricing_suggestion_run_last_timestamp_seconds`` ... when it finished
``pricing_suggestion_run_last_age_seconds``    ... seconds since then
=============================================  ==========================================
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pricing.storage import Database
from pricing.storage.models import (
    TRUSTED_RUN_STATUSES,
    AlertEvent,
    CrawlRun,
    CrawlStatus,
    DaemonLease,
    RunStatus,
    SuggestionRun,
    utcnow,
)
from pricing.web.deps import WebState, web_state

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
State = Annotated[WebState, Depends(web_state)]


@router.get("/healthz", summary="200 while the database answers, 503 otherwise")
def healthz(state: State) -> JSONResponse:
    try:
        with state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
        return JSONResponse({"status": "unavailable", "detail": reason}, status_code=503)
    return JSONResponse({"status": "ok"})


# Prometheus' text format, not part of the JSON API's OpenAPI schema
@router.get("/metrics", include_in_schema=False)
def metrics(state: State) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PricingCollector(state.db, [c.name for c in state.config.competitors]))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _seconds(when: dt.datetime | None) -> float | None:
    return when.timestamp() if when is not None else None


class PricingCollector(Collector):
    """The figures above, from one read of the database per scrape."""

    def __init__(self, db: Database, configured: Iterable[str] = ()) -> None:
        self.db = db
        self.configured = list(configured)

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("pricing_database_up", "1 when the database answered the scrape")
        try:
            with self.db.session() as session:
                families = list(self._families(session, utcnow()))
        except SQLAlchemyError as exc:
            log.warning("metrics: database unavailable: %s", str(exc).splitlines()[0])
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, session: Session, now: dt.datetime) -> Iterator[Metric]:
        yield from self._crawls(session, now)
        yield from self._lease(session, now)
        pending = session.scalar(
            select(func.count(AlertEvent.id)).where(AlertEvent.sent_at.is_(None))
        )
        alerts = GaugeMetricFamily("pricing_alerts_pending", "Alert events not yet sent")
        alerts.add_metric([], float(pending or 0))
        yield alerts
        yield from self._suggestions(session, now)

    def _crawls(self, session: Session, now: dt.datetime) -> Iterator[Metric]:
        good_at = dict(
            session.execute(
                select(CrawlRun.competitor, func.max(CrawlRun.finished_at))
                .where(CrawlRun.status.in_(TRUSTED_RUN_STATUSES))
                .group_by(CrawlRun.competitor)
            ).all()
        )
        last_ids = (
            select(func.max(CrawlRun.id))
            .where(CrawlRun.status != CrawlStatus.running)
            .group_by(CrawlRun.competitor)
        )
        last = {
            r.competitor: r
            for r in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(last_ids)))
        }
        label = ["competitor"]
        success = GaugeMetricFamily(
            "pricing_crawl_last_success_timestamp_seconds",
            "End of the competitor's last good (succeeded or confirmed) crawl run",
            labels=label,
        )
        age = GaugeMetricFamily(
            "pricing_crawl_last_success_age_seconds",
            "Seconds since the competitor's last good crawl run (+Inf: never)",
            labels=label,
        )
        for name in sorted(set(good_at) | set(last) | set(self.configured)):
            finished = _seconds(good_at.get(name))
            if finished is not None:
                success.add_metric([name], finished)
            age.add_metric([name], now.timestamp() - finished if finished is not None else math.inf)
        yield success
        yield age
        finished_at = GaugeMetricFamily(
            "pricing_crawl_last_run_timestamp_seconds",
            "End of the competitor's last finished crawl run",
            labels=label,
        )
        items = GaugeMetricFamily(
            "pricing_crawl_last_run_items",
            "Items found by the last finished crawl run",
            labels=label,
        )
        errors = GaugeMetricFamily(
            "pricing_crawl_last_run_errors",
            "Pages the last finished crawl run lost to faults (after retries)",
            labels=label,
        )
        requests = GaugeMetricFamily(
            "pricing_crawl_last_run_requests",
            "Requests made by the last finished crawl run",
            labels=label,
        )
        status = GaugeMetricFamily(
            "pricing_crawl_last_run_status",
            "1 for the status of the last finished crawl run (succeeded, suspect, failed...)",
            labels=["competitor", "status"],
        )
        for name, run in sorted(last.items()):
            when = _seconds(run.finished_at)
            if when is not None:
                finished_at.add_metric([name], when)
            items.add_metric([name], run.items)
            errors.add_metric([name], run.errors)
            requests.add_metric([name], run.requests)
            status.add_metric([name, run.status], 1)
        yield from (finished_at, items, errors, requests, status)

    def _lease(self, session: Session, now: dt.datetime) -> Iterator[Metric]:
        active = GaugeMetricFamily(
            "pricing_daemon_lease_active",
            "1 while a daemon holds the lease (label holder: the acting daemon)",
            labels=["lease", "holder"],
        )
        term = GaugeMetricFamily(
            "pricing_daemon_lease_term", "Changes of lease holder so far", labels=["lease"]
        )
        for lease in session.scalars(select(DaemonLease).order_by(DaemonLease.name)):
            held = lease.holder is not None and lease.expires_at > now
            active.add_metric(
                [lease.name, lease.holder if held and lease.holder else ""], int(held)
            )
            term.add_metric([lease.name], lease.term)
        yield active
        yield term

    def _suggestions(self, session: Session, now: dt.datetime) -> Iterator[Metric]:
        run = session.scalars(
            select(SuggestionRun)
            .where(
                SuggestionRun.status == RunStatus.complete, SuggestionRun.finished_at.is_not(None)
            )
            .order_by(SuggestionRun.id.desc())
            .limit(1)
        ).first()
        duration = GaugeMetricFamily(
            "pricing_suggestion_run_last_duration_seconds",
            "How long the last complete suggestion run took",
        )
        finished = GaugeMetricFamily(
            "pricing_suggestion_run_last_timestamp_seconds",
            "When the last complete suggestion run finished",
        )
        age = GaugeMetricFamily(
            "pricing_suggestion_run_last_age_seconds",
            "Seconds since the last complete suggestion run finished (+Inf: never)",
        )
        if run is not None and run.finished_at is not None:
            duration.add_metric([], (run.finished_at - run.created_at).total_seconds())
            finished.add_metric([], run.finished_at.timestamp())
            age.add_metric([], (now - run.finished_at).total_seconds())
        else:
            age.add_metric([], math.inf)
        yield from (duration, finished, age)
