"""The demo's input files: catalog, cross-references and sales history as the SPEC's CSVs.

The same seed always writes the same bytes: nothing depends on today's date, the
locale or dictionary order.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from demo_market.catalog import Part
from demo_market.common import DEFAULT_SEED
from demo_market.world import build_world

CATALOG_COLUMNS = (
    "sku",
    "part_number",
    "description",
    "brand",
    "category",
    "family",
    "unit_cost",
    "price",
    "currency",
    "pack_qty",
    "proprietary",
    "gtin",
    "map_price",
    "min_margin",
    "superseded_by",
    "tier",
)
XREF_COLUMNS = ("competitor_brand", "competitor_part_number", "sku", "relation")
SALES_COLUMNS = ("sku", "date", "units", "unit_price")


@dataclass(frozen=True)
class DemoInputs:
    catalog: Path
    xref: Path
    sales: Path


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in rows)
    return path


def catalog_row(part: Part) -> tuple[object, ...]:
    return tuple(getattr(part, column) for column in CATALOG_COLUMNS)


def write_demo_inputs(
    out_dir: Path, seed: int = DEFAULT_SEED, anchor: dt.date | None = None
) -> DemoInputs:
    """Write ``catalog.csv``, ``xref.csv`` and ``sales.csv`` into ``out_dir`` (created);
    ``anchor`` as for :func:`demo_market.world.build_world`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = build_world(seed, anchor)
    xrefs = ((x.competitor_brand, x.competitor_part_number, x.sku, x.relation) for x in world.xrefs)
    sales = ((sku, day.isoformat(), units, price) for sku, day, units, price in world.sales())
    return DemoInputs(
        catalog=_write(out_dir / "catalog.csv", CATALOG_COLUMNS, map(catalog_row, world.parts)),
        xref=_write(out_dir / "xref.csv", XREF_COLUMNS, xrefs),
        sales=_write(out_dir / "sales.csv", SALES_COLUMNS, sales),
    )
