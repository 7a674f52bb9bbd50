"""The nightly report: ``report.html``, ``suggestions.csv`` and ``suggestions.xlsx``.

All three carry the same rows, biggest moves first. The HTML is one self-contained
file (inline CSS and SVG, no script, no CDN) rendered by Jinja2 with autoescaping, so
scraped text stays inert; CSV and XLSX neutralize text that would start a formula.
Each price change in the HTML gets a small chart of the last :data:`CHART_DAYS` days
(ours, each competitor, the suggestion) and the competitor listings behind it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pricing.config import PricingPolicy
from pricing.errors import NotFoundError
from pricing.optimizer.reasons import GLOSSARY
from pricing.reports.cells import csv_value, neutralize
from pricing.reports.detail import SkuDetail, Wanted, load_details
from pricing.reports.season import Season, load_season
from pricing.storage import Database
from pricing.storage.models import (
    TRUSTED_MATCH_STATUSES,
    CrawlRun,
    CrawlStatus,
    Match,
    MatchStatus,
    Part,
    RunStatus,
    Suggestion,
    SuggestionRun,
    utcnow,
)

CHART_DAYS = 120
# charts and listings for this many of the biggest moves; the files keep every row
DETAIL_LIMIT = 500

# (header, attribute or callable, number format for XLSX or None for text)
COLUMNS: list[tuple[str, str, str | None]] = [
    ("sku", "sku", None),
    ("description", "description", None),
    ("category", "category", None),
    ("proprietary", "proprietary", None),
    ("current_price", "current_price", "#,##0.00"),
    ("suggested_price", "suggested_price", "#,##0.00"),
    ("change_pct", "change_pct", "0.0%"),
    ("unit_cost", "unit_cost", "#,##0.00"),
    ("margin_before", "margin_before", "0.0%"),
    ("margin_after", "margin_after", "0.0%"),
    ("competitor_reference", "competitor_reference", "#,##0.00"),
    ("competitor_count", "competitor_count", "0"),
    ("elasticity", "elasticity", "0.00"),
    ("elasticity_se", "elasticity_se", "0.00"),
    ("elasticity_source", "elasticity_source", None),
    ("expected_units_before", "expected_units_before", "0.0"),
    ("expected_units_after", "expected_units_after", "0.0"),
    ("expected_profit_before", "expected_profit_before", "#,##0.00"),
    ("expected_profit_after", "expected_profit_after", "#,##0.00"),
    ("binding_constraint", "binding_constraint", None),
    ("reason_codes", "reasons_text", None),
    ("explanation", "explanation", None),
    ("review_status", "review_status", None),
    ("reviewed_by", "reviewed_by", None),
    ("review_note", "review_note", None),
]


@dataclass(frozen=True)
class ReportRow:
    suggestion: Suggestion
    description: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.suggestion, name)

    @property
    def reasons_text(self) -> str:
        return " ".join(self.suggestion.reason_codes)


@dataclass
class ReportData:
    run: SuggestionRun
    rows: list[ReportRow]
    figures: dict[str, Any]
    flags: list[str] = field(default_factory=list)
    details: dict[str, SkuDetail] = field(default_factory=dict)
    season: Season | None = None


def latest_complete_run(session: Session) -> int:
    run_id = session.scalar(
        select(func.max(SuggestionRun.id)).where(SuggestionRun.status == RunStatus.complete)
    )
    if run_id is None:
        raise NotFoundError("no complete suggestion run yet; run `pricing optimize` first")
    return run_id


def load_report(
    session: Session,
    run_id: int | None = None,
    *,
    details: bool = False,
    as_of: dt.datetime | None = None,
) -> ReportData:
    """A complete run's rows (biggest moves first), headline figures and flags; with
    ``details``, the chart and listings of the :data:`DETAIL_LIMIT` biggest moves, over
    the :data:`CHART_DAYS` before ``as_of`` (default: now, or the run's time if later)."""
    run_id = run_id if run_id is not None else latest_complete_run(session)
    run = session.get(SuggestionRun, run_id)
    if run is None or run.status != RunStatus.complete:
        raise NotFoundError(f"no complete suggestion run {run_id}")
    stmt = (
        select(Suggestion, Part.description)
        .join(Part, Part.sku == Suggestion.sku)
        .where(Suggestion.run_id == run_id)
    )
    rows = [ReportRow(s, d) for s, d in session.execute(stmt)]
    rows.sort(key=lambda r: (-abs(r.change_pct), r.sku))
    data = ReportData(run, rows, _figures(rows), _flags(session, rows))
    if details:
        end = as_of or max(run.created_at, utcnow())
        moved = [
            Wanted(r.sku, r.suggested_price) for r in rows if r.suggested_price != r.current_price
        ][:DETAIL_LIMIT]
        data.season = load_season(session, [r.sku for r in rows], end)
        data.details = load_details(
            session,
            moved,
            currency=run.base_currency,
            start=end - dt.timedelta(days=CHART_DAYS),
            end=end,
            policy=PricingPolicy.of_run(run.policy),
            as_of=run.created_at,
        )
    return data


def _figures(rows: list[ReportRow]) -> dict[str, Any]:
    changed = [r for r in rows if r.suggested_price != r.current_price]
    competitive = [r for r in rows if not r.proprietary]
    before = sum((r.expected_profit_before for r in rows), Decimal(0))
    after = sum((r.expected_profit_after for r in rows), Decimal(0))
    revenue_before = sum(Decimal(str(r.expected_units_before)) * r.current_price for r in rows)
    revenue_after = sum(Decimal(str(r.expected_units_after)) * r.suggested_price for r in rows)
    return {
        "skus": len(rows),
        "changed": len(changed),
        "increases": sum(1 for r in changed if r.suggested_price > r.current_price),
        "decreases": sum(1 for r in changed if r.suggested_price < r.current_price),
        "profit_before": before,
        "profit_after": after,
        "profit_change": after - before,
        "margin_before": before / revenue_before if revenue_before else None,
        "margin_after": after / revenue_after if revenue_after else None,
        "competitive": len(competitive),
        "covered": sum(1 for r in competitive if r.competitor_count),
        "floor_bound": sum(1 for r in rows if "CANNOT_COMPETE_AT_FLOOR" in r.reason_codes),
    }


def category_table(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Per category: expected units, revenue and gross profit per period, and the price
    index of the parts with a competitor reference (our prices over the references),
    before and after the run (``rows``: report rows or optimizer results).
    The share guard keeps the competitive units; this is where an analyst sees it."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = out.setdefault(r.category, {
            "category": r.category, "skus": 0, "units_before": 0.0, "units_after": 0.0,
            "revenue_before": Decimal(0), "revenue_after": Decimal(0),
            "profit_before": Decimal(0), "profit_after": Decimal(0),
            "ours_before": Decimal(0), "ours_after": Decimal(0), "reference": Decimal(0)})
        c["skus"] += 1
        c["units_before"] += r.expected_units_before
        c["units_after"] += r.expected_units_after
        c["revenue_before"] += Decimal(str(r.expected_units_before)) * r.current_price
        c["revenue_after"] += Decimal(str(r.expected_units_after)) * r.suggested_price
        c["profit_before"] += r.expected_profit_before
        c["profit_after"] += r.expected_profit_after
        if r.competitor_reference:
            c["ours_before"] += r.current_price
            c["ours_after"] += r.suggested_price
            c["reference"] += r.competitor_reference
    table = []
    for c in sorted(out.values(), key=lambda c: c["category"]):
        ref = c.pop("reference")
        before, after = c.pop("ours_before"), c.pop("ours_after")
        c["index_before"] = before / ref if ref else None
        c["index_after"] = after / ref if ref else None
        table.append(c)
    return table


def _flags(session: Session, rows: list[ReportRow]) -> list[str]:
    flags = []
    suspect = session.scalars(select(CrawlRun).where(CrawlRun.status == CrawlStatus.suspect)).all()
    for run in suspect:
        flags.append(
            f"Crawl run {run.id} ({run.competitor}) is suspect: {run.note}. "
            "Its prices are not used until confirmed (pricing crawls confirm ID)."
        )
    failed = session.scalar(select(func.count()).where(CrawlRun.status == CrawlStatus.failed))
    if failed:
        flags.append(f"{failed} crawl runs failed.")
    review = session.scalar(select(func.count()).where(Match.status == MatchStatus.needs_review))
    if review:
        flags.append(
            f"{review} competitor listings wait for a match review "
            "(pricing matches --status needs_review)."
        )
    matched = set(
        session.scalars(
            select(Match.sku).where(Match.status.in_(TRUSTED_MATCH_STATUSES)).distinct()
        )
    )
    on_request = [r.sku for r in rows if "CALL_FOR_PRICE" in r.reason_codes]
    if on_request:
        flags.append(
            f"{len(on_request)} SKUs are listed by competitors only as \"call for price\": "
            f"no competitive cap, priced on their own evidence: {_some(on_request)}."
        )
    stale = [
        r.sku for r in rows if not r.proprietary and r.competitor_count == 0 and r.sku in matched
        and "CALL_FOR_PRICE" not in r.reason_codes
    ]
    if stale:
        flags.append(
            f"{len(stale)} SKUs have matched competitor listings but no fresh, in-stock price "
            f"(stale prices): {_some(stale)}."
        )
    floor = [r.sku for r in rows if "CANNOT_COMPETE_AT_FLOOR" in r.reason_codes]
    if floor:
        flags.append(
            f"{len(floor)} SKUs cannot compete at their margin floor: the market is below "
            f"what we may charge: {_some(floor)}."
        )
    return flags


def _some(skus: list[str], limit: int = 10) -> str:
    shown = ", ".join(sorted(skus)[:limit])
    return shown + (f" and {len(skus) - limit} more" if len(skus) > limit else "")


_env = Environment(
    loader=PackageLoader("pricing.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def write_html(data: ReportData, path: Path) -> None:
    html = _env.get_template("report.html.j2").render(
        run=data.run,
        rows=data.rows,
        figures=data.figures,
        flags=data.flags,
        details=data.details,
        season=data.season,
        chart_days=CHART_DAYS,
        detail_limit=DETAIL_LIMIT,
        categories=category_table(data.rows),
        glossary=sorted((code, GLOSSARY[code]) for code in {
            c for r in data.rows for c in r.reason_codes} if code in GLOSSARY),
    )
    path.write_text(html, encoding="utf-8")


def _cell(row: ReportRow, attr: str) -> Any:
    return getattr(row, attr)


_CSV_SCALE = {"#,##0.00": Decimal("0.01"), "0.0%": Decimal("0.0001")}


def _csv_cell(row: ReportRow, attr: str, fmt: str | None) -> object:
    """Money to the cent and ratios to four places, as a spreadsheet user expects."""
    value = _cell(row, attr)
    if isinstance(value, Decimal) and fmt in _CSV_SCALE:
        value = value.quantize(_CSV_SCALE[fmt])
    return csv_value(value)


def write_csv(data: ReportData, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([name for name, _, _ in COLUMNS])
        for row in data.rows:
            writer.writerow([_csv_cell(row, attr, fmt) for _, attr, fmt in COLUMNS])


def write_xlsx(data: ReportData, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"Run {data.run.id}"
    ws.append([name for name, _, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in data.rows:
        values = []
        for _, attr, fmt in COLUMNS:
            value = _cell(row, attr)
            if fmt is not None and value is not None:
                value = float(value)  # typed numbers in the sheet; Decimal stays in CSV/DB
            elif isinstance(value, str):
                value = neutralize(value)
            values.append(value)
        ws.append(values)
    for idx, (_, _, fmt) in enumerate(COLUMNS, start=1):
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    if data.details:
        _listings_sheet(wb, data)
    wb.save(path)


LISTING_COLUMNS = ["sku", "competitor", "title", "url", "unit_price", "currency", "observed_at"]


def _listings_sheet(wb: Any, data: ReportData) -> None:
    """The competitor listings behind the detailed moves: scraped text, neutralized."""
    from openpyxl.styles import Font

    ws = wb.create_sheet("Competitor listings")
    ws.append(LISTING_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for sku, detail in data.details.items():
        for li in detail.listings:
            ws.append(
                [
                    sku,
                    neutralize(li.competitor),
                    neutralize(li.title),
                    neutralize(li.url),
                    float(li.unit_price),
                    li.currency,
                    li.observed_at.replace(tzinfo=None),
                ]
            )
    for (cell,) in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        cell.number_format = "#,##0.00"
    for (cell,) in ws.iter_rows(min_row=2, min_col=7, max_col=7):
        cell.number_format = "yyyy-mm-dd hh:mm"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def write_report(
    db: Database, out_dir: Path, run_id: int | None = None, *, as_of: dt.datetime | None = None
) -> Path:
    """Write the three report files into ``out_dir``; returns the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with db.session() as session:
        data = load_report(session, run_id, details=True, as_of=as_of)
        write_html(data, out_dir / "report.html")
        write_csv(data, out_dir / "suggestions.csv")
        write_xlsx(data, out_dir / "suggestions.xlsx")
    return out_dir / "report.html"
