"""Matching throughput: synthetic listings against synthetic SKUs, in memory and on a DB.

    .venv/bin/python benchmarks/bench_matching.py [--skus 50000] [--listings 100000]
        [--workers 2] [--baseline-sample 200] [--seed 1]

times the matcher in memory (index build included) on ``--workers`` processes, and
prints precision/recall of the auto matches on the synthetic truth. The baseline,
exhaustive fuzzy comparison of a listing against every catalog text with rapidfuzz's C
scorer, is far too slow to run on every listing; both it and the matcher are timed on
the same ``--baseline-sample`` listings, one process each, and the figures printed are
those measured (nothing is scaled or divided).

    .venv/bin/python benchmarks/bench_matching.py --labelled

prints precision and recall, overall and per relation (same, alternative, kit), on the
labelled development part and the frozen part (tests/data/README.md) side by side, for
each labelled set (aftermarket, freetext, structured).

    .venv/bin/python benchmarks/bench_matching.py --learned

fits the learned ranking on decisions simulated from the development parts and prints
each part's precision/recall with the matcher alone and with the model.

    .venv/bin/python benchmarks/bench_matching.py --command [--skus 100000]
        [--listings 150000] [--workers 2] [--db URL]

times the commands a user runs on the same synthetic market, on a database (a fresh
SQLite file unless ``--db`` names an empty one), each as its own process with wall
time, CPU time and memory (peak RSS of the largest process, and the peak of the summed
PSS of the command and its worker processes, which counts shared pages once):
``pricing init``, the three imports, then ``pricing match --workers 1`` (the baseline:
one process, every listing), ``pricing match --all --workers N`` (every listing again,
on N processes: its stored matches must equal the baseline's, digest printed), a
``pricing match`` with nothing changed, and one after 1% of the listings changed
(re-imported with new titles); then precision/recall of the stored auto matches on the
synthetic truth. Before each of the two full match runs, a "cores check" times two
pure-Python loops one after the other and on two processes: on a machine shared with
other jobs it shows how much of a second core there was to use. Target: 100,000 SKUs x
150,000 listings through ``pricing match`` in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from rapidfuzz import fuzz, process

from pricing.matching import CatalogIndex, CatalogPart, CrossRef, ListingInput, Matcher
from pricing.matching.config import LearnedConfig
from pricing.matching.fuzzy import process as fuzzy_text
from pricing.matching.labelled import LABELLED_SETS, Scores, load_labelled, score
from pricing.matching.normalize import gtin_check_digit, normalize_part_number
from pricing.matching.parallel import MIN_PARALLEL, match_parallel

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


def run(n_skus: int, n_listings: int, workers: int, sample: int, seed: int) -> None:
    t0 = time.perf_counter()
    market = build_market(n_skus, n_listings, seed)
    t_gen = time.perf_counter() - t0
    print(
        f"synthetic market: {len(market.parts):,} SKUs, {len(market.xrefs):,} cross-references,"
        f" {len(market.listings):,} listings (generated in {t_gen:.1f}s, not timed below)"
    )

    t0 = time.perf_counter()
    index = CatalogIndex.build(market.parts, market.xrefs)
    matcher = Matcher(index)
    t_index = time.perf_counter() - t0
    t1 = time.perf_counter()
    # the lazy parts of the index (fuzzy, near misses) are built inside, and timed
    results = [(r.sku, r.status) for r in match_parallel(matcher, market.listings, workers)]
    t_match = time.perf_counter() - t1
    total = t_index + t_match

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
    print(f"index build: {t_index:6.1f} s")
    used = workers if len(market.listings) >= MIN_PARALLEL else 1
    print(
        f"matching:    {t_match:6.1f} s  ({used} process{'es' if used > 1 else ''},"
        " fuzzy and near-miss indexes built inside)"
    )
    print(f"whole run:   {total:6.1f} s  -> {len(market.listings) / total:,.0f} listings/s")
    print(f"statuses:    {statuses}")
    print(
        f"synthetic truth: auto precision {tp / max(tp + fp, 1):.4f}, "
        f"auto recall {tp / max(positives, 1):.4f}"
    )

    # baseline: every sampled listing against every catalog text, rapidfuzz in C, and
    # the matcher on the very same listings; one process each, both measured
    rng = random.Random(seed + 1)
    picks = rng.sample(market.listings, min(sample, len(market.listings)))
    t2 = time.perf_counter()
    texts = [fuzzy_text(f"{p.brand} {p.description}") for p in market.parts]
    for item in picks:
        process.extractOne(
            fuzzy_text(item.title), texts, scorer=fuzz.token_set_ratio, processor=None
        )
    t_base = time.perf_counter() - t2
    t3 = time.perf_counter()
    matcher.match_many(picks)
    t_ours = time.perf_counter() - t3
    print(
        f"baseline (exhaustive token_set_ratio over {len(market.parts):,} texts) on "
        f"{len(picks)} sampled listings, 1 process: {t_base:.2f} s measured "
        f"({t_base / len(picks) * 1000:.1f} ms/listing)"
    )
    print(
        f"matcher on the same {len(picks)} listings, 1 process, index already built: "
        f"{t_ours:.3f} s measured ({t_ours / len(picks) * 1000:.2f} ms/listing); "
        f"{t_base / max(t_ours, 1e-9):,.0f}x faster"
    )


ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data"


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@dataclass
class Timed:
    wall: float  # seconds
    cpu: float  # user + system seconds, the command and its workers
    rss_mb: float  # peak RSS of the largest single process
    pss_mb: float  # peak of the summed PSS of the command and its workers
    out: str


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return pids


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _timed(cmd: list[str]) -> Timed:
    """Run one command as a process; its wall and CPU time and its memory."""
    child = subprocess.Popen(
        ["/usr/bin/time", "-f", "%e %U %S %M", *cmd],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    peak_pss = 0
    sampling = True

    def sample() -> None:
        nonlocal peak_pss
        while sampling:
            peak_pss = max(peak_pss, sum(_pss_kb(pid) for pid in _tree(child.pid)))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    sampling = False
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out}\n{err}")
    # GNU time: %M is the peak RSS of the largest process it waited for, in KiB
    wall, user, system, rss_kb = err.strip().splitlines()[-1].split()
    return Timed(float(wall), float(user) + float(system), int(rss_kb) / 1024,
                 peak_pss / 1024, out)


def _stored(url: str, truth: dict[str, str | None]) -> tuple[str, int, int]:
    """A digest of every stored match row, and auto true/false positives on the truth."""
    from sqlalchemy import select

    from pricing.storage import Database
    from pricing.storage.models import Listing, Match

    db = Database(url)
    tp = fp = 0
    digest = hashlib.sha256()
    with db.session() as session:
        rows = session.execute(
            select(Listing.url, Match.sku, Match.status, Match.method, Match.confidence,
                   Match.competitor_part_number, Match.note, Match.relation, Match.evidence)
            .join(Match, Match.listing_id == Listing.id)
            .order_by(Listing.url)
        )
        for listing_url, sku, status, *rest in rows:
            digest.update(repr((listing_url, sku, status, *rest)).encode())
            expected = truth[listing_url]
            if status == "auto":
                tp += sku == expected and expected is not None
                fp += sku != expected
    db.dispose()
    return digest.hexdigest()[:16], tp, fp


_OBSERVATION_HEADER = ["competitor", "url", "title", "price", "currency", "brand",
                       "part_number", "gtin", "observed_at"]  # fmt: skip


def _observation_rows(listings: list[ListingInput], when: dt.datetime) -> list[list[object]]:
    return [["shop", f"https://shop.example/l/{item.listing_id}", item.title, "9.99", "USD",
             item.brand or "", item.part_number or "", item.gtin or "", when.isoformat()]
            for item in listings]  # fmt: skip


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def _cores_check(n: int = 10_000_000) -> tuple[float, float]:
    """Seconds for two equal pure-Python loops one after the other, and on two
    processes at once: how much of a second core the machine gives right now."""
    import multiprocessing as mp

    t0 = time.perf_counter()
    _burn(n)
    _burn(n)
    serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(_burn, [n, n])
    return serial, time.perf_counter() - t0


def run_command(n_skus: int, n_listings: int, seed: int, workers: int, db_url: str | None) -> None:
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
        now = dt.datetime.now(dt.UTC)
        _write_csv(work / "observations.csv", _OBSERVATION_HEADER,
                   _observation_rows(market.listings, now - dt.timedelta(days=1)))
        # 1% of the listings retitled a day later: the incremental run matches only them
        rng = random.Random(seed + 2)
        changed = [
            replace(item, title=f"{item.title} ({rng.choice(VEHICLES)})")
            for item in rng.sample(market.listings, max(len(market.listings) // 100, 1))
        ]
        _write_csv(work / "changed.csv", _OBSERVATION_HEADER,
                   _observation_rows(changed, now))

        url = db_url or f"sqlite:///{work / 'bench.db'}"
        base = [sys.executable, "-m", "pricing", "--db", url, "--config", str(ROOT / "config")]
        print(
            f"synthetic market: {len(market.parts):,} SKUs, {len(market.xrefs):,} "
            f"cross-references, {len(market.listings):,} listings; database {url.split(':')[0]}"
            f"; load average before: {os.getloadavg()[0]:.1f}"
        )
        print(f"{'':40} {'wall':>8} {'CPU':>8} {'peak RSS':>10} {'peak PSS':>10}")
        truth = {f"https://shop.example/l/{item.listing_id}": exp
                 for item, exp in zip(market.listings, market.truth, strict=True)}
        digests: dict[str, str] = {}
        steps = [
            ("pricing init", ["init"], 0),
            ("pricing catalog import", ["catalog", "import", str(work / "catalog.csv")],
             len(market.parts)),
            ("pricing xref import", ["xref", "import", str(work / "xref.csv")],
             len(market.xrefs)),
            ("pricing observations import",
             ["observations", "import", str(work / "observations.csv")], len(market.listings)),
            ("pricing match --workers 1 (baseline)", ["match", "--workers", "1"],
             len(market.listings)),
            (f"pricing match --all --workers {workers}",
             ["match", "--all", "--workers", str(workers)], len(market.listings)),
            ("pricing match (nothing changed)", ["match"], 0),
            ("pricing observations import (1%)",
             ["observations", "import", str(work / "changed.csv")], len(changed)),
            ("pricing match (1% changed)", ["match"], len(changed)),
        ]
        for label, args, rows in steps:
            if label.startswith(("pricing match --workers", "pricing match --all")):
                serial, parallel = _cores_check()
                print(f"  cores check: two CPU loops take {serial:.2f} s one after the other,"
                      f" {parallel:.2f} s on two processes ({serial / parallel:.2f}x);"
                      f" load average {os.getloadavg()[0]:.1f}")
            done = _timed([*base, *args])
            rate = f"{rows / done.wall:10,.0f} rows/s" if rows else ""
            print(f"{label:40} {done.wall:6.1f} s {done.cpu:6.1f} s {done.rss_mb:7.0f} MB"
                  f" {done.pss_mb:7.0f} MB  {rate}")
            if label.startswith("pricing match"):
                print(f"  {done.out.strip().splitlines()[0]}")
            if label.startswith(("pricing match --workers", "pricing match --all")):
                digest, _, _ = _stored(url, truth)
                digests[label] = digest
                print(f"  stored matches digest (sha256 of every match row): {digest}")
        if len(set(digests.values())) != 1:
            raise SystemExit(f"the parallel run stored other matches than the baseline: {digests}")
        _, tp, fp = _stored(url, truth)
        positives = sum(1 for exp in market.truth if exp)
        print(
            f"stored auto matches on the synthetic truth: precision {tp / max(tp + fp, 1):.4f},"
            f" recall {tp / max(positives, 1):.4f}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_labelled(verbose: bool) -> None:
    print("labelled listings: only auto matches count; P precision, R recall")
    for labelled_set in LABELLED_SETS:
        parts, xrefs = labelled_set.index_inputs(LABELLED)
        matcher = Matcher(CatalogIndex.build(parts, xrefs))
        results: dict[str, Scores] = {
            part: score(matcher, load_labelled(LABELLED / name))
            for part, name in labelled_set.parts().items()
        }
        _print_scores(labelled_set.name, results, verbose)


def _print_scores(name: str, results: dict[str, Scores], verbose: bool) -> None:
    print(f"\n{'set ' + name:24}" + "".join(f"{part:>26}" for part in results))
    print(f"{'listings':24}" + "".join(f"{s.listings:>26}" for s in results.values()))

    def row(label: str, tallies: list[tuple[int, int, int, float, float]]) -> None:
        cells = [f"P {p:.3f} R {r:.3f} ({tp}/{fp}/{fn})" for tp, fp, fn, p, r in tallies]
        print(f"{label:24}" + "".join(f"{c:>26}" for c in cells))

    row("SKU (tp/fp/fn)", [
        (s.sku.tp, s.sku.fp, s.sku.fn, s.sku.precision, s.sku.recall) for s in results.values()
    ])
    for relation in next(iter(results.values())).by_relation:
        tallies = [s.by_relation[relation] for s in results.values()]
        if not any(t.tp + t.fp + t.fn for t in tallies):
            continue  # a relation the set has no listing of
        row(f"relation {relation}", [(t.tp, t.fp, t.fn, t.precision, t.recall) for t in tallies])
    print(f"{'SKU F1':24}" + "".join(f"{s.sku.f1:>26.3f}" for s in results.values()))
    if verbose:
        for part, s in results.items():
            for kind, items in (("wrong", s.wrong), ("missed", s.missed)):
                for item, result in items:
                    print(f"{name} {part} {kind}: [{item.case}] {item.listing.title!r} "
                          f"({item.listing.brand}/{item.listing.part_number}) expected "
                          f"{item.sku} ({item.relation}), got {result.sku} {result.status} "
                          f"{result.method} ({result.relation}): {result.note}")


def run_learned() -> None:
    """Decisions simulated from the development parts (a person confirming or rejecting
    every candidate the matcher showed, auto and review), pooled over the sets; the
    fitted model applied to each part. Only the frozen figures are honest."""

    from pricing.matching.learned import LearnedModel, features

    rows, accepted, pending = [], [], []
    matchers = {}
    for labelled_set in LABELLED_SETS:
        matcher = Matcher(CatalogIndex.build(*labelled_set.index_inputs(LABELLED)))
        matchers[labelled_set.name] = matcher
        for item in load_labelled(LABELLED / labelled_set.development):
            r = matcher.match(item.listing)
            if r.sku and r.status in ("auto", "needs_review"):
                rows.append(features(matcher, item.listing, r.sku, r))
                accepted.append(r.sku == item.sku)
                pending.append(r.status == "needs_review")
    config = LearnedConfig()
    model = LearnedModel.fit_features(rows, accepted, config, pending)
    print(f"decisions from the development parts: {len(rows)} ({sum(accepted)} confirmed), "
          f"{sum(pending)} of them on the review queue")
    if model is None:
        print("too few decisions for a model")
        return
    h = model.held_out
    threshold = "none reaches it" if model.threshold is None else f"{model.threshold:.3f}"
    print(f"auto_precision {config.auto_precision}: threshold {threshold} "
          f"(held-out on {h.decisions} queue decisions: precision {h.precision:.3f}, "
          f"recall {h.recall:.3f})")
    print(f"{'':28}{'matcher alone':>30}{'with the model':>30}")
    for labelled_set in LABELLED_SETS:
        matcher = matchers[labelled_set.name]
        for part, name in labelled_set.parts().items():
            items = load_labelled(LABELLED / name)
            before = [matcher.match(i.listing) for i in items]
            after = [r for r, _ in model.apply(matcher, [i.listing for i in items], before)]
            cells = []
            for results in (before, after):
                pairs = list(zip(results, items, strict=True))
                tp = sum(r.status == "auto" and r.sku == i.sku for r, i in pairs)
                fp = sum(r.status == "auto" and r.sku != i.sku for r, i in pairs)
                pos = sum(i.sku is not None for i in items)
                cells.append(f"P {tp / max(tp + fp, 1):.3f} R {tp / pos:.3f} ({tp}/{fp})")
            print(f"{labelled_set.name + ' ' + part:28}" + "".join(f"{c:>30}" for c in cells))
    _learned_on_synthetic_history(config)


def _learned_on_synthetic_history(config: LearnedConfig, seed: int = 5) -> None:
    """A longer history: the synthetic market's first half is what a person reviewed
    (every review-queue candidate confirmed or rejected by the truth); the model fitted
    on it is applied to the second half."""
    from pricing.matching.learned import Decision, LearnedModel

    market = build_market(3000, 8000, seed)
    matcher = Matcher(CatalogIndex.build(market.parts, market.xrefs))
    results = matcher.match_many(market.listings)
    half = len(results) // 2
    decisions = [
        Decision(li, r.sku, r.sku == t)
        for li, r, t in zip(market.listings[:half], results[:half], market.truth[:half],
                            strict=True)
        if r.status == "needs_review" and r.sku
    ]
    model = LearnedModel.fit(matcher, decisions, config)
    print(f"\nsynthetic market (3,000 SKUs, seed {seed}): {len(decisions)} review decisions "
          f"on the first {half} listings, applied to the other {len(results) - half}")
    if model is None:
        print("too few decisions for a model")
        return
    h = model.held_out
    threshold = "none" if model.threshold is None else f"{model.threshold:.3f}"
    print(f"threshold {threshold}, held-out precision {h.precision:.3f}")
    later = results[half:]
    applied = [r for r, _ in model.apply(matcher, market.listings[half:], later)]
    truth = market.truth[half:]
    positives = sum(t is not None for t in truth)
    for label, rs in (("matcher alone", later), ("with the model", applied)):
        tp = sum(r.status == "auto" and r.sku == t for r, t in zip(rs, truth, strict=True))
        fp = sum(r.status == "auto" and r.sku != t for r, t in zip(rs, truth, strict=True))
        print(f"{label:28}P {tp / max(tp + fp, 1):.4f} R {tp / positives:.4f} ({tp}/{fp})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--labelled", action="store_true", help="precision/recall on the labelled sets"
    )
    parser.add_argument("--verbose", action="store_true", help="with --labelled: each miss")
    parser.add_argument(
        "--learned", action="store_true",
        help="the learned model fitted on decisions from the labelled development parts",
    )
    parser.add_argument(
        "--command", action="store_true", help="time pricing init/imports/match on a database"
    )
    parser.add_argument("--db", default=None, help="with --command: an empty database URL")
    args = parser.parse_args()
    if args.command:
        run_command(args.skus, args.listings, args.seed, args.workers, args.db)
        return
    if args.labelled:
        run_labelled(args.verbose)
        return
    if args.learned:
        run_learned()
        return
    run(args.skus, args.listings, args.workers, args.baseline_sample, args.seed)


if __name__ == "__main__":
    main()
