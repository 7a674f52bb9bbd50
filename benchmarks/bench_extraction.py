"""Extraction speed on the saved product pages in ``tests/sample_pages``.

Prints ms/page for the whole cascade (``extract_product``) over every saved page,
repeated, and for comparison in the same run the cost of only parsing each page into
an lxml tree (the floor any extractor pays).

    .venv/bin/python benchmarks/bench_extraction.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "sample_pages"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from parsel import Selector

    from crawlers.extraction import extract_product

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    pages = []
    for html in sorted(PAGES.glob("*.html")):
        spec = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        pages.append((html.name, html.read_bytes(), spec["url"]))
    per_page: dict[str, float] = {}
    start = time.perf_counter()
    for _ in range(args.repeat):
        for name, body, url in pages:
            t = time.perf_counter()
            extract_product(body, url)
            per_page[name] = per_page.get(name, 0.0) + time.perf_counter() - t
    total = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(args.repeat):
        for _, body, url in pages:
            Selector(text=body.decode("utf-8", "replace"), base_url=url)
    parse_only = time.perf_counter() - start
    n = len(pages) * args.repeat
    print(f"{len(pages)} saved pages x {args.repeat}")
    print(f"extraction cascade: {total / n * 1000:6.2f} ms/page")
    print(f"lxml parse only:    {parse_only / n * 1000:6.2f} ms/page (baseline)")
    slowest = sorted(per_page.items(), key=lambda kv: -kv[1])[:3]
    print("slowest: " + ", ".join(f"{k} {v / args.repeat * 1000:.1f} ms" for k, v in slowest))


if __name__ == "__main__":
    main()
