"""match state: the fingerprint of what the last matching run ran against

Revision ID: 0012_match_state
Revises: 0011_match_learned
Create Date: 2026-12-07 19:00:00.000000

``pricing match`` matches only new or changed listings while the catalog, the
cross-references and the matching settings stay as they were; a changed fingerprint
makes it match every listing no person has decided. A database without a stored
fingerprint gets a full run first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pricing.storage.models

revision = "0012_match_state"
down_revision = "0011_match_learned"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("matched_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_state")),
    )


def downgrade() -> None:
    op.drop_table("match_state")
