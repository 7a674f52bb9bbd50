"""Extraction quality and speed on the saved product pages.

Quality: per field precision, recall and F1 on the development pages
(``tests/data/sample_pages``, the ones rules are fixed against) and on the frozen held-out
pages (``tests/data/sample_pages/frozen``, never tuned on) side by side, with the number of
pages and shops, and per field how many pages list it under ``known_misses`` (a known
miss is scored against the human value, so it counts as an error here).

Speed: ms/page for the whole cascade (``extract_product``) over every saved page,
repeated, and in the same run the cost of only parsing each page into an lxml tree
(the floor any extractor pays).

    .venv/bin/python benchmarks/bench_extraction.py [--repeat 20] [--wrong] [--no-speed]
        [--guess-stock]

``--guess-stock`` scores the variant where a stock row the extractor cannot read
("Availability: Call to check") is not taken as "unknown" and the add-to-cart button
decides instead (the behaviour before issue 15), to measure what saying "unknown" buys.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "data" / "sample_pages"
FROZEN = PAGES / "frozen"
SHOWN = ("price", "availability", "sku", "mpn", "part_number", "currency", "list_price",
         "pack_qty", "gtin", "brand", "title", "price_includes_tax")  # fmt: skip


def quality(show_wrong: bool) -> None:
    from crawlers.extraction.evaluation import load_pages, score

    dev, frozen = score(load_pages(PAGES)), score(load_pages(FROZEN))
    print(f"pages: dev {dev.pages} ({dev.shops} shops), frozen {frozen.pages} "
          f"({frozen.shops} shops)")  # fmt: skip
    print(f"{'field':20} {'dev P':>6} {'R':>6} {'F1':>6} {'n':>4} {'miss':>4}   "
          f"{'frozen P':>8} {'R':>6} {'F1':>6} {'n':>4} {'miss':>4}")  # fmt: skip
    for name in SHOWN:
        d, f = dev.fields[name], frozen.fields[name]
        print(
            f"{name:20} {d.precision:6.3f} {d.recall:6.3f} {d.f1:6.3f} {d.labelled:4d} "
            f"{d.known_misses:4d}   {f.precision:8.3f} {f.recall:6.3f} {f.f1:6.3f} "
            f"{f.labelled:4d} {f.known_misses:4d}"
        )
    d, f = dev.always_in_stock, frozen.always_in_stock
    print(
        f"{'(always InStock)':20} {d.precision:6.3f} {d.recall:6.3f} {d.f1:6.3f} "
        f"{d.labelled:4d}        {f.precision:8.3f} {f.recall:6.3f} {f.f1:6.3f} {f.labelled:4d}"
    )
    if show_wrong:
        for label, result in (("dev", dev), ("frozen", frozen)):
            for name in SHOWN:
                for line in result.fields[name].wrong:
                    print(f"  {label} {name}: {line}")


def speed(repeat: int) -> None:
    from parsel import Selector

    from crawlers.extraction import extract_product
    from crawlers.extraction.evaluation import load_pages

    pages = [
        (page.name, page.html.read_bytes(), page.url)
        for page in [*load_pages(PAGES), *load_pages(FROZEN)]
    ]
    per_page: dict[str, float] = {}
    start = time.perf_counter()
    for _ in range(repeat):
        for name, body, url in pages:
            t = time.perf_counter()
            extract_product(body, url)
            per_page[name] = per_page.get(name, 0.0) + time.perf_counter() - t
    total = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(repeat):
        for _, body, url in pages:
            Selector(text=body.decode("utf-8", "replace"), base_url=url)
    parse_only = time.perf_counter() - start
    n = len(pages) * repeat
    print(f"{len(pages)} saved pages x {repeat}")
    print(f"extraction cascade: {total / n * 1000:6.2f} ms/page")
    print(f"lxml parse only:    {parse_only / n * 1000:6.2f} ms/page (baseline)")
    slowest = sorted(per_page.items(), key=lambda kv: -kv[1])[:3]
    print("slowest: " + ", ".join(f"{k} {v / repeat * 1000:.1f} ms" for k, v in slowest))


def main() -> None:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--wrong", action="store_true", help="list every wrong answer")
    parser.add_argument("--no-speed", action="store_true", help="quality only")
    parser.add_argument("--guess-stock", action="store_true", help="no 'unknown' stock rows")
    args = parser.parse_args()
    if args.guess_stock:
        from crawlers.extraction import visible

        visible.UNREADABLE_ROW_IS_UNKNOWN = False
    quality(args.wrong)
    if not args.no_speed:
        speed(args.repeat)


if __name__ == "__main__":
    main()
