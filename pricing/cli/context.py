"""What every command gets: settings, and the database and config opened on demand."""

from __future__ import annotations

from functools import cached_property

import typer

from pricing.config import AppConfig, load_config
from pricing.settings import Settings
from pricing.storage import Database


class AppContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def config(self) -> AppConfig:
        return load_config(self.settings.config_dir)

    @cached_property
    def raw_db(self) -> Database:
        """The database without a schema check (for ``pricing init``)."""
        return Database(self.settings.database_url)

    @cached_property
    def db(self) -> Database:
        """The database, refusing to work until ``pricing init`` has run."""
        self.raw_db.require_schema()
        return self.raw_db


def get(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppContext)
    return obj
