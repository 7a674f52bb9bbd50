"""``pricing demo``: a season of the whole pipeline on the bundled demo market.

Starts the demo storefronts on free local ports, builds a fresh SQLite database,
imports the demo catalog, cross-references and two years of sales history, then
replays ``nights`` simulated nights ending in the past week. Each night, at that
night's date, competitor prices come in: the first night from a real Scrapy crawl of
the storefronts, later nights from the market's price feed, imported as a data
vendor's file (every price on Mondays, the changes on other days). Every
``price_every``-th night (default weekly, on Mondays: that is what keeps 13 weeks near
a minute) the week's sales are imported and the nightly sequence runs (match,
optimize, the auto-approval rules of ``pricing.yaml``), what they approved is exported
to the ERP price list, and from then on sales arrive in response to the prices in
force. Where the policy has no ``auto_approve`` rules the demo uses one of its own,
:data:`DEMO_RULE` (moves of at most 5 %), and says so. The last night always runs and
is left for review: its small moves auto-approved, the rest pending, nothing
exported. The storefronts play the season of :mod:`demo_market.season` (a price war,
a competitor out of stock...). The last run's report is written at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from pricing import imports
from pricing.config import AppConfig, AutoApproveRule, load_config
from pricing.export import export_approved
from pricing.reports.nightly import write_report
from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import CrawlRun, Part, PriceObservation, ReviewStatus, Suggestion

if TYPE_CHECKING:
    from demo_market import DemoMarket

DEFAULT_NIGHTS = 91
WHO = "demo-analyst"
# the clock of a simulated night (UTC): prices seen, the run, the export, sales imported
CRAWL_AT = dt.time(2)
RUN_AT = dt.time(3)
EXPORT_AT = dt.time(7)
# the demo's auto-approval rule where the policy has none: small moves, never a flagged
# or hard-bound one (those never auto-approve, whatever a rule says)
DEMO_RULE = AutoApproveRule(name="demo-small-moves", max_change=0.05)
FEED_COLUMNS = (
    "competitor", "url", "title", "price", "currency", "brand", "part_number", "gtin",
    "pack_qty", "availability", "observed_at",
)


@dataclass
class DemoResult:
    database_url: str
    report: Path
    run_id: int
    crawled: dict[str, int]
    first_night: dt.date
    nights: int
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    example_sku: str | None = None


def at(day: dt.date, moment: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, moment, dt.UTC)


def season_start(nights: int, today: dt.date | None = None) -> dt.date:
    """The Monday the replay starts on: late enough that its last night is at most a
    week ago, never after yesterday (so ``pricing serve`` today sees all of it)."""
    last = (today or dt.date.today()) - dt.timedelta(days=1)
    start = last - dt.timedelta(days=nights - 1)
    return start - dt.timedelta(days=start.weekday())


def run_demo(
    out: Path,
    config_dir: Path,
    *,
    progress: Callable[[str], None] = print,
    nights: int = DEFAULT_NIGHTS,
    price_every: int = 7,
    today: dt.date | None = None,
) -> DemoResult:
    from demo_market import DemoMarket, season, write_demo_inputs

    if nights < 1 or price_every < 1:
        raise ValueError("--nights and --price-every must be at least 1")
    started = time.monotonic()
    config = load_config(config_dir)
    if not config.policy.auto_approve:
        config = config.model_copy(update={"policy": config.policy.model_copy(
            update={"auto_approve": [DEMO_RULE]})})
        progress(f"auto-approval: pricing.yaml has no rules; the demo uses {DEMO_RULE.name} "
                 f"(moves up to {DEMO_RULE.max_change:.0%}; flagged or hard-bound ones wait)")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    url = f"sqlite:///{(out / 'pricing.db').resolve()}"
    db = Database(url)
    db.upgrade()
    progress(f"database: {url}")

    first = season_start(nights, today)
    inputs = write_demo_inputs(out / "inputs", anchor=first)
    before = at(first - dt.timedelta(days=1), EXPORT_AT)
    imports.import_catalog(db, inputs.catalog, as_of=before)
    imports.import_xrefs(db, inputs.xref)
    imports.import_sales(db, inputs.sales)
    progress("imported the demo catalog, cross-references and two years of weekly sales")

    last = first + dt.timedelta(days=nights - 1)
    progress(f"replaying {nights} nights, {first.isoformat()} to {last.isoformat()}; the season:")
    for line in season.describe(first):
        progress(f"  {line}")
    with DemoMarket(day=first, anchor=first) as market:
        replay = _Replay(db, config, Settings(database_url=url, config_dir=config_dir),
                         market, out, progress, price_every)
        for n in range(nights):
            replay.night(first + dt.timedelta(days=n), n, last=n == nights - 1)
    run_id = replay.last_run
    assert run_id is not None
    report = write_report(db, out / "report", run_id, as_of=at(last, RUN_AT))
    result = DemoResult(url, report, run_id, replay.crawled, first, nights)
    result.counts = _counts(db, replay)
    result.example_sku = _example_sku(db)
    db.dispose()
    result.seconds = time.monotonic() - started
    return result


class _Replay:
    """One simulated night after another, against one running demo market."""

    def __init__(
        self,
        db: Database,
        config: AppConfig,
        settings: Settings,
        market: DemoMarket,
        out: Path,
        progress: Callable[[str], None],
        price_every: int,
    ) -> None:
        self.db, self.config, self.settings, self.market = db, config, settings, market
        self.out, self.progress, self.price_every = out, progress, price_every
        # what the feed last said per URL, so a weekday's file carries only the changes
        self.last_seen: dict[str, tuple[object, str]] = {}
        self.crawled: dict[str, int] = {}
        self.names = [c.name for c in config.competitors if c.enabled and c.name in market.names]
        self.last_run: int | None = None
        self.approved = self.exported = self.runs = self.feed_rows = 0
        # per SKU and week start: [units, revenue] of the week being sold
        self.week: dict[tuple[str, dt.date], list[Decimal]] = defaultdict(
            lambda: [Decimal(0), Decimal(0)]
        )

    def night(self, day: dt.date, n: int, *, last: bool = False) -> None:
        """One simulated night; the ``last`` run is left for the analyst's morning
        review (its small moves approved, nothing exported yet)."""
        self.market.day = day
        if n == 0:
            self._crawl(day)
        else:
            self._feed(day)
        if day.weekday() == 0 and n > 0:
            self._import_sales(day)
        if n % self.price_every == 0 or last:
            self._price(day, export=not last)
        self._sell(day)
        if n % 7 == 6 or n == 0:
            self.progress(
                f"{day.isoformat()}: run {self.last_run}, {self.approved} approved and "
                f"{self.exported} exported so far"
            )

    def _crawl(self, day: dt.date) -> None:
        from crawlers.runner import run_crawls

        self.progress(
            "crawling the demo market with Scrapy: "
            + ", ".join(f"{n} at {self.market.base_urls[n]}" for n in self.names)
        )
        outcomes = run_crawls(
            self.settings, self.config, self.names, base_urls=self.market.base_urls,
            log_level="WARNING", observed_at=at(day, CRAWL_AT),
        )
        self.crawled = {o.competitor: o.items for o in outcomes}
        for name in self.names:
            for t in self.market.ground_truth(name, day):
                self.last_seen[t.url] = (t.price, t.availability)
        self.progress(
            "crawled: " + ", ".join(f"{n}: {items} products" for n, items in self.crawled.items())
        )

    def _feed(self, day: dt.date) -> None:
        """The day's prices as a data vendor's file, imported: on Mondays every price
        (so none grows stale), on other days those that changed."""
        path = self.out / "inputs" / "feed" / f"observations-{day.isoformat()}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        seen = at(day, CRAWL_AT).isoformat()
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(FEED_COLUMNS)
            for name in self.names:
                for t in self.market.ground_truth(name, day):
                    if t.price is None:
                        continue
                    state = (t.price, t.availability)
                    if day.weekday() != 0 and self.last_seen.get(t.url) == state:
                        continue
                    self.last_seen[t.url] = state
                    writer.writerow([
                        name, t.url, t.title, f"{t.price:f}", t.currency, t.brand,
                        t.part_number, t.gtin or "", t.pack_qty, t.availability, seen,
                    ])
        result = imports.import_observations(self.db, path, as_of=at(day, RUN_AT))
        self.feed_rows += result.imported
        path.unlink()  # the database keeps it; a season of files is only clutter

    def _price(self, day: dt.date, *, export: bool) -> None:
        from scheduler.nightly import run_nightly

        result = run_nightly(self.db, self.config, None, as_of=at(day, RUN_AT))
        self.last_run, self.runs = result.run_id, self.runs + 1
        approved = result.auto_approved
        self.approved += approved
        if approved and export:
            path = self.out / "exports" / f"price-list-run{result.run_id}.csv"
            exported = export_approved(
                self.db, result.run_id, WHO, self.config.policy, path, as_of=at(day, EXPORT_AT)
            )
            self.exported += exported.rows

    def _sell(self, day: dt.date) -> None:
        """The day's sales at the prices in force after the morning's export."""
        with self.db.session() as session:
            prices = {sku: p for sku, p in session.execute(select(Part.sku, Part.price))}
        week = day - dt.timedelta(days=day.weekday())
        for sku, units in self.market.world.day_sales(day, prices).items():
            cell = self.week[sku, week]
            cell[0] += units
            cell[1] += units * prices[sku]

    def _import_sales(self, day: dt.date) -> None:
        """Last week's sales, one row per SKU, as ``pricing sales import`` reads them."""
        week = day - dt.timedelta(days=7)
        path = self.out / "inputs" / f"sales-{week.isoformat()}.csv"
        with self.db.session() as session:
            prices = {sku: p for sku, p in session.execute(select(Part.sku, Part.price))}
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(("sku", "date", "units", "unit_price"))
            for (sku, start), (units, revenue) in sorted(self.week.items()):
                if start != week:
                    continue
                price = (revenue / units).quantize(Decimal("0.01"), ROUND_HALF_UP) if units else (
                    prices[sku]
                )
                writer.writerow((sku, start.isoformat(), int(units), f"{price:f}"))
        imports.import_sales(self.db, path)
        self.week = defaultdict(
            lambda: [Decimal(0), Decimal(0)], {k: v for k, v in self.week.items() if k[1] != week}
        )


def _counts(db: Database, replay: _Replay) -> dict[str, int]:
    with db.session() as session:
        def count(stmt: object) -> int:
            return int(session.scalar(stmt) or 0)  # type: ignore[call-overload]

        pending = count(
            select(func.count()).select_from(Suggestion).where(
                Suggestion.run_id == replay.last_run,
                Suggestion.review_status == ReviewStatus.pending,
                Suggestion.suggested_price != Suggestion.current_price,
            )
        )
        return {
            "crawls": count(select(func.count()).select_from(CrawlRun)),
            "observations": count(select(func.count()).select_from(PriceObservation)),
            "runs": replay.runs,
            "suggestions": count(select(func.count()).select_from(Suggestion)),
            "approved": replay.approved,
            "pending": pending,
            "exported": replay.exported,
        }


def _example_sku(db: Database) -> str | None:
    """A SKU worth looking at: the one whose price changed most often this season."""
    from pricing.storage.models import OurPrice

    with db.session() as session:
        return session.scalar(
            select(OurPrice.sku)
            .where(OurPrice.source.like("export:%"))
            .group_by(OurPrice.sku)
            .order_by(func.count().desc(), OurPrice.sku)
            .limit(1)
        )
