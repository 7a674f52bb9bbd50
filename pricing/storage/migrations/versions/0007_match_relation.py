"""match relation and evidence: same, alternative or kit, and why

Revision ID: 0007_match_relation
Revises: 0006_web_sessions
Create Date: 2026-12-07 16:30:00.000000

Existing matches are given the relation the matcher would have given them: a
cross-reference match is an alternative (a kit when its note says so), any other
match with a SKU (including a person's) is the same part. The next ``pricing match``
recomputes it for every listing no person has decided.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_match_relation"
down_revision = "0006_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relation", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.Text(), nullable=True))
    op.execute(
        "UPDATE matches SET relation = CASE"
        " WHEN method = 'xref' AND note LIKE '%kit: %' THEN 'kit'"
        " WHEN method = 'xref' THEN 'alternative'"
        " ELSE 'same' END"
        " WHERE sku IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("evidence")
        batch_op.drop_column("relation")
