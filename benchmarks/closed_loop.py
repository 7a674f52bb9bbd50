"""The optimizer as a closed loop: the real commands, week after week, against the
simulated market of :mod:`benchmarks.closed_loop_market`.

Each week ``t`` (Mondays from 2027-01-04) the analyst's commands run in-process
(``typer``'s ``CliRunner`` on ``pricing.cli.app``) against one database:
``observations import`` (the competitors' prices seen the evening before),
``sales import`` (last week's units, drawn with Poisson noise from the true demand at
the prices then in force), ``match``, ``optimize --format json --as-of <Monday 06:00>``,
``review --run R --approve`` (every pending suggestion) and ``export --run R --out F``.
The exported file's prices are the next week's prices. The path is then judged with
the reference policies (never change, cost-plus, match the lowest, the oracle) on the
same market and weeks. This module also writes the files a user would import: the
catalog (no ``list_price``), cross-references, the policy, the sales history and each
week's observations and sales.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from typer.testing import CliRunner

from benchmarks import closed_loop_market as cm
from pricing.cli import app

ROOT = Path(__file__).resolve().parent.parent
TRUSTED = ("auto", "confirmed")
WHO = "closed-loop"
OVERSHOOT = 0.01  # a proprietary price counts as above its switching price beyond +1 %


class Cli:
    """The ``pricing`` command in-process, on one database and config folder."""

    def __init__(self, db_url: str, config_dir: Path) -> None:
        self.base = ["--db", db_url, "--config", str(config_dir)]
        self.runner = CliRunner()
        self.seconds: dict[str, float] = {}

    def __call__(self, *args: str) -> str:
        clock = time.perf_counter()
        result = self.runner.invoke(app, [*self.base, *args])
        name = " ".join(a for a in args[:2] if not a.startswith("-"))
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - clock
        if result.exit_code != 0:
            raise RuntimeError(f"pricing {' '.join(args)} failed ({result.exit_code}): "
                               f"{result.output.strip()} {result.exception!r}")
        return result.stdout


@dataclass
class LoopResult:
    """The optimizer's weekly prices (row 0: today's) and what the loop saw."""

    path: cm.Array
    runs: list[int]
    exports: list[Path]
    violations: dict[str, list[str]]
    matched: dict[str, int]
    command_seconds: dict[str, float]
    seconds: float
    notes: list[str] = field(default_factory=list)


def config_dir(m: cm.Market, folder: Path) -> Path:
    """The shipped config with the market's ``pricing.yaml``."""
    out = folder / "config"
    shutil.copytree(ROOT / "config", out)
    write_setup(m, folder)
    shutil.copy(folder / "pricing.yaml", out / "pricing.yaml")
    return out


def run_loop(m: cm.Market, folder: Path, db_url: str,
             progress: Callable[[str], None] | None = None) -> LoopResult:
    """Drive the commands through every week; returns the exported price path."""
    clock = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    cli = Cli(db_url, config_dir(m, folder))
    cli("init")
    cli("catalog", "import", str(folder / "catalog.csv"))
    cli("xref", "import", str(folder / "xref.csv"))
    cli("sales", "import", str(folder / "sales-history.csv"))
    rng = np.random.default_rng([m.seed, 15])
    path = np.repeat(m.p0[None], m.weeks + 1, axis=0)
    runs: list[int] = []
    exports: list[Path] = []
    found: dict[str, list[str]] = {"floor": [], "max_change": [], "price_index": []}
    matched: dict[str, int] = {}
    notes: list[str] = []
    index = {sku: i for i, sku in enumerate(m.sku)}
    for t in range(1, m.weeks + 1):
        week = folder / f"week{t:02d}"
        week.mkdir(exist_ok=True)
        # the simulated week's clock: what the importers' age checks and the run go by
        as_of = dt.datetime.combine(cm.week_start(t), dt.time(6), dt.UTC).isoformat()
        cli("observations", "import", str(write_observations(m, t, week / "observations.csv")),
            "--as-of", as_of)
        if t > 1:
            units = rng.poisson(cm.expected_units(m, path[t - 1], t - 1))
            cli("sales", "import", str(write_sales(m, t - 1, path[t - 1], units,
                                                      week / "sales.csv")))
        cli("match")
        if t == 1:
            matched = match_check(m, cli)
        out = json.loads(cli("optimize", "--format", "json", "--as-of", as_of))
        run = int(out["run_id"])
        runs.append(run)
        if len(out["suggestions"]) != m.n:
            notes.append(f"week {t}: run {run} has {len(out['suggestions'])} suggestions")
        cli("review", "--run", str(run), "--approve", "--by", WHO)
        exported = week / "price-list.csv"
        cli("export", "--run", str(run), "--out", str(exported), "--by", WHO)
        exports.append(exported)
        path[t] = path[t - 1]
        with exported.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                i = index[row["sku"]]
                if abs(float(row["previous_price"]) - path[t - 1, i]) > 0.001:
                    notes.append(f"week {t}: {row['sku']} exported from "
                                 f"{row['previous_price']}, not {path[t - 1, i]:.2f}")
                path[t, i] = float(row["price"])
        for kind, items in cm.violations(m, path[t - 1], path[t], t).items():
            found[kind] += items
        if progress:
            changed = int((path[t] != path[t - 1]).sum())
            progress(f"week {t}: run {run}, {changed} price changes "
                     f"({time.perf_counter() - clock:.0f} s)")
    return LoopResult(path, runs, exports, found, matched, cli.seconds,
                      time.perf_counter() - clock, notes)


# --- the files a user would import ----------------------------------------------------


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def money(x: float) -> str:
    return f"{x:.2f}"


def write_setup(m: cm.Market, folder: Path) -> dict[str, Path]:
    """catalog.csv (no list_price), xref.csv, pricing.yaml's policy and the sales
    history (weeks ``1 - history`` .. 0 at today's prices with small variation; a
    fifth of the SKUs never moved)."""
    rng = np.random.default_rng([m.seed, 14])
    catalog = [[m.sku[i], m.part_number[i], f"{m.category[i]} part {m.sku[i]}", cm.BRAND,
                m.category[i], m.family[i], money(m.cost[i]), money(m.p0[i]), "USD", 1,
                str(bool(m.proprietary[i])).lower()] for i in range(m.n)]
    xrefs = [[cm.COMPETITORS[j][1], pn, m.sku[i]]
             for i in range(m.n) for j, pn in enumerate(m.comp_pn[i])]
    still = rng.random(m.n) < 0.2
    sales = []
    for t in range(1 - m.history, 1):
        moved = ~still & (rng.random(m.n) < 0.35)
        price = np.where(moved, np.round(m.p0 * (1 + rng.uniform(-0.08, 0.08, m.n)), 2), m.p0)
        price = np.maximum(price, m.floor())
        units = rng.poisson(cm.expected_units(m, price, t))
        sales += [[m.sku[i], cm.week_start(t).isoformat(), int(units[i]), money(price[i])]
                  for i in range(m.n)]
    (folder / "pricing.yaml").write_text(yaml.safe_dump(cm.POLICY_SETTINGS, sort_keys=False),
                                         encoding="utf-8")
    return {
        "catalog": write_csv(folder / "catalog.csv",
                             ["sku", "part_number", "description", "brand", "category",
                              "family", "unit_cost", "price", "currency", "pack_qty",
                              "proprietary"], catalog),
        "xref": write_csv(folder / "xref.csv",
                          ["competitor_brand", "competitor_part_number", "sku"], xrefs),
        "sales": write_csv(folder / "sales-history.csv",
                           ["sku", "date", "units", "unit_price"], sales),
    }


def listing_urls(m: cm.Market) -> dict[str, str]:
    """Every listing's URL and the SKU it is the equivalent of (the matching truth)."""
    urls = {}
    for i in range(m.n):
        for j in range(len(m.comp_pn[i])):
            urls[f"https://{cm.COMPETITORS[j][0]}.example/p/{m.comp_pn[i][j]}"] = m.sku[i]
        for k in range(2):
            if not np.isnan(m.dealer[i, k]):
                urls[f"https://{cm.DEALERS[k]}.example/parts/{m.part_number[i]}"] = m.sku[i]
    return urls


def write_observations(m: cm.Market, t: int, path: Path) -> Path:
    """Competitor and dealer prices as seen the evening before week ``t`` starts."""
    seen = dt.datetime.combine(cm.week_start(t) - dt.timedelta(days=1), dt.time(22),
                               dt.UTC).isoformat()
    c, stock = m.listed(t)
    rows: list[list[object]] = []
    for i in range(m.n):
        for j, pn in enumerate(m.comp_pn[i]):
            shop, brand, _ = cm.COMPETITORS[j]
            rows.append([shop, f"https://{shop}.example/p/{pn}",
                         f"{brand} {pn} {m.category[i].lower()} will-fit", money(c[i, j]), "USD",
                         brand, pn, 1, "InStock" if stock[i, j] else "OutOfStock", seen])
        for k in range(2):
            if not np.isnan(m.dealer[i, k]):
                shop = cm.DEALERS[k]
                rows.append([shop, f"https://{shop}.example/parts/{m.part_number[i]}",
                             f"{cm.BRAND} {m.part_number[i]} genuine", money(m.dealer[i, k]),
                             "USD", cm.BRAND, m.part_number[i], 1, "InStock", seen])
    return write_csv(path, ["competitor", "url", "title", "price", "currency", "brand",
                            "part_number", "pack_qty", "availability", "observed_at"], rows)


def write_sales(m: cm.Market, t: int, prices: cm.Array, units: npt.NDArray[np.int64],
                path: Path) -> Path:
    rows = [[m.sku[i], cm.week_start(t).isoformat(), int(units[i]), money(prices[i])]
            for i in range(m.n)]
    return write_csv(path, ["sku", "date", "units", "unit_price"], rows)


def match_check(m: cm.Market, cli: Cli) -> dict[str, int]:
    """How the first week's listings were matched against the market's truth."""
    truth = listing_urls(m)
    rows = json.loads(cli("matches", "--format", "json"))
    count = {"listings": len(truth), "right": 0, "wrong": 0, "untrusted": 0}
    for row in rows:
        want = truth.get(row["url"])
        if row["status"] not in TRUSTED or row["sku"] is None:
            count["untrusted"] += 1
        elif row["sku"] == want:
            count["right"] += 1
        else:
            count["wrong"] += 1
    return count


# --- judging a path ----------------------------------------------------------------------


def per_sku(m: cm.Market, path: cm.Array, what: Callable[..., cm.Array]) -> cm.Array:
    """``what`` (expected profit or units) summed over weeks 1..T, per SKU."""
    return np.sum([what(m, path[t], t) for t in range(1, m.weeks + 1)], axis=0)


def reversals(m: cm.Market, path: cm.Array) -> tuple[npt.NDArray[np.int64],
                                                    npt.NDArray[np.int64]]:
    """Per SKU: how often a price change goes the other way from the SKU's last change,
    and how many of those came with no competitor price of the SKU moving since then
    (for a proprietary part: every one)."""
    n = path.shape[1]
    out, unprompted = np.zeros(n, np.int64), np.zeros(n, np.int64)
    last = np.zeros(n)
    since = np.zeros(n, np.int64)  # the week of the SKU's last change
    seen = np.nan_to_num(np.stack([m.competitors(t) for t in range(len(path))]), nan=-1.0)
    for t in range(1, len(path)):
        step = np.sign(np.round(path[t] - path[t - 1], 2))
        flip = (step != 0) & (last != 0) & (step != last)
        still = (seen[t] == seen[since, np.arange(n)]).all(axis=1)
        out += flip
        unprompted += flip & still
        last = np.where(step != 0, step, last)
        since = np.where(step != 0, t, since)
    return out, unprompted


def judge(m: cm.Market, path: cm.Array, best: cm.Array, never: cm.Array) -> dict[str, float]:
    """The figures of one price path against the oracle path and never changing."""
    profit, top = per_sku(m, path, cm.expected_profit), per_sku(m, best, cm.expected_profit)
    units, still = per_sku(m, path, cm.expected_units), per_sku(m, never, cm.expected_units)
    prop, comp = m.proprietary, ~m.proprietary
    moves = np.round(path[1:] - path[:-1], 2)
    changed = moves != 0
    rel = np.abs(moves) / path[:-1]
    rise = path[-1] / path[0]
    flips, unprompted = reversals(m, path)
    cats = np.array(m.category)
    over = m.switch * (1 + OVERSHOOT)
    return {
        "profit_vs_oracle": profit.sum() / top.sum(),
        "proprietary_vs_oracle": profit[prop].sum() / top[prop].sum(),
        "competitive_vs_oracle": profit[comp].sum() / top[comp].sum(),
        "competitive_units_vs_never": units[comp].sum() / still[comp].sum(),
        "competitive_units_vs_never_worst_category": min(
            units[comp & (cats == c)].sum() / still[comp & (cats == c)].sum()
            for c in set(cats[comp].tolist())),
        "max_rise": float(rise.max()),
        "median_rise": float(np.median(rise)),
        "median_rise_proprietary": float(np.median(rise[prop])),
        "changes_per_week": float(changed.sum() / m.weeks),
        "changes_below_1pct": int((changed & (rel < 0.01)).sum()),
        "reversals": int(flips.sum()),
        "reversals_no_competitor_move": int(unprompted.sum()),
        "flip_flop_skus": int((flips >= 3).sum()),
        "proprietary_above_switch_at_end": int((prop & (path[-1] > over)).sum()),
        "proprietary_ever_above_switch": int((prop & (path[1:] > over).any(axis=0)).sum()),
    }


@dataclass
class Comparison:
    """Every policy's figures on one market, and the optimizer loop's record."""

    market: cm.Market
    figures: dict[str, dict[str, float]]
    violations: dict[str, dict[str, int]]
    loop: LoopResult


def compare(m: cm.Market, folder: Path, db_url: str,
            progress: Callable[[str], None] | None = None) -> Comparison:
    loop = run_loop(m, folder, db_url, progress)
    best, never = cm.oracle(m), cm.never_change(m)
    paths = {"optimizer (CLI loop)": loop.path, "never change": never,
             "cost-plus 40%": cm.cost_plus(m), "match lowest": cm.match_lowest(m),
             "oracle (greedy)": best}
    figures = {name: judge(m, path, best, never) for name, path in paths.items()}
    oracle_found: dict[str, list[str]] = {"floor": [], "max_change": [], "price_index": []}
    for t in range(1, m.weeks + 1):
        for kind, items in cm.violations(m, best[t - 1], best[t], t).items():
            oracle_found[kind] += items
    violations = {
        "optimizer (CLI loop)": {k: len(v) for k, v in loop.violations.items()},
        "oracle (greedy)": {k: len(v) for k, v in oracle_found.items()},
    }
    return Comparison(m, figures, violations, loop)
