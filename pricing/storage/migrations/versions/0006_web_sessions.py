"""web sessions: a server-side row per login, so logout and a new password end it

Revision ID: 0006_web_sessions
Revises: 0005_export_integrity
Create Date: 2026-12-07 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pricing.storage.models

revision = "0006_web_sessions"
down_revision = "0005_export_integrity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("password_tag", sa.String(length=64), nullable=False),
        sa.Column("created_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_name"), ["user_name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("web_sessions")
