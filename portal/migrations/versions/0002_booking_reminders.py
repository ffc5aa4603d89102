"""Bookings remember when their day-before reminder was sent, so it goes out once.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("reminded_at", sa.String(32)))
    op.create_index("ix_bookings_day_status", "bookings", ["day", "status"])
