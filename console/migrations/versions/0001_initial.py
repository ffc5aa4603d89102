"""Initial schema: staff, handoff sessions and their messages, tickets, the audit log.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

ACTIVE = sa.text("state IN ('waiting', 'with_staff', 'ticket')")


def upgrade() -> None:
    op.create_table(
        "console_staff",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(32), nullable=False, unique=True),
        sa.Column("display_name", sa.String(50), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("kf_account", sa.String(64)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("service_item", sa.String(100)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("assigned_staff_id", sa.Integer, sa.ForeignKey("console_staff.id")),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("claimed_at", sa.String(32)),
        sa.Column("closed_at", sa.String(32)),
        sa.Column("last_citizen_at", sa.String(32)),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("closing_note", sa.Text),
        sa.Column("rating_asked", sa.Boolean, nullable=False),
    )
    op.create_index("ix_console_sessions_state", "console_sessions", ["state"])
    op.create_index("uq_console_sessions_active_sender", "console_sessions", ["channel", "sender_id"], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_table(
        "console_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("console_sessions.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("media_id", sa.String(128)),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("console_staff.id")),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("session_id", "seq", name="uq_console_messages_session_seq"),
    )
    op.create_table(
        "console_tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("console_sessions.id"), nullable=False),
        sa.Column("due_day", sa.String(10), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("done_at", sa.String(32)),
    )
    op.create_index("ix_console_tickets_session_id", "console_tickets", ["session_id"])
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("console_staff.id")),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_index("ix_console_audit_target", "console_audit", ["target"])


def downgrade() -> None:
    for table in ("console_audit", "console_tickets", "console_messages", "console_sessions", "console_staff"):
        op.drop_table(table)
