"""sales series index: every SKU's sales in period order without touching the table

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00.000000

Each optimizer run reads all sales rows in (sku, period_start) order, units and price
only. The unique (sku, period_start) index gives the order, but each row then costs a
visit to the table, scattered across it as imports arrive week by week. This index also
carries units and price, so the read is one index-only pass (benchmarks/
bench_optimizer.py: 3.1 million rows). Like 0003, a plain CREATE INDEX: on a large
production table, build it beforehand with CREATE INDEX CONCURRENTLY under this name.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_sales_history_series", "sales_history", ["sku", "period_start", "units", "unit_price"],
        if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_sales_history_series", table_name="sales_history")
