"""Table definitions used by queries; ``portal/migrations`` creates and evolves them."""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

items = sa.Table(
    "items", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("department", sa.String(50), nullable=False),
    sa.Column("guide", sa.Text, nullable=False),  # the full guide as JSON
)

halls = sa.Table(
    "halls", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("address", sa.String(200), nullable=False),
    sa.Column("hours", sa.Text, nullable=False),  # JSON list of "HH:MM-HH:MM"
    sa.Column("hours_note", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
)

item_halls = sa.Table(
    "item_halls", metadata,
    sa.Column("item_code", sa.String(32), primary_key=True),
    sa.Column("hall_code", sa.String(32), primary_key=True),
    sa.Column("window", sa.String(100), nullable=False),
    sa.Column("capacity_per_slot", sa.Integer, nullable=False),
)

slot_usage = sa.Table(
    "slot_usage", metadata,
    sa.Column("item_code", sa.String(32), primary_key=True),
    sa.Column("hall_code", sa.String(32), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("hour", sa.Integer, primary_key=True),
    sa.Column("booked", sa.Integer, nullable=False),
)

bookings = sa.Table(
    "bookings", metadata,
    sa.Column("booking_no", sa.String(32), primary_key=True),
    sa.Column("item_code", sa.String(32), nullable=False),
    sa.Column("hall_code", sa.String(32), nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("hour", sa.Integer, nullable=False),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("phone", sa.String(11), nullable=False),
    sa.Column("openid", sa.String(64)),
    sa.Column("channel", sa.String(32)),  # the conversation's channel: notifications go back through it
    sa.Column("status", sa.String(16), nullable=False),  # booked | cancelled | attended | no_show
    sa.Column("idempotency_key", sa.String(128), unique=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("cancelled_at", sa.String(32)),
    sa.Column("reminded_at", sa.String(32)),  # when the day-before reminder was posted
    sa.Column("attendance_at", sa.String(32)),  # when staff marked it attended / no_show
)

applications = sa.Table(
    "applications", metadata,
    sa.Column("application_id", sa.String(16), primary_key=True),
    sa.Column("item_code", sa.String(32), nullable=False),
    sa.Column("applicant_name", sa.String(50), nullable=False),
    sa.Column("phone", sa.String(11), nullable=False),
    sa.Column("openid", sa.String(64)),
    sa.Column("channel", sa.String(32)),  # of the conversation that bound the openid
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("submitted_at", sa.String(32), nullable=False),
)

application_events = sa.Table(
    "application_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("application_id", sa.String(16), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("department", sa.String(50), nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("correction", sa.Text),  # JSON {"reason": ..., "materials": [...]} for 补正
)

attempt_counters = sa.Table(  # fixed-window counters of verification attempts, bumped atomically
    "attempt_counters", metadata,
    sa.Column("bucket", sa.String(200), primary_key=True),
    sa.Column("window_start", sa.Float, nullable=False),  # epoch seconds
    sa.Column("attempts", sa.Integer, nullable=False),
)

contact_handles = sa.Table(  # opaque handles to an earlier booking's contact, given to the bot
    "contact_handles", metadata,
    sa.Column("digest", sa.String(64), primary_key=True),  # SHA-256 of the handle; the handle is not stored
    sa.Column("openid", sa.String(64), nullable=False),
    sa.Column("booking_no", sa.String(32), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),  # epoch seconds
)

evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),  # 5 = 非常满意 ... 1 = 非常不满意
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("item_code", sa.String(32)),
    sa.Column("text", sa.Text),
    sa.Column("openid", sa.String(64)),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("rectified", sa.Boolean, nullable=False, default=False),
)

complaints = sa.Table(
    "complaints", metadata,
    sa.Column("reference", sa.String(32), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("contact", sa.String(64)),
    sa.Column("openid", sa.String(64)),
    sa.Column("item_code", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
)
