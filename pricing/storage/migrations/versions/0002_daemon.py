"""the scheduler daemon: APScheduler job store, leader lease, task journal, alert events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pricing.storage.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the same table APScheduler's SQLAlchemyJobStore would create for itself
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_apscheduler_jobs_next_run_time"), ["next_run_time"], unique=False
        )

    op.create_table(
        "daemon_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=True),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("acquired_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("renewed_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_daemon_leases")),
    )

    op.create_table(
        "daemon_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("started_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("after_run_id", sa.Integer(), nullable=False),
        sa.Column("remote", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daemon_tasks")),
    )
    with op.batch_alter_table("daemon_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_daemon_tasks_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_daemon_tasks_target"), ["target"], unique=False)

    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("sent_at", pricing.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivery", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_events_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_events_sent_at"))
    op.drop_table("alert_events")
    with op.batch_alter_table("daemon_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daemon_tasks_target"))
        batch_op.drop_index(batch_op.f("ix_daemon_tasks_status"))
    op.drop_table("daemon_tasks")
    op.drop_table("daemon_leases")
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apscheduler_jobs_next_run_time"))
    op.drop_table("apscheduler_jobs")
