"""The JSON API against its own OpenAPI schema, on a real demo database and a real
uvicorn server: every documented GET answers with the documented shape, and review
decisions are refused without a token and stored, with who, with one."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import OurPrice, Part, Suggestion, SuggestionRun
from pricing.web.app import create_app
from pricing.web.auth import AuthConfig, hash_password
from pricing.web.server import BackgroundServer
from tests.conftest import CONFIG_DIR, run_cli

TOKEN = "test-token-0123456789abcdef"


def demo_database(factory: pytest.TempPathFactory, name: str) -> str:
    """A private copy of a demo database, built once per test session.

    Built by ``pricing demo`` in a child process: Scrapy's reactor runs once per
    process and would clash with Playwright's event loop in browser tests.
    """
    built = factory.getbasetemp() / "web-demo" / "pricing.db"
    if not built.exists():
        result = run_cli("demo", "--out", str(built.parent), "--nights", "1", timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
    copy = factory.mktemp(name) / "pricing.db"
    shutil.copyfile(built, copy)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory, "web-api")


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def server(db_url: str, export_dir: Path) -> Iterator[BackgroundServer]:
    auth = AuthConfig(users={"ana": hash_password("correct horse")}, tokens={TOKEN: "ci-bot"})
    app = create_app(Settings(database_url=db_url, config_dir=CONFIG_DIR), auth=auth,
                     export_dir=export_dir)
    with BackgroundServer(app) as srv:
        yield srv


@pytest.fixture
def client(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def schema(server: BackgroundServer) -> dict[str, Any]:
    return httpx.get(f"{server.url}/openapi.json", timeout=30).json()


# --- a small OpenAPI 3.1 / JSON Schema checker (the subset FastAPI emits) --------------


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def conforms(spec: dict[str, Any], node: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Where ``value`` breaks the schema ``node`` (empty when it conforms)."""
    node = _resolve(spec, node)
    if "anyOf" in node:
        options = [conforms(spec, option, value, where) for option in node["anyOf"]]
        return [] if any(not o for o in options) else [f"{where}: matches no anyOf option"]
    if "enum" in node and value not in node["enum"]:
        return [f"{where}: {value!r} not in {node['enum']}"]
    kind = node.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind and not checks[kind](value):
        return [f"{where}: {value!r} is not {kind}"]
    problems: list[str] = []
    if kind == "string" and node.get("format") == "date-time":
        dt.datetime.fromisoformat(value)
    if kind == "string" and node.get("format") == "decimal":
        float(value)
    if kind == "object":
        problems += [f"{where}: missing {k}" for k in node.get("required", []) if k not in value]
        for key, item in value.items():
            sub = node.get("properties", {}).get(key, node.get("additionalProperties"))
            if isinstance(sub, dict):
                problems += conforms(spec, sub, item, f"{where}.{key}")
    if kind == "array":
        for i, item in enumerate(value[:50]):
            problems += conforms(spec, node.get("items", {}), item, f"{where}[{i}]")
    return problems


def _sample_path(path: str, client: httpx.Client) -> str:
    """A documented path with its parameters filled from the demo data."""
    run_id = client.get("/api/runs").json()[0]["id"]
    match = client.get("/api/matches", params={"status": "auto", "limit": 1}).json()[0]
    category = client.get("/api/market").json()[0]["category"]
    values = {"run_id": run_id, "sku": match["sku"], "category": category}
    return path.format(**values)


# --- tests --------------------------------------------------------------------------------


def test_schema_documents_reads_and_the_review_write(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    gets = {p for p, ops in paths.items() if "get" in ops}
    assert {"/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/suggestions",
            "/api/skus/{sku}/history", "/api/matches", "/api/market",
            "/api/market/{category}", "/api/competitor-moves"} <= gets
    review = paths["/api/runs/{run_id}/review"]["post"]
    assert review["security"] == [{"HTTPBearer": []}]
    export = paths["/api/runs/{run_id}/export"]["post"]
    assert export["security"] == [{"HTTPBearer": []}]
    assert "text/csv" in export["responses"]["200"]["content"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_every_documented_get_answers_with_its_documented_shape(
    schema: dict[str, Any], client: httpx.Client
) -> None:
    checked = 0
    for path, ops in schema["paths"].items():
        if "get" not in ops:
            continue
        resp = client.get(_sample_path(path, client))
        assert resp.status_code == 200, (path, resp.text)
        body_schema = ops["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        body = resp.json()
        assert body, path  # the demo has data for every endpoint
        assert conforms(schema, body_schema, body) == [], path
        checked += 1
    assert checked >= 7


def test_suggestions_come_biggest_moves_first_and_filter(client: httpx.Client) -> None:
    run_id = client.get("/api/runs").json()[0]["id"]
    rows = client.get(f"/api/runs/{run_id}/suggestions").json()
    moves = [abs(float(r["change_pct"])) for r in rows]
    assert moves == sorted(moves, reverse=True)
    belts = client.get(f"/api/runs/{run_id}/suggestions", params={"category": "Belts"}).json()
    assert belts and {r["category"] for r in belts} == {"Belts"}
    history = client.get(f"/api/skus/{rows[0]['sku']}/history").json()
    assert {"ours"} <= {h["competitor"] for h in history}


def test_unknown_run_or_sku_is_404(client: httpx.Client) -> None:
    assert client.get("/api/runs/999999/suggestions").status_code == 404
    assert client.get("/api/skus/NO-SUCH-SKU/history").status_code == 404
    assert client.get("/api/market/NoSuchCategory").status_code == 404


def _pending(db_url: str, run_id: int) -> list[Suggestion]:
    db = Database(db_url)
    try:
        with db.session() as session:
            return list(session.scalars(select(Suggestion).where(
                Suggestion.run_id == run_id, Suggestion.review_status == "pending"
            ).order_by(Suggestion.sku)))
    finally:
        db.dispose()


def _suggestion(db_url: str, run_id: int, sku: str) -> Suggestion:
    db = Database(db_url)
    try:
        with db.session() as session:
            row = session.scalar(select(Suggestion).where(Suggestion.run_id == run_id,
                                                          Suggestion.sku == sku))
            assert row is not None
            return row
    finally:
        db.dispose()


def test_post_review_without_a_valid_token_is_refused(client: httpx.Client, db_url: str) -> None:
    run_id = client.get("/api/runs").json()[0]["id"]
    sku = _pending(db_url, run_id)[0].sku
    body = {"action": "approve", "skus": [sku]}
    assert client.post(f"/api/runs/{run_id}/review", json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token-at-all-000"}
    resp = client.post(f"/api/runs/{run_id}/review", json=body, headers=wrong)
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"
    assert _suggestion(db_url, run_id, sku).review_status == "pending"


def test_post_review_with_a_token_stores_the_decision(client: httpx.Client, db_url: str) -> None:
    run_id = client.get("/api/runs").json()[0]["id"]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    first, second = (s.sku for s in _pending(db_url, run_id)[:2])

    resp = client.post(f"/api/runs/{run_id}/review", headers=auth,
                       json={"action": "approve", "skus": [first], "why": "looks right"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"run_id": run_id, "action": "approve", "count": 1, "skus": [first],
                           "reviewed_by": "ci-bot"}
    stored = _suggestion(db_url, run_id, first)
    assert (stored.review_status, stored.reviewed_by, stored.review_note) == (
        "approved", "ci-bot", "looks right")
    assert stored.approved_price == stored.suggested_price

    below_floor = {"action": "override", "skus": [second], "price": "0.01", "why": "test"}
    resp = client.post(f"/api/runs/{run_id}/review", headers=auth, json=below_floor)
    assert resp.status_code == 400 and "floor" in resp.json()["detail"]
    assert _suggestion(db_url, run_id, second).review_status == "pending"

    price = str(_suggestion(db_url, run_id, second).suggested_price + 1)
    resp = client.post(f"/api/runs/{run_id}/review", headers=auth,
                       json={"action": "override", "skus": [second], "price": price,
                             "why": "key account"})
    assert resp.status_code == 200, resp.text
    stored = _suggestion(db_url, run_id, second)
    assert stored.review_status == "overridden" and str(stored.approved_price) == price

    # the run keeps every decision, also when a suggestion's latest one replaces it
    trail = client.get(f"/api/runs/{run_id}").json()["decisions"]
    assert [(d["action"], d["by"], d["skus"], d["why"]) for d in trail[-2:]] == [
        ("approve", "ci-bot", first, "looks right"),
        ("override", "ci-bot", second, "key account"),
    ]


def test_post_review_by_filter_decides_every_pending_match(client: httpx.Client, db_url: str) -> None:
    run_id = client.get("/api/runs").json()[0]["id"]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    hoses = [s.sku for s in _pending(db_url, run_id) if s.category == "Hoses"]
    resp = client.post(f"/api/runs/{run_id}/review", headers=auth,
                       json={"action": "reject", "category": "Hoses", "why": "hold hoses"})
    assert resp.status_code == 200
    assert resp.json()["skus"] == hoses and len(hoses) > 1
    db = Database(db_url)
    with db.session() as session:
        stmt = (
            select(Suggestion.review_status, func.count())
            .where(Suggestion.run_id == run_id, Suggestion.sku.in_(hoses))
            .group_by(Suggestion.review_status)
        )
        statuses = {status: n for status, n in session.execute(stmt)}
    db.dispose()
    assert statuses == {"rejected": len(hoses)}


def test_reading_off_localhost_needs_a_login_or_token(db_url: str) -> None:
    auth = AuthConfig(tokens={TOKEN: "ci-bot"}, read="login")
    app = create_app(Settings(database_url=db_url, config_dir=CONFIG_DIR), auth=auth)
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url) as http:
        assert http.get("/api/runs").status_code == 401
        assert http.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        page = http.get("/market")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_docs_and_pages_load_nothing_from_elsewhere(client: httpx.Client) -> None:
    for path in ("/docs", "/", "/market"):
        resp = client.get(path)
        assert resp.status_code == 200
        assert "<script" not in resp.text and "cdn" not in resp.text.lower()
        assert "default-src 'none'" in resp.headers["content-security-policy"]
    assert "/api/runs/{run_id}/review" in client.get("/docs").text


def test_competitor_moves_filter_and_refuse_an_empty_period(client: httpx.Client) -> None:
    moves = client.get("/api/competitor-moves").json()
    assert moves and all(m["listings"] >= m["moved"] >= 0 for m in moves)
    assert [m["moved"] for m in moves] == sorted((m["moved"] for m in moves), reverse=True)
    belts = client.get("/api/competitor-moves", params={"category": "Belts"}).json()
    assert sum(m["listings"] for m in belts) < sum(m["listings"] for m in moves)
    resp = client.get("/api/competitor-moves",
                      params={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"})
    assert resp.status_code == 400


def test_export_needs_a_token_and_makes_approved_prices_current(
    client: httpx.Client, db_url: str, export_dir: Path
) -> None:
    run_id = client.get("/api/runs").json()[0]["id"]
    assert client.post(f"/api/runs/{run_id}/export").status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    sku = next(s.sku for s in _pending(db_url, run_id) if s.suggested_price != s.current_price)
    client.post(f"/api/runs/{run_id}/review", headers=auth,
                json={"action": "approve", "skus": [sku], "why": "export test"})

    resp = client.post(f"/api/runs/{run_id}/export", headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    rows = {r["sku"]: r for r in csv.DictReader(io.StringIO(resp.text))}
    assert int(resp.headers["x-export-rows"]) == len(rows) and sku in rows
    approved = _suggestion(db_url, run_id, sku).approved_price
    assert approved is not None and Decimal(rows[sku]["price"]) == approved
    assert [p.name for p in export_dir.iterdir()] == [resp.headers["content-disposition"]
                                                      .split('filename="')[1].rstrip('"')]
    db = Database(db_url)
    try:
        with db.session() as session:
            part = session.scalar(select(Part).where(Part.sku == sku))
            latest = session.scalar(select(OurPrice).where(OurPrice.sku == sku)
                                    .order_by(OurPrice.effective_at.desc()).limit(1))
            run = session.get(SuggestionRun, run_id)
            assert part is not None and latest is not None and run is not None
            assert part.price == approved and latest.price == approved
            assert latest.source == f"export:run{run_id}"
            assert run.summary["exports"][-1]["by"] == "ci-bot"
    finally:
        db.dispose()


def test_matches_carry_relation_and_evidence(client: httpx.Client) -> None:
    rows = client.get("/api/matches", params={"status": "auto", "limit": 50}).json()
    assert rows
    for row in rows:  # what `pricing matches` shows, also over the API
        assert row["relation"] in ("same", "alternative", "kit"), row
        assert row["evidence"], row
        assert "probability" in row
