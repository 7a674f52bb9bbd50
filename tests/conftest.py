"""Fixtures every stage's tests share: databases on SQLite and PostgreSQL, a copy of the
shipped config. Helpers (the CLI in a child process, paths) are in :mod:`tests.support`;
each stage's folder has its own ``conftest.py`` for what only it uses.

Storage tests take ``db_url``/``db``, parametrized over both backends. PostgreSQL is
``PRICING_TEST_POSTGRES_URL`` (default: the development server on 127.0.0.1:5432);
each test gets a database of its own, dropped afterwards. Where no server answers the
PostgreSQL cases are skipped and say so, unless ``PRICING_REQUIRE_POSTGRES=1`` (CI),
which turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pricing.storage import Database
from tests.support import CONFIG_DIR, PG_ADMIN_URL

REQUIRE_PG = os.environ.get("PRICING_REQUIRE_POSTGRES") == "1"
_pg_state: dict[str, object] = {}


def _pg_admin() -> sa.Engine | None:
    if "engine" not in _pg_state:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            _pg_state["engine"] = engine
        except sa.exc.OperationalError as exc:
            _pg_state["engine"] = None
            _pg_state["error"] = str(exc).splitlines()[0]
    return _pg_state["engine"]  # type: ignore[return-value]


def pytest_report_header(config: pytest.Config) -> str:
    engine = _pg_admin()
    if engine is None:
        how = "FAIL (PRICING_REQUIRE_POSTGRES=1)" if REQUIRE_PG else "SKIP"
        return f"postgresql: not reachable at {PG_ADMIN_URL} -> PostgreSQL tests {how}: {_pg_state['error']}"
    return f"postgresql: {PG_ADMIN_URL} reachable; storage tests run on SQLite and PostgreSQL"


@pytest.fixture
def pg_url() -> Iterator[str]:
    engine = _pg_admin()
    if engine is None:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {_pg_state['error']}"
        if REQUIRE_PG:
            pytest.fail(message + " (PRICING_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    name = f"pricing_test_{uuid.uuid4().hex[:12]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pricing.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pricing.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database on each backend."""
    database = Database(db_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    """A copy of the shipped config folder, for a test to edit."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target
