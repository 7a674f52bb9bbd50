"""Storage: the schema (models), engines and sessions (db), Alembic migrations."""

from pricing.storage.db import Database

__all__ = ["Database"]
