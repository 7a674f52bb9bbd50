"""history indexes: one SKU's prices over time without touching the table

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 06:00:00.000000

A SKU's history reads, for each of its matched listings, every observation since a
date. The unique (listing_id, observed_at) index finds them, but each row then costs
a visit to the table, scattered across it because crawls write day by day. This index
also carries the columns the history shows, so the read is an index-only scan
(benchmarks/bench_history.py: a year of six competitors from 10 million rows).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HISTORY_COLUMNS = ["listing_id", "observed_at", "price", "unit_price", "currency", "pack_qty"]


def upgrade() -> None:
    op.create_index("ix_price_observations_history", "price_observations", HISTORY_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_price_observations_history", table_name="price_observations")
