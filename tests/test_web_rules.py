"""The web side of issue 19, on SQLite and PostgreSQL: the review page filters by
auto-approval rule, size of change and expected gain; ticked rows are approved or
rejected in bulk (login and CSRF token as every other form); the JSON API filters the
same; /whatif shows what ``pricing whatif`` computes and writes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from benchmarks import closed_loop as cl
from benchmarks import closed_loop_market as cm
from pricing.autoapprove import run_auto_approval
from pricing.config import load_config
from pricing.settings import Settings
from pricing.storage import Database
from pricing.storage.models import Suggestion
from pricing.web.app import create_app
from pricing.web.auth import AuthConfig, hash_password
from pricing.whatif import compare, parse_set, what_if

USER, PASSWORD = "ana", "correct horse battery"
AS_OF = dt.datetime.combine(cm.week_start(1), dt.time(6), dt.UTC)
RULES = [{"name": "small-moves", "max_change": 0.05}]


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Database, int, Path]]:
    m = cm.make_market(5, 40, 2)
    config = cl.config_dir(m, tmp_path)
    policy = yaml.safe_load((config / "pricing.yaml").read_text(encoding="utf-8"))
    (config / "pricing.yaml").write_text(yaml.safe_dump({**policy, "auto_approve": RULES}),
                                         encoding="utf-8")
    cli = cl.Cli(db_url, config)
    cli("init")
    cli("catalog", "import", str(tmp_path / "catalog.csv"))
    cli("xref", "import", str(tmp_path / "xref.csv"))
    cli("sales", "import", str(tmp_path / "sales-history.csv"))
    cli("observations", "import", str(cl.write_observations(m, 1, tmp_path / "obs.csv")),
        "--as-of", AS_OF.isoformat())
    cli("match")
    cli("optimize", "--as-of", AS_OF.isoformat())
    db = Database(db_url)
    with db.session() as session:
        run = session.scalar(select(func.max(Suggestion.run_id)))
    assert run is not None
    assert run_auto_approval(db, run, load_config(config).policy).count > 0
    app = create_app(Settings(database_url=db_url, config_dir=config),
                     auth=AuthConfig(users={USER: hash_password(PASSWORD)}, tokens={}),
                     database=db)
    with TestClient(app, base_url="http://localhost", client=("127.0.0.1", 50000),
                    follow_redirects=False) as http:
        yield http, db, run, config
    db.dispose()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def log_in(http: TestClient) -> str:
    token = csrf_of(http.get("/login").text)
    resp = http.post("/login", data={"csrf_token": token, "username": USER,
                                     "password": PASSWORD, "next": "/"})
    assert resp.status_code == 303
    return csrf_of(http.get("/").text)


def shown(page: str) -> list[str]:
    return re.findall(r'<tr data-sku="([^"]+)"', page)


def by_sku(db: Database, run: int) -> dict[str, Suggestion]:
    with db.session() as session:
        return {s.sku: s for s in session.scalars(
            select(Suggestion).where(Suggestion.run_id == run))}


def test_review_page_filters_by_rule_size_and_gain(
        site: tuple[TestClient, Database, int, Path]) -> None:
    http, db, run, _ = site
    rows = by_sku(db, run)
    approved = sorted(s.sku for s in rows.values() if s.review_note == "auto-approval rule "
                      "small-moves")
    page = http.get(f"/runs/{run}", params={"rule": "small-moves"})
    assert page.status_code == 200
    assert sorted(shown(page.text)) == approved
    api = http.get(f"/api/runs/{run}/suggestions", params={"rule": "small-moves"}).json()
    assert sorted(r["sku"] for r in api) == approved

    page = http.get(f"/runs/{run}", params={"min_change": "2%", "max_change": "0.06",
                                           "min_gain": "0.1", "status": "any"})
    want = sorted(s.sku for s in rows.values()
                  if Decimal("0.02") <= abs(s.suggested_price / s.current_price - 1)
                  <= Decimal("0.06")
                  and s.expected_profit_after - s.expected_profit_before >= Decimal("0.1"))
    assert want and sorted(shown(page.text)) == want
    bad = http.get(f"/runs/{run}", params={"min_change": "lots"}, follow_redirects=True)
    assert bad.status_code == 200 and "min change: not a fraction or a percentage" in bad.text


def test_ticked_rows_are_decided_in_bulk_with_login_and_token(
        site: tuple[TestClient, Database, int, Path]) -> None:
    http, db, run, _ = site
    before = by_sku(db, run)
    pending = sorted(s.sku for s in before.values() if s.review_status == "pending")[:3]
    approved = sorted(s.sku for s in before.values() if s.review_status == "approved")[:1]
    ticked = pending[:2] + approved

    # no login, or no token: nothing changes
    anonymous = http.post(f"/runs/{run}/review", data={
        "action": "reject", "sku": ticked, "selection": "1"})
    assert anonymous.status_code in (303, 401, 403)
    csrf = log_in(http)
    assert 'id="bulk-selected"' in http.get(f"/runs/{run}").text
    forged = http.post(f"/runs/{run}/review", data={
        "csrf_token": "forged", "action": "reject", "sku": ticked, "selection": "1"})
    assert forged.status_code in (400, 403)
    assert by_sku(db, run)[ticked[0]].review_status == "pending"

    # nothing ticked is an error, not "every pending suggestion"
    empty = http.post(f"/runs/{run}/review", data={
        "csrf_token": csrf, "action": "approve", "selection": "1"}, follow_redirects=True)
    assert "no SKU selected" in empty.text
    assert by_sku(db, run)[pending[0]].review_status == "pending"

    done = http.post(f"/runs/{run}/review", data={
        "csrf_token": csrf, "action": "reject", "sku": ticked, "selection": "1",
        "why": "not this week"}, follow_redirects=True)
    assert done.status_code == 200 and f"reject: {len(ticked)} suggestion(s) by {USER}" in done.text
    after = by_sku(db, run)
    for sku, s in after.items():
        if sku in ticked:
            assert (s.review_status, s.reviewed_by, s.review_note) == ("rejected", USER,
                                                                     "not this week")
        else:
            assert s.review_status == before[sku].review_status

    http.post(f"/runs/{run}/review", data={
        "csrf_token": csrf, "action": "approve", "sku": pending[2], "selection": "1"})
    assert by_sku(db, run)[pending[2]].review_status in ("approved", "pending")


def test_whatif_page_shows_the_comparison_and_writes_nothing(
        site: tuple[TestClient, Database, int, Path]) -> None:
    http, db, run, config = site
    form = http.get("/whatif")
    assert form.status_code == 200 and 'id="whatif-form"' in form.text
    before = {k: (s.review_status, s.suggested_price) for k, s in by_sku(db, run).items()}
    with db.session() as session:
        runs = session.scalar(select(func.count(func.distinct(Suggestion.run_id))))
    page = http.get("/whatif", params={"set": ["max_change=0.04", "category=Seals min_margin=30%"],
                                       "competitor": "rivet", "move": "-10%"})
    assert page.status_code == 200
    total = re.search(r'<tr data-category="\(all\)">.*?</tr>', page.text, re.S)
    assert total, page.text[-2000:]
    scenario = parse_set("max_change=0.04").merged(parse_set("category=Seals min_margin=30%"))
    from pricing.whatif import parse_move

    mine = compare(what_if(db, load_config(config).policy,
                           scenario.merged(parse_move("rivet", "-10%"))))[-1]
    cells = re.findall(r'<td class="num">([^<]*)</td>', total.group(0))
    assert cells[:2] == [str(mine["skus"]), str(mine["changed"])]
    assert int(mine["changed"]) > 0
    with db.session() as session:
        assert session.scalar(select(func.count(func.distinct(Suggestion.run_id)))) == runs
    assert {k: (s.review_status, s.suggested_price) for k, s in by_sku(db, run).items()} \
        == before
    bad = http.get("/whatif", params={"set": "max_chnge=1"})
    assert bad.status_code == 200 and "what-if policy: max_chnge: unknown key" in bad.text
