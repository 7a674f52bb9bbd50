"""Serves the demo storefronts over real HTTP, each on its own local port.

:class:`DemoMarket` starts one stdlib ``ThreadingHTTPServer`` per storefront in
background threads; it is a context manager, so a test or ``pricing demo`` can write::

    with DemoMarket() as market:          # free ports
        crawl(market.base_urls["partsdepot"])

Every request is logged (:meth:`DemoMarket.request_log`), so a test can check what a
crawler fetched and when; ``faults`` switches shops into the failure modes of
:mod:`demo_market.faults`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from demo_market.common import DEFAULT_SEED
from demo_market.data import DemoInputs, write_demo_inputs
from demo_market.shops import ListingTruth
from demo_market.storefronts import STOREFRONTS, Storefront
from demo_market.world import SHOP_NAMES, DemoWorld, build_world

DEFAULT_PORT_BASE = 8701


def default_ports(port_base: int = DEFAULT_PORT_BASE) -> dict[str, int]:
    """``partsdepot`` on ``port_base``, ``gearhub`` on the next port, and so on."""
    return {name: port_base + i for i, name in enumerate(SHOP_NAMES)}


@dataclass(frozen=True)
class RequestRecord:
    """One request a shop answered: when (``time.monotonic()``), what, and how."""

    at: float
    method: str
    path: str  # with the query string
    status: int
    user_agent: str


class _Handler(BaseHTTPRequestHandler):
    """Moves bytes between a socket and a :class:`Storefront`; all logic lives there."""

    protocol_version = "HTTP/1.1"
    storefront: Storefront  # set on the per-shop subclass
    log: list[RequestRecord]  # set on the per-shop subclass

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        url = urlsplit(self.path)
        address = self.server.server_address
        local = f"{address[0]!s}:{address[1]!s}" if isinstance(address, tuple) else "localhost"
        host = self.headers.get("Host") or local
        response = self.storefront.handle(url.path, parse_qs(url.query), f"http://{host}")
        self.log.append(
            RequestRecord(
                time.monotonic(),
                self.command,
                self.path,
                response.status,
                self.headers.get("User-Agent", ""),
            )
        )
        if response.delay:
            time.sleep(response.delay)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-cache")
            for name, value in response.headers:
                self.send_header(name, value)
            if response.drop_after is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if send_body:
                self.wfile.write(response.body[: response.drop_after])
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            self.close_connection = True
            return
        if response.drop_after is not None:  # promised more than it sent: a cut transfer
            self.wfile.flush()
            self.close_connection = True

    def version_string(self) -> str:
        return f"{self.storefront.display_name.replace(' ', '')}/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a crawl makes hundreds of requests."""


class DemoMarket:
    """The demo storefronts for one seed, served on ``host``.

    ``ports`` maps competitor names to ports; a name left out, port 0 or ``ports=None``
    means a free port chosen by the OS. ``day`` is the date the shops price for
    (default: the world's fixed anchor date, so every run sees the same prices); it can
    be changed while the market runs, to let price history accumulate. ``faults`` maps
    shop names to fault modes (:data:`demo_market.faults.FAULTS`); none by default.
    ``anchor`` moves the world's "today" (:func:`demo_market.world.build_world`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        seed: int = DEFAULT_SEED,
        day: dt.date | None = None,
        names: Sequence[str] | None = None,
        faults: Mapping[str, Iterable[str]] | None = None,
        anchor: dt.date | None = None,
    ) -> None:
        self.host = host
        self.seed = seed
        self.world: DemoWorld = build_world(seed, anchor)
        self.names: tuple[str, ...] = tuple(names or SHOP_NAMES)
        unknown = [n for n in self.names if n not in STOREFRONTS]
        if unknown:
            raise ValueError(
                f"no demo storefront named {unknown[0]!r} (known: {', '.join(SHOP_NAMES)})"
            )
        self._ports = dict(ports or {})
        self._day = day or self.world.anchor
        self.storefronts: dict[str, Storefront] = {
            name: STOREFRONTS[name](self.world.shops[name], self._day) for name in self.names
        }
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self._logs: dict[str, list[RequestRecord]] = {name: [] for name in self.names}
        for name, modes in (faults or {}).items():
            self.set_faults(name, *modes)

    def set_faults(self, competitor: str, *modes: str) -> None:
        """Switch a shop's fault modes (none given: the shop behaves again)."""
        if competitor not in self.storefronts:
            raise ValueError(f"no demo storefront named {competitor!r} in this market")
        self.storefronts[competitor].set_faults(modes)

    def request_log(self, competitor: str) -> list[RequestRecord]:
        """Every request ``competitor``'s shop answered so far, oldest first."""
        return list(self._logs[competitor])

    def clear_request_log(self, competitor: str | None = None) -> None:
        for name in [competitor] if competitor else self.names:
            self._logs[name].clear()

    @property
    def day(self) -> dt.date:
        return self._day

    @day.setter
    def day(self, value: dt.date) -> None:
        self._day = value
        for storefront in self.storefronts.values():
            storefront.day = value

    @property
    def running(self) -> bool:
        return bool(self._servers)

    @property
    def base_urls(self) -> dict[str, str]:
        """Competitor name -> ``http://host:port`` of its running storefront."""
        if not self._servers:
            raise RuntimeError("the demo market is not running; call start() first")
        return {
            name: f"http://{self.host}:{server.server_address[1]}"
            for name, server in self._servers.items()
        }

    def start(self) -> DemoMarket:
        if self._servers:
            return self
        for name in self.names:
            port = self._ports.get(name, 0)
            handler = type(
                f"{name}_Handler",
                (_Handler,),
                {"storefront": self.storefronts[name], "log": self._logs[name]},
            )
            try:
                server = ThreadingHTTPServer((self.host, port), handler)
            except OSError as exc:
                self.stop()
                raise OSError(
                    exc.errno,
                    f"cannot serve the {name} demo shop on {self.host}:{port}: {exc.strerror}",
                ) from exc
            server.daemon_threads = True
            self._servers[name] = server
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"demo-market-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> DemoMarket:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def ground_truth(self, competitor: str, day: dt.date | None = None) -> list[ListingTruth]:
        """Every product page of ``competitor`` (absolute URLs when running) and the SKU it is."""
        base = self.base_urls[competitor] if self.running else ""
        return self.world.ground_truth(competitor, day or self._day, base)

    def write_inputs(self, out_dir: Path) -> DemoInputs:
        """The catalog, cross-reference and sales files that go with these shops."""
        return write_demo_inputs(out_dir, self.seed, self.world.anchor)
