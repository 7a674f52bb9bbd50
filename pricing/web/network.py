"""Where a request comes from and what it may carry: allowed hosts, trusted proxies,
request limits.

* **Allowed hosts** (``PRICING_WEB_ALLOWED_HOSTS``, comma-separated; default
  ``localhost``, ``127.0.0.1``, ``::1`` and the address ``pricing serve`` binds to). A
  request whose ``Host`` header names another host is refused (400) before anything
  else runs: a web page the analyst visits cannot point its own DNS name at 127.0.0.1
  and read the answers (DNS rebinding). ``*.example.com`` allows the subdomains; ``*``
  turns the check off.
* **Trusted proxies** (``PRICING_WEB_TRUSTED_PROXIES``: addresses or networks,
  comma-separated; default none). Only from these is ``X-Forwarded-For`` believed: the
  visitor is the right-most address in it that is not itself a trusted proxy, and
  ``X-Forwarded-Proto: https`` marks the request as https. A request from a trusted
  proxy is never "local", whatever address the proxy reports, and neither is one that
  carries forwarding headers from an untrusted peer. (So with ``127.0.0.1`` listed as a
  proxy, a browser on the server itself must log in too.)
* **Limits**: a request body above ``PRICING_WEB_MAX_BODY`` bytes (default 1 MiB) is
  refused with 413, before it is read when it says its length, as soon as it passes the
  limit when it is sent in chunks. A URL with control characters (a NUL byte, say) is
  refused with 400.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import HTTPException, Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pricing.web.auth import AuthConfigError

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
MAX_BODY = 1024 * 1024
# headers a reverse proxy adds; from an untrusted peer they still mean "not straight here"
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host", "via")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def host_pattern(host: str) -> str:
    """A host as the ``Host`` header spells it: IPv6 literals in brackets, lower case."""
    host = host.strip().lower()
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def _network(text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise AuthConfigError(
            "PRICING_WEB_TRUSTED_PROXIES", f"{text.strip()!r} is not an address or network"
        ) from None


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip().strip("[]"))
    except ValueError:
        return None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@dataclass(frozen=True)
class Visitor:
    """Who sent a request: their address (the proxy's word for it, when trusted), and
    whether it came straight from this machine and over https."""

    address: str
    local: bool
    https: bool
    proxied: bool


@dataclass(frozen=True)
class NetworkConfig:
    """Allowed hosts, trusted proxies and the body limit (see the module docstring)."""

    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    trusted_proxies: tuple[Network, ...] = ()
    max_body: int = MAX_BODY
    _patterns: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for host in self.allowed_hosts:
            wildcard = host.startswith("*") and host != "*"
            if "*" in host[1:] or (wildcard and not host.startswith("*.")):
                raise AuthConfigError(
                    "PRICING_WEB_ALLOWED_HOSTS", f"{host!r}: a wildcard is '*' or '*.example.com'"
                )
        object.__setattr__(
            self, "_patterns", tuple(dict.fromkeys(host_pattern(h) for h in self.allowed_hosts))
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        bind_host: str | None = None,
        extra_hosts: Iterable[str] = (),
        extra_proxies: Iterable[str] = (),
    ) -> NetworkConfig:
        """``PRICING_WEB_ALLOWED_HOSTS``, ``PRICING_WEB_TRUSTED_PROXIES`` and
        ``PRICING_WEB_MAX_BODY``; ``bind_host`` (unless a wildcard address) is allowed
        as a host too, and so are ``extra_hosts`` (``pricing serve --allowed-host``)."""
        env = os.environ if environ is None else environ
        hosts = _split(env.get("PRICING_WEB_ALLOWED_HOSTS")) or list(LOOPBACK_HOSTS)
        if bind_host and bind_host not in ("0.0.0.0", "::", ""):
            hosts.append(bind_host)
        hosts += list(extra_hosts)
        proxies = [*_split(env.get("PRICING_WEB_TRUSTED_PROXIES")), *extra_proxies]
        raw_limit = env.get("PRICING_WEB_MAX_BODY", str(MAX_BODY)).strip()
        if not raw_limit.isdigit() or not 1024 <= int(raw_limit) <= 1024**3:
            raise AuthConfigError(
                "PRICING_WEB_MAX_BODY", f"{raw_limit!r}: expected bytes from 1024 to 1073741824"
            )
        return cls(
            allowed_hosts=tuple(hosts),
            trusted_proxies=tuple(_network(p) for p in proxies),
            max_body=int(raw_limit),
        )

    @property
    def host_patterns(self) -> tuple[str, ...]:
        """For :class:`~starlette.middleware.trustedhost.TrustedHostMiddleware`."""
        return self._patterns

    def trusts(self, address: str | None) -> bool:
        ip = _address(address)
        return ip is not None and any(ip in net for net in self.trusted_proxies)

    def visitor(self, request: Request) -> Visitor:
        """Who sent ``request`` (computed once per request)."""
        cached = getattr(request.state, "visitor", None)
        if isinstance(cached, Visitor):
            return cached
        peer = request.client.host if request.client else ""
        headers = request.headers
        forwarded = any(name in headers for name in FORWARDING_HEADERS)
        https = request.url.scheme == "https"
        address = peer
        proxied = False
        if self.trusts(peer):  # a proxy, even when it forwards no headers
            proxied = True
            hops = [h.strip() for h in ",".join(headers.getlist("x-forwarded-for")).split(",")]
            for hop in reversed([h for h in hops if h]):
                address = hop
                if not self.trusts(hop):
                    break
            proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
            https = https or proto == "https"
        ip = _address(peer)
        local = ip is not None and ip.is_loopback and not forwarded and not proxied
        found = Visitor(address=address[:64], local=local, https=https, proxied=proxied)
        request.state.visitor = found
        return found


class RequestLimits:
    """ASGI middleware: refuses bodies above ``max_body`` (413) and URLs with control
    characters (400). The 413 for a body sent in chunks is raised from ``receive`` as an
    :class:`HTTPException`, which FastAPI's body parsing passes on untouched."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._refusal(scope)
        if problem is not None:
            status, text = problem
            await PlainTextResponse(text, status_code=status)(scope, receive, send)
            return
        received = 0
        limit = self.max_body

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request body above {limit} bytes")
            return message

        await self.app(scope, limited, send)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        path = scope.get("path", "")
        query = unquote_to_bytes(scope.get("query_string", b""))
        if _has_control(path.encode("utf-8", "surrogateescape")) or _has_control(query):
            return 400, "control characters are not allowed in the URL"
        lengths = _header_values(scope["headers"], b"content-length")
        if lengths:
            if len(set(lengths)) > 1 or not lengths[0].isdigit():
                return 400, "malformed Content-Length"
            if int(lengths[0]) > self.max_body:
                return 413, f"request body above {self.max_body} bytes"
        return None


def _has_control(raw: bytes) -> bool:
    return any(b < 0x20 or b == 0x7F for b in raw)


def _header_values(headers: Sequence[Any], name: bytes) -> list[bytes]:
    return [value.strip() for key, value in headers if key.lower() == name]
