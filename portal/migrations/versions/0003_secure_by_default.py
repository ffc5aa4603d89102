"""Atomic attempt counters replace the failure log; contact handles; attendance of bookings.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.drop_table("verification_failures")
    op.create_table(
        "attempt_counters",
        sa.Column("bucket", sa.String(200), primary_key=True),
        sa.Column("window_start", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_table(
        "contact_handles",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("openid", sa.String(64), nullable=False),
        sa.Column("booking_no", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_contact_handles_expires_at", "contact_handles", ["expires_at"])
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("attendance_at", sa.String(32)))
