"""Crawl throughput on the demo market: the full pipeline against a bare Scrapy spider.

Prints, for one shop (default ``partsdepot``), pages/s of the real crawl (discovery,
extraction cascade, batched storage in SQLite, run bookkeeping) and of a bare Scrapy
spider that fetches the very same pages with the same politeness settings and reads
nothing; both measured in this run, each in its own process (Scrapy's reactor starts
once per process). Target: full / bare >= 0.8. Then pages/s of the browser-rendered
JavaScript shop (``quickfit``, headless Chromium via scrapy-playwright). Last, the
command a user runs, ``pricing crawl SHOP --base-url ...`` on a fresh SQLite database,
timed as a whole (interpreter start-up, the run's bookkeeping and health check
included) beside the crawl's own seconds.

    .venv/bin/python benchmarks/bench_crawl.py [--shop partsdepot] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"


def _child(mode: str, shop: str, base_url: str, urls_file: str | None) -> None:
    """Run one crawl in this process and print its figures as JSON."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawlers.runner import run_crawls, scrapy_settings
    from crawlers.spiders.competitor import CompetitorSpider, launch_options
    from pricing.config import load_config
    from pricing.settings import Settings
    from pricing.storage import Database

    config = load_config(CONFIG)
    competitor = config.competitor(shop)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        Database(url).upgrade()
        settings = Settings(database_url=url, config_dir=CONFIG)
        if mode == "full":
            holder: dict[str, Any] = {}
            from scrapy import signals

            process = CrawlerProcess(scrapy_settings(settings, "ERROR"))
            spider_cls = __import__("crawlers.spiderloader", fromlist=["x"]).spider_class(
                competitor
            )
            crawler = process.create_crawler(spider_cls)
            crawler.signals.connect(
                lambda spider, reason: holder.setdefault("stats", dict(crawler.stats.get_stats())),
                signal=signals.spider_closed,
            )
            process.crawl(crawler, base_url=base_url)
            process.start()
            stats = crawler.stats.get_stats()
        else:
            urls = json.loads(Path(urls_file or "").read_text())

            class Bare(scrapy.Spider):
                name = "bare"
                custom_settings = {
                    **CompetitorSpider.settings_for(competitor),
                    "ITEM_PIPELINES": {},
                }
                if competitor.render_js:
                    custom_settings["PLAYWRIGHT_LAUNCH_OPTIONS"] = launch_options(
                        scrapy_settings(settings), competitor
                    )

                async def start(self):  # type: ignore[no-untyped-def]
                    for u in urls:
                        yield scrapy.Request(u, callback=self.parse)

                def parse(self, response):  # type: ignore[no-untyped-def]
                    return None

            process = CrawlerProcess(scrapy_settings(settings, "ERROR"))
            crawler = process.create_crawler(Bare)
            process.crawl(crawler)
            process.start()
            stats = crawler.stats.get_stats()
        del run_crawls
    pages = int(stats.get("downloader/response_count", 0))
    seconds = float(stats.get("elapsed_time_seconds", 0.0))
    print(json.dumps({"pages": pages, "seconds": seconds, "items": stats.get("pricing/items", 0)}))


def _run_child(mode: str, shop: str, base_url: str, urls_file: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode, "--shop", shop, "--base-url", base_url]
    if urls_file:
        cmd += ["--urls", urls_file]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{mode} crawl failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def command_run(shop: str, base_url: str, pages: int) -> None:
    """``pricing crawl`` as a user runs it, on a fresh database, timed end to end."""
    import time

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/cmd.db"
        base = [sys.executable, "-m", "pricing", "--db", url, "--config", str(CONFIG)]
        subprocess.run([*base, "init"], capture_output=True, cwd=ROOT, check=True)
        t = time.perf_counter()
        done = subprocess.run([*base, "crawl", shop, "--base-url", f"{shop}={base_url}"],
                              capture_output=True, text=True, cwd=ROOT, timeout=900, check=False)
        wall = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"pricing crawl exited {done.returncode}: {done.stderr[-2000:]}")
    print(f"`pricing crawl {shop}` as a command: {wall:6.1f} s wall for about {pages} pages "
          f"({pages / wall:.1f} pages/s, start-up and bookkeeping included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shop", default="partsdepot")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", choices=["full", "bare"])
    parser.add_argument("--base-url")
    parser.add_argument("--urls")
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.shop, args.base_url, args.urls)
        return

    sys.path.insert(0, str(ROOT))
    from demo_market import DemoMarket

    with DemoMarket() as market, tempfile.TemporaryDirectory() as tmp:
        base = market.base_urls[args.shop]
        # the bare spider fetches exactly what the full crawl fetched (listings included)
        market.clear_request_log(args.shop)
        _run_child("full", args.shop, base)
        fetched = [base + r.path for r in market.request_log(args.shop) if r.path != "/robots.txt"]
        urls_file = str(Path(tmp) / "urls.json")
        Path(urls_file).write_text(json.dumps(fetched))
        full_rates, bare_rates = [], []
        for _ in range(args.rounds):
            bare = _run_child("bare", args.shop, base, urls_file)
            full = _run_child("full", args.shop, base)
            bare_rates.append(bare["pages"] / bare["seconds"])
            full_rates.append(full["pages"] / full["seconds"])
        full_rate, bare_rate = statistics.median(full_rates), statistics.median(bare_rates)
        print(f"shop: {args.shop} ({full['pages']} pages, {full['items']} items stored)")
        print(f"full pipeline (fetch, extract, store): {full_rate:7.1f} pages/s")
        print(f"bare Scrapy spider (fetch only):       {bare_rate:7.1f} pages/s")
        print(f"ratio full / bare: {full_rate / bare_rate:.2f}  (target >= 0.80)")
        command_run(args.shop, base, full["pages"])
        if not args.skip_browser:
            js = _run_child("full", "quickfit", market.base_urls["quickfit"])
            print(
                f"browser-rendered (quickfit, Chromium): {js['pages'] / js['seconds']:7.1f} pages/s"
                f" ({js['pages']} pages in {js['seconds']:.1f} s, {js['items']} items)"
            )


if __name__ == "__main__":
    main()
