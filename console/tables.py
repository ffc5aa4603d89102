"""Table definitions used by queries; ``console/migrations`` creates and evolves them.

Times are ISO 8601 strings in China time (``2026-12-08T10:00:00+08:00``), as in the portal:
they sort as they read, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
# A citizen has at most one conversation with staff at a time (waiting, with staff or a ticket).
ACTIVE = sa.text("state IN ('waiting', 'with_staff', 'ticket')")

staff = sa.Table(
    "console_staff", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("login", sa.String(32), nullable=False, unique=True),
    sa.Column("display_name", sa.String(50), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # agent | supervisor
    sa.Column("password_hash", sa.String(200), nullable=False),  # argon2id, parameters inside
    sa.Column("kf_account", sa.String(64)),  # WeChat customer-service account the replies go out as
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
)

sessions = sa.Table(  # one handover of a citizen's conversation, from the request to its end
    "console_sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("sender_id", sa.String(64), nullable=False),  # the openid on WeChat
    sa.Column("reason", sa.String(32), nullable=False),  # handoff_reason: user_request, fallback, ...
    sa.Column("service_item", sa.String(100)),
    sa.Column("state", sa.String(16), nullable=False),  # console.handoff.State
    sa.Column("assigned_staff_id", sa.Integer, sa.ForeignKey("console_staff.id")),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("claimed_at", sa.String(32)),
    sa.Column("closed_at", sa.String(32)),
    sa.Column("last_citizen_at", sa.String(32)),  # opens WeChat's 48-hour reply window
    sa.Column("last_seq", sa.Integer, nullable=False),  # seq of the newest message
    sa.Column("closing_note", sa.Text),
    sa.Column("rating_asked", sa.Boolean, nullable=False),
    sa.Index("ix_console_sessions_state", "state"),
    sa.Index("uq_console_sessions_active_sender", "channel", "sender_id", unique=True,
             sqlite_where=ACTIVE, postgresql_where=ACTIVE),
)

messages = sa.Table(
    "console_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("console_sessions.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # 1, 2, 3 ... within the session
    sa.Column("direction", sa.String(8), nullable=False),  # citizen | staff | bot | system
    sa.Column("kind", sa.String(8), nullable=False),  # text | voice | image | file
    sa.Column("text", sa.Text),  # the text, the voice's recognition, or a note on the media
    sa.Column("media_id", sa.String(128)),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("console_staff.id")),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("source_key", sa.String(64)),  # the channel's key of a citizen message (MsgId): stored once
    sa.UniqueConstraint("session_id", "seq", name="uq_console_messages_session_seq"),
    sa.Index("uq_console_messages_source_key", "session_id", "source_key", unique=True),
)

tickets = sa.Table(  # a message left outside staff hours, for a working day
    "console_tickets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("console_sessions.id"), nullable=False, index=True),
    sa.Column("due_day", sa.String(10), nullable=False),  # the working day staff take it up
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("done_at", sa.String(32)),  # claimed or closed
)

audit = sa.Table(
    "console_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("console_staff.id")),  # None: the citizen or the system
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(64), nullable=False),  # session:12, staff:3, login:wang
    sa.Column("details", sa.Text, nullable=False),  # JSON object
    sa.Column("at", sa.String(32), nullable=False),
    sa.Index("ix_console_audit_target", "target"),
)

web_sessions = sa.Table(  # a staff sign-in to the web console; the cookie holds the token, we keep its hash
    "console_web_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # SHA-256 of the cookie's token, hex
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("console_staff.id"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),  # sent back in every form and POST header
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("last_seen_at", sa.String(32), nullable=False),
    sa.Column("revoked_at", sa.String(32)),  # signed out (or the account gone)
)

quick_replies = sa.Table(  # the editable set of canned replies; supervisors edit it
    "console_quick_replies", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.String(30), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.Column("updated_by", sa.Integer, sa.ForeignKey("console_staff.id")),
)
