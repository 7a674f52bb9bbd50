"""Matching throughput: 100,000 synthetic listings against 50,000 synthetic SKUs.

Prints listings/s for the whole run (index build included) and, measured in the same
run, the baseline: exhaustive fuzzy comparison of a sample of listings against every
catalog text with rapidfuzz's C scorer, scaled up to all listings. Also prints
precision/recall of the auto matches on the synthetic truth, as a sanity check.

    .venv/bin/python benchmarks/bench_matching.py [--skus 50000] [--listings 100000]
        [--workers 1] [--baseline-sample 200] [--seed 1]

Target: the full run in under two minutes on 2 cores.

    .venv/bin/python benchmarks/bench_matching.py --labelled

prints precision and recall, overall and per relation (same, alternative, kit), on the
labelled development part and the frozen part (tests/data/README.md) side by side.

    .venv/bin/python benchmarks/bench_matching.py --command [--skus 100000]
        [--listings 150000] [--db URL]

times the commands a user runs on the same synthetic market, on a database (a fresh
SQLite file unless ``--db`` names an empty one): ``pricing init``, the three imports
and ``pricing match``, each as its own process, with wall time and peak memory (RSS);
then precision/recall of the stored auto matches on the synthetic truth.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import datetime as dt
import multiprocessing as mp
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from pricing.matching import CatalogIndex, CatalogPart, CrossRef, ListingInput, Matcher
from pricing.matching.fuzzy import process as fuzzy_text
from pricing.matching.labelled import Scores, load_catalog, load_labelled, load_xrefs, score
from pricing.matching.normalize import gtin_check_digit, normalize_part_number

OUR_BRANDS = ["Acme", "Acme Pro"]
MAKERS = [
    "Bosch",
    "MANN-FILTER",
    "Mahle",
    "Gates",
    "ContiTech",
    "Dayco",
    "SKF",
    "FAG",
    "NGK",
    "Valeo",
    "Hella",
    "Febi",
    "Corteco",
    "Elring",
    "Sachs",
    "Lemförder",
    "TRW",
    "Delphi",
    "Denso",
    "Purflux",
]
CATEGORIES = {
    "Filters": (
        ["oil filter", "air filter", "fuel filter", "cabin filter", "hydraulic filter"],
        ["spin-on", "cartridge", "panel", "inline", "with gasket", "activated carbon"],
    ),
    "Belts": (
        ["poly v-belt", "timing belt", "v-belt", "timing belt kit"],
        ["ribbed", "with tensioner", "heavy duty", "EPDM"],
    ),
    "Hoses": (
        ["radiator hose", "heater hose", "coolant hose", "turbo hose"],
        ["upper", "lower", "silicone", "moulded"],
    ),
    "Seals": (
        ["oil seal", "o-ring", "valve cover gasket", "head gasket"],
        ["NBR", "FKM", "PTFE lip", "cork"],
    ),
    "Bearings": (
        ["ball bearing", "wheel bearing kit", "roller bearing", "clutch bearing"],
        ["sealed both sides", "open", "with ABS ring", "high temperature"],
    ),
    "Electrical": (
        ["alternator", "starter motor", "relay", "ignition coil", "glow plug"],
        ["12V", "24V", "pencil type", "5 pin", "with pulley"],
    ),
}
VEHICLES = [
    "VW Golf",
    "Audi A4",
    "BMW 320d",
    "Ford Focus",
    "Opel Astra",
    "Renault Clio",
    "Toyota Corolla",
    "Skoda Octavia",
    "Fiat Ducato",
    "Mercedes Sprinter",
    "Volvo FH",
    "Scania R",
    "MAN TGX",
    "Iveco Daily",
    "Peugeot 308",
    "Seat Leon",
]


def _gtin(rng: random.Random) -> str:
    body = "40" + "".join(rng.choices(string.digits, k=10))
    return body + str(gtin_check_digit(body))


def _number(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.35:
        return f"{''.join(rng.choices('ABCDEFHKLMPRSTWX', k=2))}-{rng.randint(1000, 99999)}"
    if style < 0.55:
        return f"{rng.choice('WCHUP')} {rng.randint(100, 999)}/{rng.randint(1, 99)}"
    if style < 0.75:
        return f"0 {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    return f"{rng.randint(3, 8)}PK{rng.randint(600, 2500)}{rng.choice(['', 'E', 'X'])}"


def _spell(number: str, rng: random.Random) -> str:
    """The same number as another shop writes it."""
    out = number.lower() if rng.random() < 0.3 else number
    if rng.random() < 0.4:
        out = out.replace("-", " ").replace("/", "-")
    if rng.random() < 0.3:
        out = out.replace(" ", "")
    return out


def _mutate(number: str, rng: random.Random) -> str:
    positions = [i for i, ch in enumerate(number) if ch.isalnum()]
    i = rng.choice(positions)
    pool = string.digits if number[i].isdigit() else string.ascii_uppercase
    return number[:i] + rng.choice([c for c in pool if c != number[i].upper()]) + number[i + 1 :]


@dataclass
class Market:
    parts: list[CatalogPart]
    xrefs: list[CrossRef]
    listings: list[ListingInput]
    truth: list[str | None]


def build_market(n_skus: int, n_listings: int, seed: int) -> Market:
    rng = random.Random(seed)
    parts: list[CatalogPart] = []
    numbers: set[str] = set()
    for i in range(n_skus):
        category = rng.choice(list(CATEGORIES))
        kinds, traits = CATEGORIES[category]
        number = _number(rng)
        while number in numbers:
            number = _number(rng)
        numbers.add(number)
        brand = rng.choice(OUR_BRANDS) if rng.random() < 0.6 else rng.choice(MAKERS)
        size = (
            f"{rng.randint(10, 400)} mm"
            if rng.random() < 0.7
            else f"{rng.randint(20, 90)}x{rng.randint(30, 120)}x{rng.randint(5, 30)}"
        )
        description = (
            f"{rng.choice(kinds).capitalize()}, {rng.choice(traits)}, {size}, "
            f"for {rng.choice(VEHICLES)} {rng.randint(1, 9)}.{rng.randint(0, 9)}"
        )
        gtin = _gtin(rng) if rng.random() < 0.5 else None
        parts.append(CatalogPart(f"SKU{i:06d}", number, brand, description, category, gtin))
    # 2% superseded by a later SKU
    for i in rng.sample(range(n_skus - 1), n_skus // 50):
        p = parts[i]
        parts[i] = CatalogPart(
            p.sku,
            p.part_number,
            p.brand,
            p.description,
            p.category,
            p.gtin,
            p.pack_qty,
            parts[i + 1].sku,
        )
    xrefs = []
    for _ in range(n_skus):
        number = _number(rng)
        while number in numbers:
            number = _number(rng)
        numbers.add(number)
        relation = "kit" if rng.random() < 0.03 else "equivalent"
        xrefs.append(CrossRef(rng.choice(MAKERS), number, rng.choice(parts).sku, relation))
    index = CatalogIndex.build(parts, xrefs)
    taken = {normalize_part_number(n) for n in numbers}

    listings: list[ListingInput] = []
    truth: list[str | None] = []
    for lid in range(n_listings):
        kind = rng.random()
        part = rng.choice(parts)
        expected: str | None = index.current_sku(part.sku).sku
        brand: str | None = part.brand if rng.random() < 0.8 else None
        title, pn, gtin = part.description, None, None
        if kind < 0.25:  # our number in the field
            pn = _spell(part.part_number, rng)
        elif kind < 0.45:  # a competitor's cross-referenced number
            xref = rng.choice(xrefs)
            brand, pn = xref.competitor_brand, _spell(xref.competitor_part_number, rng)
            title = f"{brand} {title}"
            expected = index.current_sku(xref.sku).sku
        elif kind < 0.55 and part.gtin:  # GTIN only
            gtin, brand = part.gtin, None
        elif kind < 0.70:  # number only in the title
            title = f"{part.brand} {_spell(part.part_number, rng)} {part.description}"
            brand = None
        elif kind < 0.85:  # no number: fuzzy
            words = part.description.replace(",", "").split()
            rng.shuffle(words)
            title = f"{part.brand} {' '.join(words)}"
        elif kind < 0.90:  # one character off: a different part (and nobody's number)
            pn = _mutate(part.part_number, rng)
            while normalize_part_number(pn) in taken:
                pn = _mutate(part.part_number, rng)
            expected = None
        else:  # not ours
            brand = rng.choice(MAKERS)
            pn = _number(rng) + "Z"
            title = f"{brand} {rng.choice(['wiper blade', 'brake pad set', 'spark plug'])} {pn}"
            expected = None
        listings.append(ListingInput(lid, "shop", title, brand, pn, gtin, None))
        truth.append(expected)
    return Market(parts, xrefs, listings, truth)


_WORKER: Matcher | None = None


def _match_chunk(chunk: list[ListingInput]) -> list[tuple[str | None, str]]:
    assert _WORKER is not None
    return [(r.sku, r.status) for r in _WORKER.match_many(chunk)]


def run(n_skus: int, n_listings: int, workers: int, sample: int, seed: int) -> None:
    global _WORKER
    t0 = time.perf_counter()
    market = build_market(n_skus, n_listings, seed)
    t_gen = time.perf_counter() - t0
    print(
        f"synthetic market: {len(market.parts):,} SKUs, {len(market.xrefs):,} cross-references,"
        f" {len(market.listings):,} listings (generated in {t_gen:.1f}s, not timed below)"
    )

    t0 = time.perf_counter()
    index = CatalogIndex.build(market.parts, market.xrefs)
    index.fuzzy  # noqa: B018 - build the lazy indexes inside the timed run
    index.near_index  # noqa: B018
    matcher = Matcher(index)
    t_index = time.perf_counter() - t0

    t1 = time.perf_counter()
    if workers > 1:
        _WORKER = matcher
        size = -(-len(market.listings) // (workers * 8))
        chunks = [market.listings[i : i + size] for i in range(0, len(market.listings), size)]
        with mp.get_context("fork").Pool(workers) as pool:
            results = [r for part in pool.map(_match_chunk, chunks) for r in part]
    else:
        results = [(r.sku, r.status) for r in matcher.match_many(market.listings)]
    t_match = time.perf_counter() - t1
    total = t_index + t_match
    rate = len(market.listings) / total

    tp = sum(
        1
        for (sku, st), exp in zip(results, market.truth, strict=True)
        if st == "auto" and sku == exp and exp
    )
    fp = sum(
        1
        for (sku, st), exp in zip(results, market.truth, strict=True)
        if st == "auto" and sku != exp
    )
    positives = sum(1 for exp in market.truth if exp)
    statuses = {
        s: sum(1 for _, st in results if st == s) for s in ("auto", "needs_review", "unmatched")
    }

    # baseline: every sampled listing against every catalog text, rapidfuzz in C
    rng = random.Random(seed + 1)
    picks = rng.sample(market.listings, min(sample, len(market.listings)))
    texts = [fuzzy_text(f"{p.brand} {p.description}") for p in market.parts]
    t2 = time.perf_counter()
    for item in picks:
        process.extractOne(
            fuzzy_text(item.title), texts, scorer=fuzz.token_set_ratio, processor=None
        )
    t_base = (time.perf_counter() - t2) / len(picks)
    base_total = t_base * len(market.listings) / workers
    base_rate = len(market.listings) / base_total

    print(f"index build: {t_index:6.1f} s")
    print(f"matching:    {t_match:6.1f} s  ({workers} worker{'s' if workers > 1 else ''})")
    print(f"whole run:   {total:6.1f} s  -> {rate:,.0f} listings/s")
    print(f"statuses:    {statuses}")
    print(
        f"synthetic truth: auto precision {tp / max(tp + fp, 1):.4f}, "
        f"auto recall {tp / max(positives, 1):.4f}"
    )
    print(
        f"baseline (exhaustive token_set_ratio over {len(market.parts):,} texts, "
        f"{len(picks)} sampled listings, {workers} worker(s)): {t_base * 1000:.1f} ms/listing "
        f"-> {base_total:,.0f} s for all, {base_rate:,.1f} listings/s"
    )
    print(
        f"speed-up over baseline: {base_total / total:,.0f}x; target under 120 s: "
        f"{'met' if total < 120 else 'MISSED'}"
    )


ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data"


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and the output of one command, run as a process."""
    full = ["/usr/bin/time", "-f", "%e %M", *cmd]
    done = subprocess.run(full, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    wall, rss_kb = done.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss_kb) / 1024, done.stdout


def run_command(n_skus: int, n_listings: int, seed: int, db_url: str | None) -> None:
    from sqlalchemy import select

    from pricing.storage import Database
    from pricing.storage.models import Listing, Match

    market = build_market(n_skus, n_listings, seed)
    work = Path(tempfile.mkdtemp(prefix="bench_matching_"))
    try:
        _write_csv(
            work / "catalog.csv",
            ["sku", "part_number", "description", "brand", "category", "family", "unit_cost",
             "price", "currency", "pack_qty", "proprietary", "gtin", "superseded_by"],
            [[p.sku, p.part_number, p.description, p.brand, p.category, p.category, "1.00",
              "2.00", "USD", p.pack_qty, "false", p.gtin or "", p.superseded_by or ""]
             for p in market.parts],
        )
        _write_csv(
            work / "xref.csv",
            ["competitor_brand", "competitor_part_number", "sku", "relation"],
            [[x.competitor_brand, x.competitor_part_number, x.sku, x.relation]
             for x in market.xrefs],
        )
        now = dt.datetime.now(dt.UTC).isoformat()
        _write_csv(
            work / "observations.csv",
            ["competitor", "url", "title", "price", "currency", "brand", "part_number",
             "gtin", "observed_at"],
            [["shop", f"https://shop.example/l/{item.listing_id}", item.title, "9.99", "USD",
              item.brand or "", item.part_number or "", item.gtin or "", now]
             for item in market.listings],
        )
        url = db_url or f"sqlite:///{work / 'bench.db'}"
        base = [sys.executable, "-m", "pricing", "--db", url, "--config", str(ROOT / "config")]
        print(
            f"synthetic market: {len(market.parts):,} SKUs, {len(market.xrefs):,} "
            f"cross-references, {len(market.listings):,} listings; database {url.split(':')[0]}"
        )
        steps = [
            ("pricing init", ["init"], 0),
            ("pricing catalog import", ["catalog", "import", str(work / "catalog.csv")],
             len(market.parts)),
            ("pricing xref import", ["xref", "import", str(work / "xref.csv")],
             len(market.xrefs)),
            ("pricing observations import",
             ["observations", "import", str(work / "observations.csv")], len(market.listings)),
            ("pricing match", ["match"], len(market.listings)),
        ]
        for label, args, rows in steps:
            wall, rss, out = _timed([*base, *args])
            rate = f"{rows / wall:10,.0f} rows/s" if rows else ""
            print(f"{label:30} {wall:8.1f} s  peak RSS {rss:7.0f} MB  {rate}")
            if label == "pricing match":
                print(f"  {out.strip().splitlines()[0]}")
        truth = {f"https://shop.example/l/{item.listing_id}": exp
                 for item, exp in zip(market.listings, market.truth, strict=True)}
        db = Database(url)
        tp = fp = positives = 0
        digest = hashlib.sha256()
        with db.session() as session:
            rows_ = session.execute(
                select(Listing.url, Match.sku, Match.status, Match.method, Match.confidence,
                       Match.competitor_part_number, Match.note, Match.relation,
                       Match.evidence)
                .join(Match, Match.listing_id == Listing.id)
                .order_by(Listing.url)
            )
            for listing_url, sku, status, *rest in rows_:
                digest.update(repr((listing_url, sku, status, *rest)).encode())
                expected = truth[listing_url]
                if status == "auto":
                    tp += sku == expected and expected is not None
                    fp += sku != expected
        db.dispose()
        print(f"stored matches digest (sha256 of every match row): {digest.hexdigest()[:16]}")
        positives = sum(1 for exp in market.truth if exp)
        print(
            f"stored auto matches on the synthetic truth: precision {tp / max(tp + fp, 1):.4f},"
            f" recall {tp / max(positives, 1):.4f}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
PARTS = {"development": "matching_labeled.csv", "frozen": "matching_frozen.csv"}


def run_labelled(verbose: bool) -> None:
    index = CatalogIndex.build(
        load_catalog(LABELLED / "matching_catalog.csv"),
        load_xrefs(LABELLED / "matching_xrefs.csv"),
    )
    matcher = Matcher(index)
    results: dict[str, Scores] = {
        part: score(matcher, load_labelled(LABELLED / name)) for part, name in PARTS.items()
    }
    print("labelled listings: only auto matches count; P precision, R recall")
    print(f"{'':24}" + "".join(f"{part:>26}" for part in results))
    print(f"{'listings':24}" + "".join(f"{s.listings:>26}" for s in results.values()))

    def row(label: str, tallies: list[tuple[int, int, int, float, float]]) -> None:
        cells = [f"P {p:.3f} R {r:.3f} ({tp}/{fp}/{fn})" for tp, fp, fn, p, r in tallies]
        print(f"{label:24}" + "".join(f"{c:>26}" for c in cells))

    row("SKU (tp/fp/fn)", [
        (s.sku.tp, s.sku.fp, s.sku.fn, s.sku.precision, s.sku.recall) for s in results.values()
    ])
    for relation in next(iter(results.values())).by_relation:
        row(f"relation {relation}", [
            (t.tp, t.fp, t.fn, t.precision, t.recall)
            for t in (s.by_relation[relation] for s in results.values())
        ])
    print(f"{'SKU F1':24}" + "".join(f"{s.sku.f1:>26.3f}" for s in results.values()))
    if verbose:
        for part, s in results.items():
            for kind, items in (("wrong", s.wrong), ("missed", s.missed)):
                for item, result in items:
                    print(f"{part} {kind}: [{item.case}] {item.listing.title!r} expected "
                          f"{item.sku} ({item.relation}), got {result.sku} {result.status} "
                          f"{result.method} ({result.relation}): {result.note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--baseline-sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--labelled", action="store_true", help="precision/recall on the labelled sets"
    )
    parser.add_argument("--verbose", action="store_true", help="with --labelled: each miss")
    parser.add_argument(
        "--command", action="store_true", help="time pricing init/imports/match on a database"
    )
    parser.add_argument("--db", default=None, help="with --command: an empty database URL")
    args = parser.parse_args()
    if args.command:
        run_command(args.skus, args.listings, args.seed, args.db)
        return
    if args.labelled:
        run_labelled(args.verbose)
        return
    run(args.skus, args.listings, args.workers, args.baseline_sample, args.seed)


if __name__ == "__main__":
    main()
