"""match probability from the learned model: how likely a person would confirm it

Revision ID: 0011_match_learned
Revises: 0010
Create Date: 2026-12-07 19:00:00.000000

Filled by ``pricing match`` once enough confirm/reject decisions exist (issue 16;
``learned`` in ``config/matching.yaml``); empty before, and for matches a person
decided. ``pricing matches --status needs_review`` lists the most probable first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_match_learned"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("learned_probability", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("learned_probability")
