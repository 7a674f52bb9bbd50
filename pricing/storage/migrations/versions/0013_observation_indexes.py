"""observation indexes on PostgreSQL: one covering unique index, crawl runs partial

Revision ID: 0013_observation_indexes
Revises: 0012_match_state
Create Date: 2026-12-08 09:00:00.000000

Every observation written updated four indexes: the primary key, the unique
(listing_id, observed_at) constraint, the history index 0003 added (the same key plus
price, unit_price, currency and pack_qty, so a history read never visits the table)
and the crawl_run_id index. On PostgreSQL one unique index of the key that INCLUDEs
the shown columns does the work of the first two (``ON CONFLICT (listing_id,
observed_at)`` infers it as it did the constraint; a history read is still one
index-only pass), and the crawl_run_id index keeps only the rows that have a run
(imported observations have none). Issue 18: an observations import inserts about a
fifth faster. SQLite has no INCLUDE and keeps its indexes as they are. Like 0003, a
plain CREATE INDEX: on a large production table, build the new indexes beforehand
with CREATE INDEX CONCURRENTLY under other names and rename them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_observation_indexes"
down_revision = "0012_match_state"
branch_labels = None
depends_on = None

KEY = ["listing_id", "observed_at"]
SHOWN = ["price", "unit_price", "currency", "pack_qty"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("uq_price_observations_listing_id", "price_observations", type_="unique")
    op.create_index("uq_price_observations_key", "price_observations", KEY, unique=True,
                    postgresql_include=SHOWN)
    op.drop_index("ix_price_observations_history", table_name="price_observations")
    op.drop_index("ix_price_observations_crawl_run_id", table_name="price_observations")
    op.create_index("ix_price_observations_crawl_run_id", "price_observations", ["crawl_run_id"],
                    postgresql_where=sa.text("crawl_run_id IS NOT NULL"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_price_observations_crawl_run_id", table_name="price_observations")
    op.create_index("ix_price_observations_crawl_run_id", "price_observations", ["crawl_run_id"])
    op.create_index("ix_price_observations_history", "price_observations", KEY + SHOWN)
    op.drop_index("uq_price_observations_key", table_name="price_observations")
    op.create_unique_constraint("uq_price_observations_listing_id", "price_observations", KEY)
