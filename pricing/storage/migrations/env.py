"""Alembic environment.

``pricing init`` hands in its engine (``config.attributes["engine"]``). The ``alembic``
command run from the repository root (``alembic.ini``) opens ``PRICING_DATABASE_URL``
instead, with the same engine setup, so ``alembic upgrade head`` and ``alembic check``
work on the database the rest of the product uses.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine

from pricing.storage.models import Base


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_on_dialect(connection.dialect.name),
    )


def _on_dialect(name: str) -> Any:
    """``alembic check`` compares only the model's indexes and constraints this dialect
    has: one made for another (``Index(...).ddl_if(dialect=...)``, which SQLAlchemy
    keeps but Alembic does not read) is left out."""

    def include(obj: Any, _name: Any, _type: str, reflected: bool, _other: Any) -> bool:
        only = getattr(obj, "_ddl_if", None)
        if reflected or only is None or only.dialect is None:
            return True
        return name in ((only.dialect,) if isinstance(only.dialect, str) else only.dialect)

    return include


def _engine() -> tuple[Engine, bool]:
    """The engine to migrate, and whether this module opened it (and must close it)."""
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine, False
    from pricing.settings import Settings
    from pricing.storage.db import make_engine

    return make_engine(Settings().database_url), True


def run_offline() -> None:
    """``alembic upgrade head --sql``: print the SQL for PRICING_DATABASE_URL's dialect."""
    from sqlalchemy.engine import make_url

    from pricing.settings import Settings

    url = make_url(Settings().database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        render_as_batch=url.get_backend_name() == "sqlite",
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine, owned = _engine()
    try:
        with engine.begin() as connection:
            _configure(connection)
            context.run_migrations()
    finally:
        if owned:
            engine.dispose()


if context.config.config_file_name is not None and not context.config.attributes.get("engine"):
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
