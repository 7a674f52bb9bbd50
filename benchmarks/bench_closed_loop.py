"""The optimizer as a closed loop, week after week, against reference policies.

Run: ``python benchmarks/bench_closed_loop.py [--skus 400] [--weeks 26] [--seed 1]
[--seeds 1 2 3] [--db postgresql+psycopg://postgres@127.0.0.1:5432/postgres]``

Each seed makes one market (:mod:`benchmarks.closed_loop_market`: proprietary parts
switch away above a switching price, competitive parts lose share to competitors whose
prices drift). The project's optimizer prices it through the real commands every week
(import, match, ``optimize --as-of``, ``review --approve``, ``export``:
:mod:`benchmarks.closed_loop`); never change, cost-plus, match the lowest and the greedy
oracle price the same market and weeks in memory. Profit and units are the true
expected ones. ``--db``: the default is a fresh SQLite file in a temporary folder; a
PostgreSQL server URL gets a fresh database per seed, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks import closed_loop as cl  # noqa: E402
from benchmarks import closed_loop_market as cm  # noqa: E402

COLUMNS = [  # (figure, heading, format)
    ("profit_vs_oracle", "profit % oracle", "pct"),
    ("proprietary_vs_oracle", "proprietary % oracle", "pct"),
    ("competitive_vs_oracle", "competitive % oracle", "pct"),
    ("competitive_units_vs_never", "competitive units % never-change", "pct"),
    ("competitive_units_vs_never_worst_category", "same, worst category", "pct"),
    ("max_rise", "largest rise (final/initial)", "x"),
    ("median_rise", "median rise", "x"),
    ("median_rise_proprietary", "median rise, proprietary", "x"),
    ("changes_per_week", "changes / week", "f1"),
    ("changes_below_1pct", "changes < 1 %", "int"),
    ("reversals", "reversals", "int"),
    ("reversals_no_competitor_move", "reversals, no competitor move", "int"),
    ("flip_flop_skus", "SKUs flip-flopping 3+", "int"),
    ("proprietary_ever_above_switch", "proprietary ever > switch", "int"),
    ("proprietary_above_switch_at_end", "proprietary > switch at end", "int"),
]


def cell(value: float, how: str) -> str:
    if how == "pct":
        return f"{value:.1%}"
    if how == "x":
        return f"{value:.2f}x"
    if how == "f1":
        return f"{value:.1f}"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


@contextmanager
def database(db: str, folder: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in ``folder``, or a new PostgreSQL database."""
    if db == "sqlite":
        yield f"sqlite:///{folder / 'pricing.db'}"
        return
    admin = sa.create_engine(db, isolation_level="AUTOCOMMIT")
    name = f"closed_loop_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def table(figures: dict[str, dict[str, float]],
          violations: dict[str, dict[str, int]]) -> list[str]:
    head = ["policy", *(h for _, h, _ in COLUMNS), "violations floor/step/cap"]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for name, row in figures.items():
        found = violations.get(name)
        broke = ("/".join(str(found[k]) for k in ("floor", "max_change", "price_index"))
                 if found else "n/a (rule)")
        cells = [cell(row[key], how) for key, _, how in COLUMNS]
        lines.append("| " + " | ".join([name, *cells, broke]) + " |")
    return lines


def mean_over_seeds(results: list[cl.Comparison]) -> tuple[dict[str, dict[str, float]],
                                                          dict[str, dict[str, int]]]:
    """Each figure's mean over the seeds; violations summed."""
    figures = {name: {key: sum(r.figures[name][key] for r in results) / len(results)
                      for key in row} for name, row in results[0].figures.items()}
    violations = {name: {key: sum(r.violations[name][key] for r in results) for key in row}
                  for name, row in results[0].violations.items()}
    return figures, violations


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=400)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, nargs="+", help="several seeds (overrides --seed)")
    ap.add_argument("--db", default="sqlite",
                    help="'sqlite' (a fresh file) or a PostgreSQL server URL")
    ap.add_argument("--still-market", action="store_true",
                    help="competitors' prices and stock do not move after week 1")
    ap.add_argument("--keep", type=Path, help="keep the weekly files and database here")
    ap.add_argument("--quiet", action="store_true", help="no weekly progress on stderr")
    ap.add_argument("--json", type=Path, help="also write every seed's figures here")
    args = ap.parse_args()
    print(f"command: python {shlex.join(['benchmarks/bench_closed_loop.py', *sys.argv[1:]])}")
    results: list[cl.Comparison] = []
    record: dict[str, object] = {"command": sys.argv, "seeds": {}}
    for seed in args.seeds or [args.seed]:
        clock, cpu = time.perf_counter(), time.process_time()
        market = cm.make_market(seed, args.skus, args.weeks, still=args.still_market)
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.keep / f"seed{seed}" if args.keep else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            with database(args.db, folder) as url:
                result = cl.compare(market, folder, url, progress=None if args.quiet else
                                    lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
        wall, cpu = time.perf_counter() - clock, time.process_time() - cpu
        loop = result.loop
        print(f"\n## seed {seed}: {market.n} SKUs ({int(market.proprietary.sum())} proprietary), "
              f"{market.weeks} weeks after {market.history} weeks of history, "
              f"{'a still' if args.still_market else 'a moving'} market, db {args.db}\n")
        print("\n".join(table(result.figures, result.violations)))
        seconds = ", ".join(f"{k} {v:.1f}" for k, v in sorted(loop.command_seconds.items()))
        print(f"\nmatching (week 1): {loop.matched}")
        print(f"wall time {wall:.1f} s (CPU {cpu:.1f} s, load average "
              f"{os.getloadavg()[0]:.1f} at the end); the command loop {loop.seconds:.1f} s "
              f"({seconds} s)")
        for note in loop.notes[:10]:
            print(f"note: {note}")
        for kind, items in loop.violations.items():
            for item in items[:5]:
                print(f"violation ({kind}): {item}")
        sys.stdout.flush()
        results.append(result)
        record["seeds"][seed] = {  # type: ignore[index]
            "figures": result.figures, "violations": result.violations,
            "matching": loop.matched, "wall_seconds": round(wall, 1),
            "cpu_seconds": round(cpu, 1),
            "command_seconds": {k: round(v, 2) for k, v in loop.command_seconds.items()}}
    if len(results) > 1:
        print(f"\n## mean over seeds {args.seeds} (violations summed)\n")
        print("\n".join(table(*mean_over_seeds(results))))
    if args.json:
        args.json.write_text(json.dumps(record, indent=1, default=float), encoding="utf-8")


if __name__ == "__main__":
    main()
