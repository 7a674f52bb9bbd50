"""The database schema as SQLAlchemy 2.0 typed models. Alembic owns the DDL.

Money is ``Numeric`` (Decimal in Python), never float; every timestamp is UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pricing.matching.records import MatchStatus

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores UTC; always hands back an aware datetime, also on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


Money = Numeric(18, 4, asdecimal=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the values of the status columns --------------------------------------------
# Each is a StrEnum whose members equal their stored strings, so rows, JSON and CSV
# hold the same text as before; ``MatchStatus`` lives with the pure matcher (which
# decides most of them) and is re-exported here.


class CrawlStatus(StrEnum):
    """A crawl run's status (``CrawlRun.status``)."""

    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    suspect = "suspect"
    confirmed = "confirmed"  # a suspect run a person vouched for


class RunStatus(StrEnum):
    """A suggestion run's status (``SuggestionRun.status``): only complete runs are
    ever reported or reviewed."""

    running = "running"
    complete = "complete"
    failed = "failed"


class ReviewStatus(StrEnum):
    """A suggestion's review status (``Suggestion.review_status``)."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    overridden = "overridden"


class TaskStatus(StrEnum):
    """How a daemon task ended (``DaemonTask.status``)."""

    running = "running"
    succeeded = "succeeded"
    suspect = "suspect"
    failed = "failed"
    timed_out = "timed_out"
    cancelled = "cancelled"
    interrupted = "interrupted"


# Match statuses whose listings feed prices; crawl run statuses whose prices count.
TRUSTED_MATCH_STATUSES = (MatchStatus.auto, MatchStatus.confirmed)
HUMAN_MATCH_STATUSES = (MatchStatus.confirmed, MatchStatus.rejected)
TRUSTED_RUN_STATUSES = (CrawlStatus.succeeded, CrawlStatus.confirmed)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Part(Base):
    """One row of our catalog: an internal SKU."""

    __tablename__ = "parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    part_number: Mapped[str] = mapped_column(String(128))
    part_number_norm: Mapped[str] = mapped_column(String(128), index=True)
    description: Mapped[str] = mapped_column(Text)
    brand: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(128), index=True)
    family: Mapped[str] = mapped_column(String(128))
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    pack_qty: Mapped[int] = mapped_column(Integer, default=1)
    proprietary: Mapped[bool] = mapped_column(Boolean, default=False)
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    map_price: Mapped[Decimal | None] = mapped_column(Money)
    list_price: Mapped[Decimal | None] = mapped_column(Money)  # a ceiling (MSRP)
    ladder_group: Mapped[str | None] = mapped_column(String(128))  # one item's tiers/packs
    min_margin: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    superseded_by: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OurPrice(Base):
    """Our own price over time: one row each time a SKU's price changes."""

    __tablename__ = "our_prices"
    __table_args__ = (UniqueConstraint("sku", "effective_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("parts.sku", ondelete="CASCADE"))
    effective_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(32))


class CrossReference(Base):
    __tablename__ = "cross_references"
    __table_args__ = (UniqueConstraint("brand_norm", "part_number_norm", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competitor_brand: Mapped[str] = mapped_column(String(128))
    competitor_part_number: Mapped[str] = mapped_column(String(128))
    brand_norm: Mapped[str] = mapped_column(String(128))
    part_number_norm: Mapped[str] = mapped_column(String(128), index=True)
    sku: Mapped[str] = mapped_column(String(64), index=True)
    relation: Mapped[str] = mapped_column(String(16), default="equivalent")


class SalesRecord(Base):
    __tablename__ = "sales_history"
    # the optimizer reads every SKU's periods in order: the series index carries the
    # figures too, so that read is one pass over an index and never visits the table
    __table_args__ = (
        UniqueConstraint("sku", "period_start"),
        Index("ix_sales_history_series", "sku", "period_start", "units", "unit_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[dt.date] = mapped_column(Date)
    units: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit_price: Mapped[Decimal] = mapped_column(Money)


class CompetitorRecord(Base):
    """A competitor known to the database (from config, a crawl or an import)."""

    __tablename__ = "competitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    base_url: Mapped[str | None] = mapped_column(String(512))


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    competitor: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=CrawlStatus.running)  # CrawlStatus
    requests: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)


class Listing(Base):
    """A competitor's product page (or a row from an observations file)."""

    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("competitor", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competitor: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(1024))
    title: Mapped[str] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(String(128))
    part_number: Mapped[str | None] = mapped_column(String(128))
    gtin: Mapped[str | None] = mapped_column(String(14))
    pack_qty: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # set when the listing's identifying fields change, so matching looks at it again
    needs_match: Mapped[bool] = mapped_column(Boolean, default=True, index=True)


# what a price history shows of each observation (see PriceObservation's indexes)
HISTORY_SHOWS = ("price", "unit_price", "currency", "pack_qty")


class PriceObservation(Base):
    """One price seen on one listing at one moment. Written idempotently."""

    __tablename__ = "price_observations"
    # The unique (listing_id, observed_at) index finds "one listing over time" and also
    # carries what a price history shows, so reading a history never visits the table.
    # PostgreSQL keeps both in one index (the key plus INCLUDE columns), one index fewer
    # for every observation written; SQLite has no INCLUDE, so it keeps the unique key
    # and a second index of the key and the shown columns. Most observations come from
    # imports, without a crawl run: PostgreSQL indexes only those with one.
    __table_args__ = (
        Index(
            "uq_price_observations_key",
            "listing_id",
            "observed_at",
            unique=True,
            postgresql_include=list(HISTORY_SHOWS),
        ).ddl_if(dialect="postgresql"),
        UniqueConstraint("listing_id", "observed_at").ddl_if(dialect="sqlite"),
        Index(
            "ix_price_observations_history", "listing_id", "observed_at", *HISTORY_SHOWS
        ).ddl_if(dialect="sqlite"),
        Index(
            "ix_price_observations_crawl_run_id",
            "crawl_run_id",
            postgresql_where=text("crawl_run_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL")
    )
    observed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    price: Mapped[Decimal | None] = mapped_column(Money)
    price_text: Mapped[str | None] = mapped_column(String(256))
    currency: Mapped[str | None] = mapped_column(String(3))
    list_price: Mapped[Decimal | None] = mapped_column(Money)
    pack_qty: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    availability: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="crawl")


class Match(Base):
    """Which internal SKU a listing is (or none), how sure, and who said so."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), unique=True
    )
    sku: Mapped[str | None] = mapped_column(String(64), index=True)
    method: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column()
    # a MatchStatus (see TRUSTED_MATCH_STATUSES)
    status: Mapped[str] = mapped_column(String(16), index=True)
    competitor_part_number: Mapped[str | None] = mapped_column(String(128))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # same | alternative | kit (pricing.matching.records.MATCH_RELATIONS); None: no SKU
    relation: Mapped[str | None] = mapped_column(String(16))
    # the fact the matcher's decision rests on, in words (MatchResult.evidence)
    evidence: Mapped[str | None] = mapped_column(Text)
    # how likely a person would confirm it, from the model fitted on their decisions
    # (pricing.matching.learned); None without enough decisions
    learned_probability: Mapped[float | None] = mapped_column()


class MatchState(Base):
    """What the last ``pricing match`` ran against: a fingerprint of the catalog, the
    cross-references, the matching settings and rules. When it changes, every listing
    no person has decided is matched again; otherwise only new or changed listings."""

    __tablename__ = "match_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    matched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SuggestionRun(Base):
    __tablename__ = "suggestion_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # a RunStatus: only complete runs are ever reported or reviewed
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.running)
    base_currency: Mapped[str] = mapped_column(String(3))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Suggestion(Base):
    __tablename__ = "suggestions"
    __table_args__ = (UniqueConstraint("run_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("suggestion_runs.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(128))
    proprietary: Mapped[bool] = mapped_column(Boolean)
    current_price: Mapped[Decimal] = mapped_column(Money)
    suggested_price: Mapped[Decimal] = mapped_column(Money)
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    margin_before: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    margin_after: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    competitor_reference: Mapped[Decimal | None] = mapped_column(Money)
    competitor_count: Mapped[int] = mapped_column(Integer, default=0)
    elasticity: Mapped[float] = mapped_column()
    elasticity_se: Mapped[float | None] = mapped_column()
    elasticity_source: Mapped[str] = mapped_column(String(16))
    expected_units_before: Mapped[float] = mapped_column()
    expected_units_after: Mapped[float] = mapped_column()
    expected_profit_before: Mapped[Decimal] = mapped_column(Money)
    expected_profit_after: Mapped[Decimal] = mapped_column(Money)
    binding_constraint: Mapped[str | None] = mapped_column(String(32))
    reason_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    explanation: Mapped[str] = mapped_column(Text)
    # the part's currency when the run priced it (None on runs made before 0005)
    currency: Mapped[str | None] = mapped_column(String(3))
    review_status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.pending)
    approved_price: Mapped[Decimal | None] = mapped_column(Money)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)

    @property
    def change(self) -> Decimal:
        """Suggested minus current price."""
        return price_change(self.suggested_price, self.current_price)

    @property
    def change_pct(self) -> Decimal:
        """The change as a fraction of the current price, to four places."""
        return change_fraction(self.suggested_price, self.current_price)


def price_change(suggested: Decimal, current: Decimal) -> Decimal:
    """A suggestion's change: suggested minus current price."""
    return suggested - current


def change_fraction(suggested: Decimal, current: Decimal) -> Decimal:
    """A suggestion's change as a fraction of the current price, to four places."""
    return ((suggested - current) / current).quantize(Decimal("0.0001"))


class PriceExport(Base):
    """A run's one export to the ERP: who, when, which file, what was left out and why.

    ``run_id`` is unique in the database, so a run is exported at most once however
    many exports start at the same moment; ``content`` is the file exactly as written,
    which a repeated export hands back instead of writing anything new.
    """

    __tablename__ = "price_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("suggestion_runs.id", ondelete="CASCADE"), unique=True
    )
    exported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    exported_by: Mapped[str] = mapped_column(String(128))
    file: Mapped[str] = mapped_column(String(1024))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    # [{"sku": ..., "reason": ...}] for every approved price the re-check refused
    left_out: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    content: Mapped[str] = mapped_column(Text, default="")


# --- the scheduler daemon (scheduler/) ----------------------------------------------


class SchedulerJob(Base):
    """APScheduler's job store (``apscheduler_jobs``), declared here so Alembic owns it.

    The columns mirror ``apscheduler.jobstores.sqlalchemy.SQLAlchemyJobStore`` exactly;
    only the daemon writes it (pickled job state), ``pricing status`` reads the times.
    """

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)


class DaemonLease(Base):
    """Leader election: the daemon named in ``holder`` may act until ``expires_at``.

    Taken and renewed with conditional UPDATEs, so it works the same on SQLite and
    PostgreSQL; ``term`` grows by one at every change of holder.
    """

    __tablename__ = "daemon_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(255))
    term: Mapped[int] = mapped_column(Integer, default=0)
    acquired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    renewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DaemonTask(Base):
    """One piece of work the daemon started (a crawl or a nightly run) and how it ended.

    ``after_run_id`` is the highest crawl run id (crawls) or suggestion run id (nightly)
    when the task started: the runs it made have larger ids, which is how a restarted
    daemon finds and fails the runs a killed one left ``running``.
    """

    __tablename__ = "daemon_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # crawl | nightly
    target: Mapped[str] = mapped_column(String(64), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    holder: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(  # a TaskStatus
        String(16), default=TaskStatus.running, index=True
    )
    after_run_id: Mapped[int] = mapped_column(Integer, default=0)
    # a crawl dispatched to Scrapyd: "NODE_URL PROJECT JOB_ID"
    remote: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)


class AlertEvent(Base):
    """Something a person should hear about; pending until a message carries it."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # crawl_failed | crawl_suspect | crawl_timed_out | nightly_failed | task_interrupted
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    delivery: Mapped[str | None] = mapped_column(Text)


# --- the web application (pricing/web/) ---------------------------------------------


class WebSession(Base):
    """A logged-in web session (:mod:`pricing.web.sessions`).

    ``id`` is the SHA-256 of the random session id the browser holds, so reading this
    table gives nobody a usable cookie. ``password_tag`` fingerprints the user's password
    hash at login: when the password changes, the session ends.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    password_tag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    address: Mapped[str | None] = mapped_column(String(64))
