"""export integrity: one export per run, and the currency each suggestion was priced in

Revision ID: 0005_export_integrity
Revises: 0004
Create Date: 2026-12-07 16:30:00.000000

``price_exports`` records each run's export (who, when, file, rows, what was left out,
the file's content); UNIQUE(run_id) makes a second export of a run impossible even when
many start at once. ``suggestions.currency`` keeps the part's currency at the time the
run priced it, so review and export can refuse a price whose currency has since changed;
runs made before this revision take the catalog's current currency.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pricing.storage.models

revision = "0005_export_integrity"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "price_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("exported_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("exported_by", sa.String(length=128), nullable=False),
        sa.Column("file", sa.String(length=1024), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("left_out", sa.JSON(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["suggestion_runs.id"],
            name=op.f("fk_price_exports_run_id_suggestion_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_exports")),
        sa.UniqueConstraint("run_id", name=op.f("uq_price_exports_run_id")),
    )
    op.add_column("suggestions", sa.Column("currency", sa.String(length=3), nullable=True))
    op.execute(
        "UPDATE suggestions SET currency = "
        "(SELECT parts.currency FROM parts WHERE parts.sku = suggestions.sku)"
    )


def downgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_column("currency")
    op.drop_table("price_exports")
