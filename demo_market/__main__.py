"""``python -m demo_market``: serve the demo storefronts until Ctrl-C."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from demo_market.common import DEFAULT_SEED
from demo_market.faults import FAULTS
from demo_market.server import DEFAULT_PORT_BASE, DemoMarket, default_ports


def _day(text: str) -> dt.date:
    return dt.date.today() if text == "today" else dt.date.fromisoformat(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo_market", description="Serve the demo competitor storefronts."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port-base",
        type=int,
        default=DEFAULT_PORT_BASE,
        help="first port; each further shop takes the next one (0: free ports)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--day",
        type=_day,
        default=None,
        help="date the shops price for, YYYY-MM-DD or 'today' (default: the seed's fixed date)",
    )
    parser.add_argument(
        "--write-inputs",
        type=Path,
        metavar="DIR",
        help="also write catalog.csv, xref.csv and sales.csv into DIR",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SHOP=MODE[,MODE]",
        help=f"inject faults into a shop ({', '.join(FAULTS)}); repeatable",
    )
    args = parser.parse_args(argv)
    ports = default_ports(args.port_base) if args.port_base else None
    faults: dict[str, list[str]] = {}
    for spec in args.fault:
        shop, _, modes = spec.partition("=")
        faults.setdefault(shop, []).extend(m for m in modes.split(",") if m)
    try:
        market = DemoMarket(
            host=args.host, ports=ports, seed=args.seed, day=args.day, faults=faults
        )
    except ValueError as exc:
        parser.error(str(exc))
    try:
        market.start()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.write_inputs:
        inputs = market.write_inputs(args.write_inputs)
        print(f"inputs: {inputs.catalog}, {inputs.xref}, {inputs.sales}")
    print(f"demo market (seed {args.seed}, prices for {market.day.isoformat()}):")
    for name, url in market.base_urls.items():
        modes = sorted(market.storefronts[name].faults.modes)
        note = f", faults: {', '.join(modes)}" if modes else ""
        print(f"  {name:<12} {url}/  ({market.storefronts[name].display_name}{note})")
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        market.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
