"""Every web request is untrusted, and secrets stay off command lines.

Three kinds of test, each saying what it proves:

* the app in-process (Starlette's TestClient) on SQLite and PostgreSQL: the ASGI
  ``client`` address is set per test, which is how a request from another machine
  (``203.0.113.7``) reaches the read gate without one;
* ``pricing serve`` and ``pricing web-user`` as real processes, over real HTTP on a
  loopback port: a "proxy" is this test connecting from ``127.0.0.2`` (listed in
  ``PRICING_WEB_TRUSTED_PROXIES``) with an ``X-Forwarded-For`` header; a visitor from
  outside the machine is only ever simulated that way, since the test has no other
  machine;
* the daemon's crawl and nightly children and its Scrapyd jobs: the command lines
  they get, and a real nightly child's ``/proc/<pid>/cmdline``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from typer.testing import CliRunner

from pricing.cli import app as cli_app
from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import Suggestion, WebSession, utcnow
from pricing.web import sessions
from pricing.web.app import create_app
from pricing.web.auth import (
    AuthConfig,
    AuthConfigError,
    LoginThrottle,
    hash_password,
    parse_tokens,
    read_users,
    write_user,
)
from pricing.web.network import NetworkConfig
from scheduler.children import Children, child_env, crawl_command
from scheduler.options import DaemonOptions
from scheduler.runtime import Runtime
from scheduler.scrapyd import ScrapydClient, job_settings
from scheduler.tasks import nightly_command
from tests.support import CONFIG_DIR, ROOT

USER, PASSWORD = "ana", "correct horse battery"
TOKEN = "ci-token-0123456789abcdef"
OUTSIDE = ("203.0.113.7", 50123)  # TEST-NET-3: an address from another machine
LOOPBACK = ("127.0.0.1", 50123)
SLASH_SKU = "NL/2001"
CATALOG = """sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,proprietary,gtin,map_price
NL/2001,NL-2001,V-belt 6PK1220,Northline,Belts,v-belt,6.00,12.00,USD,1,false,,
NL-2002,NL-2002,Oil filter spin-on,Northline,Filters,oil-filter,4.00,9.00,USD,1,false,,
NL-2003,NL-2003,Radiator hose upper,Northline,Hoses,hose,5.00,8.00,USD,1,false,,
"""
SALES = "sku,date,units,unit_price\n" + "".join(
    f"{sku},2026-{m:02d}-05,{10 + n},{p}\n"
    for n, (sku, p) in enumerate([("NL/2001", "12.00"), ("NL-2002", "9.00"), ("NL-2003", "8.00")])
    for m in range(1, 11)
)


# --- fixtures -------------------------------------------------------------------------


def build_database(db_url: str, work: Path) -> int:
    """A migrated database with three parts (one SKU with a "/") and one suggestion
    run, made with the real commands; returns the run id."""
    runner = CliRunner()
    (work / "catalog.csv").write_text(CATALOG, encoding="utf-8")
    (work / "sales.csv").write_text(SALES, encoding="utf-8")
    for args in (
        ["init"],
        ["catalog", "import", str(work / "catalog.csv")],
        ["sales", "import", str(work / "sales.csv")],
        ["optimize"],
    ):
        result = runner.invoke(cli_app, ["--db", db_url, "--config", str(CONFIG_DIR), *args])
        assert result.exit_code == 0, (args, result.output, result.exception)
    db = Database(db_url)
    try:
        with db.session() as session:
            run_id = session.scalar(select(func.max(Suggestion.run_id)))
            assert isinstance(run_id, int)
            return run_id
    finally:
        db.dispose()


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[tuple[Database, int]]:
    run_id = build_database(db_url, tmp_path)
    db = Database(db_url)
    yield db, run_id
    db.dispose()


def make_client(
    db: Database,
    *,
    client: tuple[str, int] = LOOPBACK,
    auth: AuthConfig | None = None,
    network: NetworkConfig | None = None,
) -> TestClient:
    auth = auth or AuthConfig(users={USER: hash_password(PASSWORD)}, tokens={TOKEN: "ci-bot"})
    app = create_app(
        Settings(database_url=db.url, config_dir=CONFIG_DIR),
        auth=auth,
        network=network,
        database=db,
    )
    return TestClient(
        app,
        base_url="http://localhost",
        client=client,
        follow_redirects=False,
        raise_server_exceptions=False,
    )


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def log_in(http: TestClient | httpx.Client, password: str = PASSWORD, **kw: Any) -> httpx.Response:
    token = csrf_of(http.get("/login", **kw).text)
    return http.post(
        "/login",
        data={"csrf_token": token, "username": USER, "password": password, "next": "/"},
        **kw,
    )


# --- hosts, proxies and the read gate ---------------------------------------------------


def test_a_host_header_naming_another_host_is_refused(site: tuple[Database, int]) -> None:
    """DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends
    ``Host: evil.example``; nothing is read, whoever asks."""
    db, run_id = site
    http = make_client(db)
    for host in ("evil.example", "evil.example:8000", "localhost.evil.example", ""):
        resp = http.get(f"/api/runs/{run_id}/suggestions", headers={"host": host})
        assert resp.status_code == 400, host
        assert "unit_cost" not in resp.text
    for host in ("localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000"):
        assert http.get("/api/runs", headers={"host": host}).status_code == 200, host
    named = make_client(db, network=NetworkConfig.from_env({}, extra_hosts=["pricing.example"]))
    assert named.get("/api/runs", headers={"host": "pricing.example"}).status_code == 200
    assert named.get("/api/runs", headers={"host": "evil.example"}).status_code == 400


def test_reading_costs_needs_a_login_unless_straight_from_loopback(
    site: tuple[Database, int],
) -> None:
    db, run_id = site
    path = f"/api/runs/{run_id}/suggestions"
    assert make_client(db).get(path).status_code == 200  # the analyst's own machine

    outside = make_client(db, client=OUTSIDE)
    resp = outside.get(path)
    assert resp.status_code == 401 and "unit_cost" not in resp.text
    page = outside.get(f"/runs/{run_id}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert outside.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert log_in(outside).status_code == 303
    assert outside.get(path).status_code == 200  # a logged-in session reads

    # a proxy on the same machine: the peer is 127.0.0.1, the visitor is not
    same_host = make_client(db)
    assert same_host.get(path, headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 401
    assert same_host.get(path, headers={"Forwarded": "for=198.51.100.4"}).status_code == 401
    proxy = NetworkConfig.from_env({"PRICING_WEB_TRUSTED_PROXIES": "127.0.0.1"})
    behind = make_client(db, network=proxy)
    assert behind.get(path).status_code == 401  # a trusted proxy is never "local"
    assert behind.get(path, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 401


def test_the_session_cookie_is_secure_over_https_from_a_trusted_proxy(
    site: tuple[Database, int],
) -> None:
    db, _ = site
    proxy = NetworkConfig.from_env({"PRICING_WEB_TRUSTED_PROXIES": "127.0.0.1"})
    behind = make_client(db, network=proxy)
    https = {"X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https"}
    cookie = behind.get("/login", headers=https).headers["set-cookie"].lower()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    plain = behind.get("/login", headers={"X-Forwarded-For": "198.51.100.4"})
    assert "; secure" not in plain.headers["set-cookie"].lower()
    spoofed = make_client(db, client=OUTSIDE).get("/login", headers=https)  # not a proxy
    assert "; secure" not in spoofed.headers["set-cookie"].lower()


def test_read_setting_closes_or_opens_reading(site: tuple[Database, int]) -> None:
    db, _ = site
    closed = make_client(db, auth=AuthConfig(tokens={TOKEN: "ci"}, read="login"))
    assert closed.get("/api/runs").status_code == 401
    assert closed.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    opened = make_client(db, client=OUTSIDE, auth=AuthConfig(read="open"))
    assert opened.get("/api/runs").status_code == 200
    assert opened.post("/api/runs/1/review", json={"action": "approve"}).status_code == 401


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    """The client address (which the login throttle counts) comes from
    ``X-Forwarded-For`` only when the peer is a trusted proxy; the right-most address
    that is not a trusted proxy is the visitor."""
    from starlette.requests import Request

    net = NetworkConfig.from_env({"PRICING_WEB_TRUSTED_PROXIES": "10.0.0.0/8, ::1"})

    def who(peer: str, **headers: str) -> tuple[str, bool, bool]:
        scope = {
            "type": "http",
            "scheme": "http",
            "path": "/",
            "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
            "client": (peer, 1),
            "server": ("localhost", 80),
        }
        v = net.visitor(Request(scope))
        return v.address, v.local, v.https

    xff = {"x_forwarded_for": "192.0.2.1, 198.51.100.9, 10.1.1.1", "x_forwarded_proto": "https"}
    assert who("10.0.0.5", **xff) == ("198.51.100.9", False, True)
    assert who("203.0.113.7", **xff) == ("203.0.113.7", False, False)  # not a proxy: ignored
    assert who("127.0.0.1") == ("127.0.0.1", True, False)
    assert who("127.0.0.1", **xff) == ("127.0.0.1", False, False)
    assert who("::1") == ("::1", False, False)  # listed as a proxy: never local


# --- sessions ---------------------------------------------------------------------------


def test_logout_ends_the_session_for_every_copy_of_the_cookie(
    site: tuple[Database, int],
) -> None:
    db, run_id = site
    auth = AuthConfig(users={USER: hash_password(PASSWORD)})  # one signing key for both
    http = make_client(db, client=OUTSIDE, auth=auth)
    assert log_in(http).status_code == 303
    cookie = http.cookies["pricing_session"]
    set_cookie = http.get("/login").headers.get("set-cookie", "")
    assert "httponly" in set_cookie.lower() and "samesite=lax" in set_cookie.lower()
    with db.session() as session:
        rows = list(session.scalars(select(WebSession)))
    assert [r.user_name for r in rows] == [USER]
    assert rows[0].id != cookie and len(rows[0].id) == 64  # only a digest is stored
    assert rows[0].expires_at - rows[0].created_at == dt.timedelta(hours=12)

    token = csrf_of(http.get(f"/runs/{run_id}").text)
    assert http.post("/logout", data={"csrf_token": token}).status_code == 303
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0

    def replay() -> TestClient:  # a copy of the cookie taken before the logout
        stolen = make_client(db, client=OUTSIDE, auth=auth)
        stolen.cookies.set("pricing_session", cookie)
        return stolen

    assert replay().get(f"/api/runs/{run_id}/suggestions").status_code == 401
    resp = replay().post(f"/runs/{run_id}/review", data={"csrf_token": token, "action": "approve"})
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    with db.session() as session:
        statuses = set(session.scalars(select(Suggestion.review_status)))
    assert statuses == {"pending"}


def test_a_new_password_ends_open_sessions_and_works_without_a_restart(
    site: tuple[Database, int], tmp_path: Path
) -> None:
    db, run_id = site
    users = tmp_path / "web_users.txt"
    write_user(users, USER, PASSWORD)
    auth = AuthConfig.from_env(
        Settings(database_url=db.url, config_dir=tmp_path), {"PRICING_WEB_USERS": str(users)}
    )
    http = make_client(db, client=OUTSIDE, auth=auth)
    assert log_in(http).status_code == 303
    assert http.get("/api/runs").status_code == 200
    time.sleep(0.01)  # a new modification time on coarse clocks
    write_user(users, USER, "a brand new password")
    assert http.get("/api/runs").status_code == 401
    assert log_in(http).status_code == 401  # the old password is gone
    assert log_in(http, password="a brand new password").status_code == 303
    assert http.get("/api/runs").status_code == 200


def test_an_expired_session_is_refused_and_cleared(db: Database) -> None:
    start = utcnow() - dt.timedelta(hours=13)
    old = sessions.start_session(db, USER, "tag", dt.timedelta(hours=12), now=start)
    live = sessions.start_session(db, USER, "tag", dt.timedelta(hours=12))
    assert sessions.session_user(db, old, lambda _user: "tag") is None
    assert sessions.session_user(db, live, lambda _user: "tag") == USER
    assert sessions.session_user(db, live, lambda _user: "other") is None  # new password
    assert sessions.session_user(db, live, lambda _user: "tag") is None  # and it stays ended
    again = sessions.start_session(db, USER, "tag", dt.timedelta(hours=12))
    assert sessions.end_user_sessions(db, USER) == 1
    assert sessions.session_user(db, again, lambda _user: "tag") is None
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0


# --- login throttle and timing -----------------------------------------------------------


def test_failed_logins_are_throttled_per_user_and_per_address(
    site: tuple[Database, int],
) -> None:
    db, _ = site
    auth = AuthConfig(users={USER: hash_password(PASSWORD)})  # one server, one throttle
    http = make_client(db, client=OUTSIDE, auth=auth)
    for _ in range(5):
        assert log_in(http, password="wrong password").status_code == 401
    refused = log_in(http)  # even the right password waits
    assert refused.status_code == 429
    assert 800 <= int(refused.headers["retry-after"]) <= 900
    assert "unit_cost" not in refused.text

    # per address: ten names from one address, then that address waits for any name
    other = make_client(db, client=("203.0.113.8", 1), auth=auth)
    token = csrf_of(other.get("/login").text)
    codes = [
        other.post(
            "/login", data={"csrf_token": token, "username": f"guess{i}", "password": "x" * 9}
        ).status_code
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]
    # the user name stays locked from any other address
    fresh = make_client(db, client=("203.0.113.9", 1), auth=auth)
    assert log_in(fresh).status_code == 429


def test_the_throttle_forgets_after_its_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(per_user=2, per_address=3, window=60, clock=lambda: now[0])
    throttle.failed("ana", "a1")
    now[0] += 10
    throttle.failed("ana", "a2")
    assert throttle.retry_after("ana", "a3") == 50
    assert throttle.retry_after("bob", "a3") is None
    now[0] += 51
    assert throttle.retry_after("ana", "a3") is None
    throttle.failed("x", "a9")
    throttle.failed("y", "a9")
    throttle.failed("z", "a9")
    assert throttle.retry_after("w", "a9") == 60


def test_an_unknown_user_costs_the_same_as_a_wrong_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth = AuthConfig(users={USER: hash_password(PASSWORD)})
    auth.check_password("warm-up", "x")
    calls: list[str] = []
    real = hashlib.scrypt

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append("scrypt")
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    assert auth.check_password("nobody", "wrong password") is False
    unknown = len(calls)
    calls.clear()
    assert auth.check_password(USER, "wrong password") is False
    assert unknown == len(calls) == 1  # the same work: one scrypt check each

    monkeypatch.setattr(hashlib, "scrypt", real)
    times: dict[str, list[float]] = {"unknown": [], "known": []}
    for _ in range(6):
        for kind, name in (("unknown", "nobody"), ("known", USER)):
            start = time.perf_counter()
            auth.check_password(name, "wrong password")
            times[kind].append(time.perf_counter() - start)
    ratio = statistics.median(times["unknown"]) / statistics.median(times["known"])
    assert 0.6 < ratio < 1.6, times  # it was 2.0 when an unknown name hashed twice


# --- limits and bad input: 4xx, never 500 -------------------------------------------------


def test_bodies_above_the_limit_are_refused(site: tuple[Database, int]) -> None:
    db, run_id = site
    http = make_client(db)
    auth = {"Authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    big = b'{"action": "approve", "why": "' + b"x" * (1024 * 1024) + b'"}'
    assert http.post(f"/api/runs/{run_id}/review", content=big, headers=auth).status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b'{"action": "approve", "why": "'
        for _ in range(20):
            yield b"x" * 65536

    resp = http.post(f"/api/runs/{run_id}/review", content=chunks(), headers=auth)
    assert resp.status_code == 413
    small = make_client(db, network=NetworkConfig.from_env({"PRICING_WEB_MAX_BODY": "2048"}))
    form = {"csrf_token": "x", "username": USER, "password": "p" * 3000}
    assert small.post("/login", data=form).status_code == 413
    with db.session() as session:
        assert set(session.scalars(select(Suggestion.review_status))) == {"pending"}


BAD_GETS = [
    "/api/runs/9223372036854775808",
    "/api/runs/99999999999999999999999/suggestions",
    "/api/runs/2147483648",
    "/api/runs/-1",
    "/api/runs/abc",
    "/runs/9223372036854775808",
    "/api/skus/NL%00-2001/history",
    "/sku/NL%00-2001",
    "/api/matches?offset=99999999999999999999",
    "/api/matches?limit=0",
    "/api/competitor-moves?until=0001-01-01T00:00:00",
    "/api/competitor-moves?since=9999-12-31T23:59:59",
    "/api/competitor-moves?since=not-a-date",
    "/api/skus/NL-2002/history?since=2026-13-45",
    "/api/runs/1/suggestions?status=weird",
    "/market/%00",
    "/api/runs?limit=1%00",
]


def test_bad_input_gets_a_4xx_never_a_500(site: tuple[Database, int]) -> None:
    db, run_id = site
    http = make_client(db)
    for path in BAD_GETS:
        resp = http.get(path)
        assert 400 <= resp.status_code < 500, (path, resp.status_code, resp.text[:300])
    for cookie in ("pricing_session=\xe9t\xe9.\xe9", "pricing_session=a.b.c", "pricing_session"):
        resp = http.get("/api/runs", headers={"cookie": cookie.encode("latin-1")})
        assert resp.status_code == 200, cookie  # a broken cookie is no session

    url = f"/api/runs/{run_id}/review"
    token = {"Authorization": f"Bearer {TOKEN}"}
    sku = "NL-2002"
    bodies: list[Any] = [
        *(
            {"action": "override", "skus": [sku], "price": p, "why": "test"}
            for p in ("NaN", "Infinity", "-Infinity", "1e30", "-5", "0", "0.001", "12.345", "")
        ),
        {"action": "override", "skus": [sku], "price": 1e308, "why": "test"},
        {"action": "approve", "skus": ["NL\x00-2002"]},
        {"action": "approve", "skus": ["x" * 100]},
        {"action": "approve", "why": "a\x00b", "skus": [sku]},
        {"action": "explode"},
        ["not", "an", "object"],
    ]
    for body in bodies:
        resp = http.post(url, json=body, headers=token)
        assert resp.status_code == 422, (body, resp.status_code, resp.text[:300])
    for raw in (b"{bad json", b'{"action": "approve", "skus": [', b"\xff\xfe", b"null"):
        resp = http.post(url, content=raw, headers={**token, "content-type": "application/json"})
        assert resp.status_code == 422, (raw, resp.text[:300])
    assert http.post("/api/runs/9223372036854775808/review", json={"action": "approve"},
                     headers=token).status_code == 422

    # the same through the review form: one clear message, nothing stored
    assert log_in(http).status_code == 303
    csrf = csrf_of(http.get(f"/runs/{run_id}").text)
    for price in ("NaN", "Infinity", "1e30", "-3", "0", "12.345", "abc", "9" * 400):
        resp = http.post(
            f"/runs/{run_id}/review",
            data={"csrf_token": csrf, "action": "override", "sku": sku, "price": price,
                  "why": "test"},
        )
        assert resp.status_code == 303, (price, resp.status_code)
        message = http.get(f"/runs/{run_id}").text
        assert "override price" in message, price
    for field in ({"sku": "NL\x00"}, {"why": "x\x00"}, {"category": "B" * 300}):
        data = {"csrf_token": csrf, "action": "approve", "sku": sku, **field}
        assert http.post(f"/runs/{run_id}/review", data=data).status_code == 303
    with db.session() as session:
        assert set(session.scalars(select(Suggestion.review_status))) == {"pending"}
    resp = http.post(f"/runs/{run_id}/review", data={
        "csrf_token": csrf, "action": "override", "sku": sku, "price": "25.00", "why": "ok"})
    assert resp.status_code == 303
    with db.session() as session:
        row = session.scalar(select(Suggestion).where(Suggestion.sku == sku))
        assert row is not None and row.approved_price == Decimal("25.00")


def test_a_sku_with_a_slash_opens_from_the_apps_own_links(site: tuple[Database, int]) -> None:
    db, run_id = site
    http = make_client(db)
    report = http.get(f"/runs/{run_id}").text
    link = re.search(r'href="(/sku/NL[^"]*2001)"', report)
    assert link and link.group(1) == "/sku/NL%2F2001"
    page = http.get(link.group(1))
    assert page.status_code == 200 and f"{SLASH_SKU}: V-belt" in page.text
    json_link = re.search(r'href="(/api/skus/[^"]+/history)"', page.text)
    assert json_link
    history = http.get(json_link.group(1))
    assert history.status_code == 200
    assert {h["sku"] for h in history.json()} == {SLASH_SKU}
    assert http.get("/api/skus/NL/2001/history").status_code == 200  # unencoded, too
    assert http.get("/api/skus/NL/2001/nothing").status_code == 404


# --- configuration from the environment -------------------------------------------------


def test_users_file_tokens_and_settings_from_the_environment(tmp_path: Path) -> None:
    settings = Settings(config_dir=tmp_path)
    users = tmp_path / "web_users.txt"
    write_user(users, USER, PASSWORD)
    write_user(users, "bob", "bob's password")
    write_user(users, USER, "second password")  # replaces, keeps bob
    assert users.stat().st_mode & 0o777 == 0o600
    env = {"PRICING_WEB_TOKENS": f"ci-bot:{TOKEN}, report:{'r' * 20}", "PRICING_WEB_READ": "login"}
    auth = AuthConfig.from_env(settings, env)  # the users file from the config folder
    assert sorted(auth.users) == ["ana", "bob"]
    assert auth.check_password(USER, "second password") and not auth.check_password(USER, PASSWORD)
    assert auth.token_user(TOKEN) == "ci-bot" and auth.token_user("r" * 20) == "report"
    assert auth.token_user(TOKEN + "x") is None and auth.read == "login"
    assert AuthConfig.from_env(settings, {}).read == "localhost"

    with pytest.raises(AuthConfigError, match="PRICING_WEB_TOKENS"):
        parse_tokens("ci-bot:short")
    with pytest.raises(AuthConfigError, match="PRICING_WEB_TOKENS"):
        parse_tokens("no-separator-0123456789")
    with pytest.raises(AuthConfigError, match="PRICING_WEB_READ: 'sometimes'"):
        AuthConfig.from_env(settings, {"PRICING_WEB_READ": "sometimes"})
    users.write_text(users.read_text() + "mallory:plaintext\n", encoding="utf-8")
    with pytest.raises(AuthConfigError, match=rf"{re.escape(str(users))}: line 4: expected"):
        read_users(users)

    net = NetworkConfig.from_env({}, bind_host="192.0.2.10")
    assert net.host_patterns == ("localhost", "127.0.0.1", "[::1]", "192.0.2.10")
    assert NetworkConfig.from_env({}, bind_host="0.0.0.0").host_patterns[-1] == "[::1]"
    assert NetworkConfig.from_env({"PRICING_WEB_ALLOWED_HOSTS": "a.example"}).host_patterns == (
        "a.example",)
    for env_bad, key in (
        ({"PRICING_WEB_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, "PRICING_WEB_TRUSTED_PROXIES"),
        ({"PRICING_WEB_MAX_BODY": "lots"}, "PRICING_WEB_MAX_BODY"),
        ({"PRICING_WEB_ALLOWED_HOSTS": "a.*.example"}, "PRICING_WEB_ALLOWED_HOSTS"),
    ):
        with pytest.raises(AuthConfigError, match=key):
            NetworkConfig.from_env(env_bad)


# --- the real commands: pricing web-user and pricing serve --------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pricing(*args: str, env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pricing", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, **kw
    )


def _raw(port: int, request: bytes) -> bytes:
    """Send ``request`` byte for byte (headers a client library would refuse, or no body
    after a Content-Length) and read the status line and headers of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


@pytest.fixture
def served(sqlite_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    run_id = build_database(sqlite_url, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    env |= {
        "PRICING_DATABASE_URL": sqlite_url,
        "PRICING_CONFIG_DIR": str(CONFIG_DIR),
        "PRICING_WEB_USERS": str(tmp_path / "users.txt"),
        "PRICING_WEB_TOKENS": f"ci-bot:{TOKEN}",
        "PRICING_WEB_TRUSTED_PROXIES": "127.0.0.2",
    }
    made = _pricing("web-user", USER, "--password-stdin", env=env, input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert f"user {USER} saved" in made.stdout
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pricing", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "pricing serve did not start"
            time.sleep(0.1)
    try:
        yield {"port": port, "run_id": run_id, "env": env, "log": tmp_path / "serve.log"}
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def test_pricing_serve_end_to_end(served: dict[str, Any]) -> None:
    port, run_id, env = served["port"], served["run_id"], served["env"]
    base = f"http://127.0.0.1:{port}"
    costs = f"/api/runs/{run_id}/suggestions"
    via_proxy = httpx.HTTPTransport(local_address="127.0.0.2")
    outside = {"X-Forwarded-For": "198.51.100.23"}

    with httpx.Client(base_url=base, timeout=30) as direct:
        assert direct.get(costs).status_code == 200  # straight from loopback: open
        assert direct.get(costs, headers={"host": "rebind.evil.example"}).status_code == 400
        assert direct.post(f"/api/runs/{run_id}/review", json={"action": "approve"}).status_code == 401

    with httpx.Client(base_url=base, timeout=30, transport=via_proxy, headers=outside) as web:
        resp = web.get(costs)
        assert resp.status_code == 401 and "unit_cost" not in resp.text
        assert web.get(costs, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert web.get(costs, headers={"Authorization": "Bearer wrong-token-000000"}).status_code == 401
        assert log_in(web).status_code == 303
        cookie = web.cookies["pricing_session"]
        assert web.get(costs).status_code == 200
        csrf = csrf_of(web.get(f"/runs/{run_id}").text)
        ok = web.post(f"/runs/{run_id}/review",
                      data={"csrf_token": csrf, "action": "approve", "sku": "NL-2002"})
        assert ok.status_code == 303
        assert web.post("/logout", data={"csrf_token": csrf}).status_code == 303

    with httpx.Client(base_url=base, timeout=30, transport=httpx.HTTPTransport(
            local_address="127.0.0.2"), headers=outside) as replay:
        replay.cookies.set("pricing_session", cookie)
        assert replay.get(costs).status_code == 401  # logged out: the copy is dead too

    # a new password from `pricing web-user` ends the sessions of the running server
    with httpx.Client(base_url=base, timeout=30, transport=httpx.HTTPTransport(
            local_address="127.0.0.2"), headers=outside) as web:
        assert log_in(web).status_code == 303
        assert web.get(costs).status_code == 200
        changed = _pricing("web-user", USER, "--password-stdin", env=env,
                           input="another long password\n")
        assert changed.returncode == 0, changed.stderr
        assert web.get(costs).status_code == 401
        assert log_in(web, password="another long password").status_code == 303

    # throttling, by the visitor's address behind the proxy
    with httpx.Client(base_url=base, timeout=30, transport=httpx.HTTPTransport(
            local_address="127.0.0.2"), headers={"X-Forwarded-For": "198.51.100.99"}) as guess:
        codes = [log_in(guess, password=f"guess {i}").status_code for i in range(6)]
        assert codes == [401] * 5 + [429]
        last = log_in(guess, password="another long password")
        assert last.status_code == 429 and int(last.headers["retry-after"]) > 0

    # a body announced above the limit is refused before it is sent
    head = _raw(port, (
        f"POST /api/runs/{run_id}/review HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Type: application/json\r\nContent-Length: {5 * 1024 * 1024}\r\n\r\n"
    ).encode())
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    # a non-ASCII cookie is no session, not an error
    answer = _raw(port, b"GET /api/runs HTTP/1.1\r\nHost: localhost\r\n"
                        b"Cookie: pricing_session=\xc3\xa9t\xc3\xa9.x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]

    log = served["log"].read_text()
    assert "allowed hosts: localhost, 127.0.0.1, [::1]" in log
    assert "trusted proxies: 127.0.0.2/32" in log
    assert "Traceback" not in log


# --- secrets stay off command lines -----------------------------------------------------


SECRET = "s3cret-Pw-4711"


def _runtime(db_url: str, tmp_path: Path) -> Runtime:
    settings = Settings(database_url=db_url, config_dir=CONFIG_DIR)
    options = DaemonOptions(reports_dir=tmp_path / "reports", log_dir=tmp_path / "logs")
    return Runtime(settings, options, Database(db_url))


def test_child_commands_and_scrapyd_settings_carry_no_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://pricing:{SECRET}@db.internal:5432/pricing"
    rt = _runtime(url, tmp_path)
    try:
        crawl = crawl_command(rt.settings.config_dir, "gearhub", "http://127.0.0.1:9/")
        for command in (crawl, nightly_command(rt)):
            assert not any(SECRET in arg for arg in command), command
            assert not any("db.internal" in arg for arg in command)
        assert child_env(url, {})["PRICING_DATABASE_URL"] == url
        settings = job_settings(url, CONFIG_DIR)
        assert SECRET not in str(settings)
        sent = make_url(settings["PRICING_DATABASE_URL"])
        assert (sent.username, sent.password, sent.host, sent.database) == (
            "pricing", None, "db.internal", "pricing")
    finally:
        rt.db.dispose()

    received: list[list[tuple[str, str]]] = []

    class FakeScrapyd(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append(parse_qsl(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "ok", "jobid": "j1"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeScrapyd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = ScrapydClient(f"http://127.0.0.1:{server.server_address[1]}")
        client.schedule("crawlers", "gearhub", "j1", job_settings(url, CONFIG_DIR), {})
    finally:
        server.shutdown()
        server.server_close()
    form = dict(received[0])
    assert form["spider"] == "gearhub" and SECRET not in str(received)
    assert ("setting", "PRICING_DATABASE_URL=postgresql+psycopg://pricing@db.internal:5432/pricing") in received[0]


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", status, re.M)
        if ppid and int(ppid.group(1)) == pid:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_a_real_nightly_child_has_the_password_in_its_environment_not_its_argv(
    pg_url: str, tmp_path: Path
) -> None:
    """The development PostgreSQL trusts local connections, so a URL with a password
    connects; the child must still get the password only through its environment."""
    url = make_url(pg_url).set(password=SECRET).render_as_string(hide_password=False)
    build_database(url, tmp_path)
    rt = _runtime(url, tmp_path)
    seen: dict[int, tuple[bytes, bytes]] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for pid in _children_of(os.getpid()):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    environ = Path(f"/proc/{pid}/environ").read_bytes()
                except OSError:
                    continue
                if b"scheduler" in cmdline:
                    seen[pid] = (cmdline, environ)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = Children().run(
            "nightly", "nightly", nightly_command(rt), timeout=120,
            log_path=tmp_path / "nightly.log", env=child_env(url),
        )
    finally:
        done.set()
        watcher.join()
        rt.db.dispose()
    assert result is not None and result.ok, result and result.tail()
    assert seen, "the child was not seen running"
    for cmdline, environ in seen.values():
        assert SECRET.encode() not in cmdline, cmdline
        assert f"PRICING_DATABASE_URL={url}".encode() in environ.split(b"\0")
    db = Database(pg_url)
    try:
        with db.session() as session:
            runs = session.scalar(select(func.count(func.distinct(Suggestion.run_id))))
        assert runs == 2  # build_database's run and the child's
    finally:
        db.dispose()


def test_the_daemon_job_store_keeps_no_database_password(tmp_path: Path) -> None:
    """The jobs a daemon stores in its database (APScheduler's job store) carry the
    database URL without its password; the daemon that runs a job uses its own."""
    from pricing.config import load_config
    from pricing.settings import Settings
    from scheduler.jobs import job_specs
    from scheduler.options import DaemonOptions
    from tests.support import CONFIG_DIR

    url = "postgresql+psycopg://pricing:s3cret-pw@db.example:5432/pricing"
    specs = job_specs(Settings(database_url=url, config_dir=CONFIG_DIR),
                      load_config(CONFIG_DIR), DaemonOptions())
    assert specs
    for spec in specs:
        assert all("s3cret-pw" not in str(arg) for arg in spec.args), spec.args
        assert spec.args[0] == "postgresql+psycopg://pricing@db.example:5432/pricing"
