"""Initial schema: catalog, halls, slots, bookings, applications, ratings, complaints.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

ACTIVE_BOOKING = sa.text("status = 'booked'")


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("department", sa.String(50), nullable=False),
        sa.Column("guide", sa.Text, nullable=False),
    )
    op.create_table(
        "halls",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("hours", sa.Text, nullable=False),
        sa.Column("hours_note", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
    )
    op.create_table(
        "item_halls",
        sa.Column("item_code", sa.String(32), primary_key=True),
        sa.Column("hall_code", sa.String(32), primary_key=True),
        sa.Column("window", sa.String(100), nullable=False),
        sa.Column("capacity_per_slot", sa.Integer, nullable=False),
    )
    op.create_table(
        "slot_usage",
        sa.Column("item_code", sa.String(32), primary_key=True),
        sa.Column("hall_code", sa.String(32), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("hour", sa.Integer, primary_key=True),
        sa.Column("booked", sa.Integer, nullable=False),
    )
    op.create_table(
        "bookings",
        sa.Column("booking_no", sa.String(32), primary_key=True),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("hall_code", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("hour", sa.Integer, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("openid", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(128), unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("cancelled_at", sa.String(32)),
    )
    op.create_index("ix_bookings_openid", "bookings", ["openid"])
    op.create_index(
        "uq_bookings_person_item_day", "bookings", ["phone", "item_code", "day"], unique=True,
        sqlite_where=ACTIVE_BOOKING, postgresql_where=ACTIVE_BOOKING,
    )
    op.create_table(
        "applications",
        sa.Column("application_id", sa.String(16), primary_key=True),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("applicant_name", sa.String(50), nullable=False),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("openid", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "application_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(16), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("department", sa.String(50), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("correction", sa.Text),
    )
    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("caller", sa.String(128), nullable=False, index=True),
        sa.Column("application_id", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("item_code", sa.String(32)),
        sa.Column("text", sa.Text),
        sa.Column("openid", sa.String(64)),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("rectified", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "complaints",
        sa.Column("reference", sa.String(32), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("contact", sa.String(64)),
        sa.Column("openid", sa.String(64)),
        sa.Column("item_code", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
