"""``pricing demo``: the whole pipeline on the bundled demo market, start to finish.

Starts the demo storefronts on free local ports, builds a fresh SQLite database,
imports the demo catalog, cross-references and sales history, crawls every configured
competitor with Scrapy, matches, optimizes, applies the auto-approval rules and writes
the nightly report.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pricing import imports
from pricing.autoapprove import run_auto_approval
from pricing.config import load_config
from pricing.pipeline.match import run_matching
from pricing.pipeline.optimize import run_optimizer
from pricing.reports.nightly import write_report
from pricing.settings import Settings
from pricing.storage import Database


@dataclass(frozen=True)
class DemoResult:
    database_url: str
    report: Path
    run_id: int
    crawled: dict[str, int]


def run_demo(
    out: Path,
    config_dir: Path,
    *,
    progress: Callable[[str], None] = print,
    day: dt.date | None = None,
) -> DemoResult:
    from crawlers.runner import run_crawls
    from demo_market import DemoMarket, write_demo_inputs

    config = load_config(config_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    url = f"sqlite:///{(out / 'pricing.db').resolve()}"
    settings = Settings(database_url=url, config_dir=config_dir)
    db = Database(url)
    db.upgrade()
    progress(f"database: {url}")

    inputs = write_demo_inputs(out / "inputs")
    for label, func, path in [
        ("catalog", imports.import_catalog, inputs.catalog),
        ("cross-references", imports.import_xrefs, inputs.xref),
        ("sales history", imports.import_sales, inputs.sales),
    ]:
        result = func(db, path)
        progress(f"imported {result.imported} {label} rows")

    with DemoMarket(day=day or dt.date.today()) as market:
        names = [c.name for c in config.competitors if c.enabled and c.name in market.base_urls]
        progress("demo market: " + ", ".join(f"{n} at {market.base_urls[n]}" for n in names))
        progress("crawling ...")
        outcomes = run_crawls(
            settings, config, names, base_urls=market.base_urls, log_level="WARNING"
        )
    crawled = {o.competitor: o.items for o in outcomes}
    progress("crawled: " + ", ".join(f"{n}: {items} products" for n, items in crawled.items()))

    summary = run_matching(db, config.matching)
    progress(
        f"matched {summary.considered} listings: "
        + ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items()))
    )
    run_id = run_optimizer(db, config.policy)
    progress(f"suggestion run {run_id} complete")
    approved = run_auto_approval(db, run_id, config.policy)
    if config.policy.auto_approve:
        progress(f"auto-approved {approved.count} suggestions: " + (", ".join(
            f"{name} {n}" for name, n in approved.as_json()["by_rule"].items()) or "none"))
    report = write_report(db, out / "report", run_id)
    db.dispose()
    return DemoResult(url, report, run_id, crawled)
