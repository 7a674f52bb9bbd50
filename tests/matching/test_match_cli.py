"""Hard matching cases end to end through the real commands, on SQLite and PostgreSQL:
`catalog import`, `xref import`, `observations import`, `match` (with the catalog's
problems reported), `matches --format json`, `optimize --format json` (prices in other
currencies at the rate of their day, packs stated only in titles)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pricing.cli import app

TODAY = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def day(n: int) -> str:
    """``n`` days ago, as an observed_at value."""
    return (TODAY - dt.timedelta(days=n)).isoformat()


CATALOG = """sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,proprietary,gtin,superseded_by,tier
OF-1,FX-4471,"Oil filter, spin-on, M20x1.5",Acme,Filters,oil-4471,3.00,8.00,USD,1,false,,,
OF-1-4,FX-4471,"Oil filter, spin-on, M20x1.5, pack of 4",Acme,Filters,oil-4471,11.00,28.00,USD,4,false,,,
OF-2,FX-4477,"Oil filter, spin-on, 100 mm",Acme,Filters,oil-4477,3.20,8.50,USD,1,false,,,
HD-1,WD40EZRZ,WD Blue 4TB desktop hard drive,Western Digital,Electrical,hdd,60.00,95.00,USD,1,false,,,
HD-2,WD40EZRX,WD Green 4TB desktop hard drive,Western Digital,Electrical,hdd,58.00,90.00,USD,1,false,,,
CY-1,CY-100,Old clamp,Acme,Hoses,clamp,1.00,3.00,USD,1,false,,CY-2,
CY-2,CY-200,Newer clamp,Acme,Hoses,clamp,1.00,3.00,USD,1,false,,CY-1,
"""
XREF = """competitor_brand,competitor_part_number,sku,relation
MANN-FILTER,W 712/75,OF-1,equivalent
"""
# url suffix -> (title, price, currency, brand, part_number, pack_qty, observed days ago)
LISTINGS = {
    "eur-old": ("MANN-FILTER W 712/75 Ölfilter", "5,00", "EUR", "MANN-FILTER", "W 712/75", "", 10),
    "eur-new": ("MANN W 712/75 Ölfilter", "5.00", "EUR", "MANN-FILTER", "W 712/75", "", 2),
    "gbp": ("Acme FX-4471 oil filter", "6.00", "GBP", "Acme", "FX-4471", "", 2),
    "jpy": ("Acme FX-4471 オイルフィルター", "900", "JPY", "Acme", "FX-4471", "", 2),
    "pack4": ("Acme FX-4471 oil filter (pack of 4)", "26.00", "USD", "Acme", "FX-4471", "", 2),
    "onechar": ("Acme FX-4472 oil filter", "7.00", "USD", "Acme", "FX-4472", "", 2),
    "hdd-title": ("WD Blue 4TB Desktop Hard Drive - WD40EZRZ", "80.00", "USD", "", "", "", 2),
    "hdd-de": ("Festplatte WD40EZRX 4 TB intern (WD)", "70.00", "EUR", "", "", "", 2),
    "hdd-variant": ("WD 4TB Blue WD40EZRZ-00GXCB0", "79.00", "USD", "", "", "", 2),
    "compatible": ("Compatible oil filter for Acme FX-4477", "4.00", "USD", "", "", "", 2),
}
# url suffix -> (sku, status) expected from `pricing match`
EXPECTED = {
    "eur-old": ("OF-1", "auto"),
    "eur-new": ("OF-1", "auto"),
    "gbp": ("OF-1", "auto"),
    "jpy": ("OF-1", "auto"),
    "pack4": ("OF-1-4", "auto"),
    "onechar": (None, "unmatched"),
    "hdd-title": ("HD-1", "auto"),
    "hdd-de": ("HD-2", "auto"),
    "hdd-variant": ("HD-1", "needs_review"),
    "compatible": ("OF-2", "needs_review"),
}


def _observations() -> str:
    lines = ["competitor,url,title,price,currency,brand,part_number,pack_qty,observed_at"]
    for key, (title, price, cur, brand, pn, pack, ago) in LISTINGS.items():
        price = price.replace(",", ".")
        lines.append(f'shop,https://shop.example/{key},"{title}",{price},{cur},{brand},{pn},'
                     f"{pack},{day(ago)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def config_dir(config_copy: Path) -> Path:
    """The shipped config with EUR/GBP rates that change five days ago."""
    out = config_copy
    pricing = yaml.safe_load((out / "pricing.yaml").read_text(encoding="utf-8"))
    changed = (TODAY - dt.timedelta(days=5)).date().isoformat()
    first = (TODAY - dt.timedelta(days=60)).date().isoformat()
    pricing["fx"] = {"rates": {"EUR": {first: "1.10", changed: "1.20"},
                               "GBP": {first: "1.25"}}}
    (out / "pricing.yaml").write_text(yaml.safe_dump(pricing), encoding="utf-8")
    return out


def test_hard_cases_through_the_cli(db_url: str, tmp_path: Path, config_dir: Path) -> None:
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(app, ["--db", db_url, "--config", str(config_dir), *args])
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.stdout

    for name, text in (("catalog", CATALOG), ("xref", XREF), ("obs", _observations())):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    cli("observations", "import", str(tmp_path / "obs.csv"))

    out = cli("match")
    assert "matched 10 listings" in out
    assert "problem(s) in the catalog" in out and "supersession cycle" in out

    rows = json.loads(cli("matches", "--format", "json"))
    got = {r["url"].rsplit("/", 1)[1]: (r["sku"], r["status"]) for r in rows}
    assert got == EXPECTED
    near = next(r for r in rows if r["url"].endswith("/onechar"))
    assert near["sku"] is None

    result = json.loads(cli("optimize", "--format", "json"))
    by_sku = {s["sku"]: s for s in result["suggestions"]}
    # OF-1 (pack of 1): W 712/75 at 5.00 EUR seen 10 days ago -> 5.50 (rate 1.10), and
    # 2 days ago -> 6.00 (1.20); the newest of each listing counts: 6.00 (eur-new),
    # 5.50 (eur-old), 7.50 (6.00 GBP x 1.25); JPY has no rate and is left out
    of1 = by_sku["OF-1"]
    assert of1["competitor_count"] == 3
    assert Decimal(of1["competitor_reference"]) == Decimal("6.0000")  # median
    # OF-1-4 (pack of 4): 26.00 for a pack the title states -> 6.50 a unit, 26.00 a pack
    assert Decimal(by_sku["OF-1-4"]["competitor_reference"]) == Decimal("26.0000")
    # HD-2: 70.00 EUR x 1.20
    assert Decimal(by_sku["HD-2"]["competitor_reference"]) == Decimal("84.0000")
    summary = result["summary"]
    assert summary["missing_fx_rates"] == {"JPY": 1}
    assert any("JPY" in note and "fx.rates.JPY" in note for note in summary["notes"])
    assert summary["prices_pack_from_title"] == 1
    assert summary["solver"]["success"] is True
    for s in result["suggestions"]:
        assert Decimal(s["suggested_price"]) >= Decimal(s["unit_cost"])
