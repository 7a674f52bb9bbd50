"""Optimize step: gather each SKU's inputs, run the optimizer, store a suggestion run.

The competitor prices that count are :mod:`pricing.competitor_prices`'s; each is
converted with the rate in force on the day it was observed (``fx:`` in
``pricing.yaml``) into the currency of the part it is compared with. A price with no
rate is left out and counted in the run summary.

Inputs are read with a few Core selects on the driver's cursor (latest observation per
listing by ``GROUP BY``; sales as NumPy arrays, by a helper process on the second core
when there are many: :mod:`pricing.pipeline.sales`), so 100,000 SKUs load in a few
seconds. A run is written as ``running`` first and marked ``complete`` only after all
its suggestions are stored, so a killed run is never reported or reviewed.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from pricing.bounds import MAX_PACK_QTY, money_problem
from pricing.competitor_prices import (
    LeftOutPrices,
    PartKey,
    PartPrices,
    call_for_price,
    counted_prices,
    longest_age,
)
from pricing.config import PricingPolicy
from pricing.optimizer import (
    LadderPolicy,
    OptimizationRun,
    OptimizerInputError,
    PartInput,
    SalesHistory,
    SuggestionResult,
    optimize_run,
)
from pricing.optimizer.constraints import KINDS
from pricing.optimizer.results import SuggestionTable
from pricing.pipeline.sales import SalesPrefetch, read_sales
from pricing.storage import Database
from pricing.storage.columns import read_columns
from pricing.storage.models import (
    OurPrice,
    Part,
    ReviewStatus,
    RunStatus,
    Suggestion,
    SuggestionRun,
    utcnow,
)

log = logging.getLogger(__name__)

_INSERT_CHUNK = 5000


# --- inputs ---------------------------------------------------------------------------


@dataclass
class LeftOut(LeftOutPrices):
    """What a run left out, with the reason, for the run summary: competitor prices
    (:class:`LeftOutPrices`), parts and sales histories."""
    # parts that cannot be priced as stored: SKU -> why (the run goes on without them)
    parts: dict[str, str] = field(default_factory=dict)
    # sales histories out of bounds: SKU -> why (those parts are priced without them)
    sales: dict[str, str] = field(default_factory=dict)

    def messages(self, base: str) -> list[str]:
        out = []
        if self.parts:
            out.append(f"{len(self.parts)} SKUs skipped: they cannot be priced as stored "
                       "(each is listed with its reason)")
        if self.sales:
            out.append(f"{len(self.sales)} SKUs priced without their sales history: it has "
                       "a period out of bounds (each is listed with its reason)")
        if self.counts["stale"]:
            out.append(f"{self.counts['stale']} competitor prices older than max_age_days "
                       "left out")
        for currency, n in sorted(self.missing_rates.items()):
            out.append(
                f"{n} competitor prices in {currency} left out: no exchange rate to {base} "
                f"in force on the day they were observed (add one under fx.rates.{currency} "
                "in pricing.yaml)"
            )
        if self.pack_from_title:
            out.append(f"{self.pack_from_title} competitor prices divided by the pack "
                       "quantity their title states (no pack quantity recorded)")
        return out


def read_inputs(
    session: Session, policy: PricingPolicy, as_of: dt.datetime,
    competitor_moves: Mapping[str, Decimal] | None = None,
) -> tuple[list[PartInput], LeftOut]:
    """The optimizer's inputs for every current SKU that can be priced, sales histories
    included, and what was left out and why (``competitor_moves``: see
    :func:`read_part_inputs`)."""
    inputs, left_out = read_part_inputs(session, policy, as_of, competitor_moves)
    histories = read_sales(session, left_out.sales)
    return [replace(p, sales=histories[p.sku]) if p.sku in histories else p
            for p in inputs], left_out


def read_part_inputs(
    session: Session, policy: PricingPolicy, as_of: dt.datetime,
    competitor_moves: Mapping[str, Decimal] | None = None,
) -> tuple[list[PartInput], LeftOut]:
    """:func:`read_inputs` without the sales histories (``sales`` is None on each).
    Parts that cannot be priced are left out, with the reason, in ``LeftOut.parts``.
    ``competitor_moves`` (what-if scenarios: :mod:`pricing.whatif`) moves every price
    of the named competitors by that fraction (-0.1: 10 % lower)."""
    parts = list(zip(*read_columns(session.connection(), (
        select(
            Part.sku, Part.category, Part.family, Part.proprietary, Part.unit_cost, Part.price,
            Part.currency, Part.pack_qty, Part.map_price, Part.min_margin, Part.tier,
            Part.list_price, Part.ladder_group,
        )
        .where(Part.superseded_by.is_(None))
        .order_by(Part.sku)
    )), strict=True))
    oldest = as_of - dt.timedelta(days=longest_age(policy))
    on_request = call_for_price(session, oldest)
    left_out = LeftOut()
    counted = counted_prices(session, policy, as_of, (
        PartKey(sku, category, proprietary, currency)
        for sku, category, _, proprietary, _, _, currency, *_ in parts), left_out=left_out,
        competitor_moves=competitor_moves)
    inputs = []
    ours = our_price_history(session)
    windows = _PerPool(lambda key: policy.resolve(*key).rise_window_days)
    for (sku, category, family, proprietary, cost, price, currency, pack, map_price,
         min_margin, tier, list_price, ladder_group) in parts:
        mine = counted.get(sku) or PartPrices()
        unit_prices = [c.value for c in mine.references]
        inputs.append(
            PartInput(
                sku=sku,
                category=category,
                family=family,
                proprietary=proprietary,
                unit_cost=cost,
                current_price=price,
                currency=currency,
                pack_qty=pack,
                map_price=map_price,
                min_margin=min_margin,
                tier=tier,
                competitor_unit_prices=unit_prices,
                competitor_currency=mine.currency,
                list_price=list_price,
                ladder_group=ladder_group,
                alternative_unit_prices=[c.value for c in mine.alternatives],
                call_for_price=sku in on_request and not unit_prices,
                **ours.inputs(sku, price, as_of, windows[category, proprietary]
                              if sku in ours.rows else 0),
            )
        )
    inputs, left_out.parts = priceable(inputs)
    return inputs, left_out


@dataclass
class OurPriceHistory:
    """Our own prices over time (``our_prices``), per SKU oldest first: what the
    closed-loop guards need to know about the optimizer's own moves."""

    rows: dict[str, list[tuple[dt.datetime, Decimal, str]]]

    def inputs(self, sku: str, current: Decimal, as_of: dt.datetime, window_days: int
               ) -> dict[str, Any]:
        """``anchor_price`` (the price the catalog last set), ``previous_prices`` (up to
        eight before the current one, newest first) and ``window_price`` (the price in
        force ``window_days`` before ``as_of``) for one SKU."""
        rows = self.rows.get(sku)
        if not rows:
            return {}
        anchor = next((p for _, p, source in reversed(rows) if source == "catalog"), None)
        prices = [p for _, p, _ in rows]
        if prices[-1] == current:
            prices.pop()
        start = as_of - dt.timedelta(days=window_days)
        window = next((p for at, p, _ in reversed(rows) if at <= start), None)
        return {"anchor_price": anchor, "previous_prices": tuple(reversed(prices[-8:])),
                "window_price": window}


class _PerPool(dict[tuple[str, bool], int]):
    """A policy value per (category, proprietary), resolved once each."""

    def __init__(self, get: Any) -> None:
        super().__init__()
        self.get_value = get

    def __missing__(self, key: tuple[str, bool]) -> int:
        value = self[key] = self.get_value(key)
        return value


def our_price_history(session: Session) -> OurPriceHistory:
    """Every SKU's own price history (see :class:`OurPriceHistory`). Not cut at the
    run's as-of time: our own moves are what they are, whenever they were exported."""
    rows: dict[str, list[tuple[dt.datetime, Decimal, str]]] = defaultdict(list)
    stmt = (select(OurPrice.sku, OurPrice.effective_at, OurPrice.price, OurPrice.source)
            .order_by(OurPrice.sku, OurPrice.effective_at))
    for sku, at, price, source in session.execute(stmt):
        rows[sku].append((at, price, source))
    return OurPriceHistory(dict(rows))
def priceable(parts: Sequence[PartInput]) -> tuple[list[PartInput], dict[str, str]]:
    """The parts the optimizer can price, and the others with the reason: what
    :meth:`PartInput.check` refuses, and stored amounts outside the import bounds
    (:mod:`pricing.bounds`; rows written before they were enforced). One bad SKU is
    left out of the run, never the cause of its failure."""
    good: list[PartInput] = []
    skipped: dict[str, str] = {}
    for part in parts:
        try:
            part.check()
            problem = (
                money_problem("current price", part.current_price)
                or money_problem("unit cost", part.unit_cost)
                or money_problem("MAP price", part.map_price, required=False)
            )
            if problem is None and part.pack_qty > MAX_PACK_QTY:
                problem = f"pack_qty {part.pack_qty} is above {MAX_PACK_QTY}"
            if problem is None and part.min_margin is not None and not (
                part.min_margin.is_finite() and 0 <= part.min_margin < 1
            ):
                problem = f"min_margin {part.min_margin} is not in [0, 1)"
            if problem is not None:
                raise OptimizerInputError(part.sku, problem)
        except OptimizerInputError as exc:
            skipped[part.sku] = exc.reason
            continue
        good.append(part)
    return good, skipped


def ladder_policy(policy: PricingPolicy) -> LadderPolicy | None:
    """The optimizer's ladder settings from ``ladders:`` in ``pricing.yaml``."""
    cfg = policy.ladders
    if not cfg.enabled:
        return None
    return LadderPolicy(tiers=tuple(cfg.tiers), ratios=cfg.ratio_list(), packs=cfg.packs)


# --- the run --------------------------------------------------------------------------


def run_optimizer(db: Database, policy: PricingPolicy, *, as_of: dt.datetime | None = None) -> int:
    """Make a suggestion run and return its id."""
    as_of = as_of or utcnow()
    with db.session() as session:
        run = SuggestionRun(
            status=RunStatus.running,
            base_currency=policy.base_currency,
            policy=policy.stored(),
            created_at=as_of,
        )
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        with SalesPrefetch(db) as sales, db.session() as session, _collector_paused():
            clock = time.perf_counter()
            inputs, left_out = read_part_inputs(session, policy, as_of)
            read_s = time.perf_counter() - clock
            waited = 0.0

            def histories() -> list[SalesHistory | None]:
                # the optimizer asks once its sales-free stages are done; the helper
                # process has been reading them all along
                nonlocal waited
                clock = time.perf_counter()
                found = sales.result(session, left_out.sales)
                waited = time.perf_counter() - clock
                return [found.get(p.sku) for p in inputs]

            clock = time.perf_counter()
            result = optimize_run(inputs, policy, ladder_policy(policy), sales=histories)
            solve_s = time.perf_counter() - clock - waited
            clock = time.perf_counter()
            store_suggestions(session, run_id, result.table, [p.currency for p in inputs])
            write_s = time.perf_counter() - clock
            summary = _summary(result, left_out, policy.base_currency)
            summary["seconds"] = {
                "read_inputs": round(read_s, 3),
                "read_sales": round(waited, 3),
                "optimize": round(solve_s, 3),
                "write_suggestions": round(write_s, 3),
            }
            for message in summary["notes"]:
                log.info("suggestion run %d: %s", run_id, message)
            done = session.get(SuggestionRun, run_id)
            assert done is not None
            done.status = RunStatus.complete
            done.finished_at = utcnow()
            done.summary = summary
    except BaseException:
        with db.session() as session:
            failed = session.get(SuggestionRun, run_id)
            if failed is not None:
                failed.status, failed.finished_at = RunStatus.failed, utcnow()
        raise
    return run_id


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of a run.

    A run allocates millions of small objects that reference counting frees (rows,
    Decimals, inputs, suggestions) and makes no reference cycles; with the collector on,
    its full passes walk all of them again and again, about a fifth of the run time at
    100,000 SKUs.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def store_suggestions(
    session: Session, run_id: int, table: SuggestionTable, currencies: Sequence[str]
) -> None:
    """Bulk insert of a run's suggestions (``currencies``: each part's, in table order),
    read column by column from the run's table:
    ``COPY`` on PostgreSQL (exact decimal text); on SQLite one executemany of the
    compiled insert with the values as SQLite stores them (money as floats, reason
    codes as JSON encoded once per distinct combination); elsewhere a Core executemany
    of rows."""
    if not len(table):
        return
    conn = session.connection()
    sql_table: Table = Suggestion.__table__  # type: ignore[assignment]
    names = list(SuggestionResult.__dataclass_fields__)
    keys = [*names, "run_id", "review_status", "currency"]
    constant: dict[str, list[Any]] = {
        "run_id": [run_id] * len(table), "review_status": [ReviewStatus.pending] * len(table),
        "currency": list(currencies)}
    if conn.dialect.name == "postgresql":
        codes = {c: json.dumps(list(c)) for c in set(table.reason_codes)}
        texts = {n: table.text_column(n) for n in names} | constant
        texts["reason_codes"] = [codes[c] for c in table.reason_codes]
        _copy(conn, sql_table.name, keys, zip(*(texts[k] for k in keys), strict=True))
        return
    if conn.dialect.name != "sqlite":
        rows = [dict(zip(names, values, strict=True))
                | {"run_id": run_id, "review_status": ReviewStatus.pending, "currency": currency}
                for *values, currency in zip(
                    *(table.column(n) for n in names), currencies, strict=True)]
        for start in range(0, len(rows), _INSERT_CHUNK):
            conn.execute(insert(sql_table), rows[start : start + _INSERT_CHUNK])
        return
    compiled = insert(sql_table).compile(dialect=conn.dialect, column_keys=keys)
    columns: dict[str, list[Any]] = {n: table.sqlite_column(n) for n in names} | constant
    for name in ("proprietary", "reason_codes"):  # bool and JSON: SQLAlchemy's own encoding
        column_type = sql_table.c[name].type.dialect_impl(conn.dialect)
        proc = column_type.bind_processor(conn.dialect)
        if proc is not None:
            encoded = {v: proc(list(v) if isinstance(v, tuple) else v) for v in set(columns[name])}
            columns[name] = [encoded[v] for v in columns[name]]
    assert compiled.positiontup is not None  # sqlite3's paramstyle is positional
    params = list(zip(*(columns[name] for name in compiled.positiontup), strict=True))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(params), _INSERT_CHUNK):
            cursor.executemany(str(compiled), params[start : start + _INSERT_CHUNK])
    finally:
        cursor.close()


def _copy(conn: Connection, table: str, keys: Sequence[str], rows: Iterable[Sequence[Any]]
          ) -> None:
    """PostgreSQL ``COPY ... FROM STDIN`` through psycopg."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table} ({', '.join(keys)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _summary(run: OptimizationRun, left_out: LeftOut, base: str) -> dict[str, Any]:
    """What the run did, for the report and the API: counts, expected profit, what the
    solver said, elasticity sources, and competitor prices left out (with messages)."""
    table = run.table
    sources = Counter(table.elasticity_source)
    bound = Counter(KINDS[b] if b >= 0 else "PROFIT_OPTIMUM" for b in table.binding.tolist())
    return {
        "skus": len(table),
        "changed": run.changed(),
        "with_competitor_price": sum(1 for n in table.competitor_count if n),
        "expected_profit_before": str(table.expected_profit_before.total()),
        "expected_profit_after": str(table.expected_profit_after.total()),
        "prices_left_out": {k: v for k, v in left_out.counts.items() if k != "converted"},
        "prices_converted": left_out.counts["converted"],
        "missing_fx_rates": dict(left_out.missing_rates),
        "prices_pack_from_title": left_out.pack_from_title,
        "skipped": len(left_out.parts),
        "skipped_skus": [{"sku": k, "reason": v} for k, v in sorted(left_out.parts.items())],
        "sales_left_out": [{"sku": k, "reason": v} for k, v in sorted(left_out.sales.items())],
        "notes": left_out.messages(base),
        "solver": {
            "success": run.solver_success,
            "message": run.solver_message,
            "iterations": run.solver_iterations,
            "fallback_skus": run.fallback_count,
            "ladder_families_resolved": run.ladder_families,
        },
        # several parts share a tier and pack size: not laddered (which is which's
        # equivalent is unknown); a catalog ladder_group column says
        "ladder_families_ambiguous": sorted(set(run.ambiguous_ladder_families)),
        "elasticity_sources": dict(sorted(sources.items())),
        "binding_constraints": dict(sorted(bound.items())),
    }
