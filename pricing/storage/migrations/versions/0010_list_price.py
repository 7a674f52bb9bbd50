"""list price and ladder group: an optional ceiling per catalog row (MSRP), and the
parts of a family that really are one item in several tiers or packs

Revision ID: 0010
Revises: 0007_match_relation
Create Date: 2026-12-07 17:30:00.000000

The catalog's optional ``list_price`` column (SPEC, December 2026): the optimizer never
suggests a price above it (reason code LIST_PRICE). The optional ``ladder_group`` column
pairs real equivalents within a family for the price ladders.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

MONEY = sa.Numeric(18, 4, asdecimal=True)

revision = "0010"
down_revision = "0007_match_relation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parts") as batch:
        batch.add_column(sa.Column("list_price", MONEY, nullable=True))
        batch.add_column(sa.Column("ladder_group", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("parts") as batch:
        batch.drop_column("ladder_group")
        batch.drop_column("list_price")
