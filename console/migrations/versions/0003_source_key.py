"""A citizen message's key on its channel (WeChat's MsgId): stored once however often it comes.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("console_messages") as table:
        table.add_column(sa.Column("source_key", sa.String(64)))
    op.create_index("uq_console_messages_source_key", "console_messages", ["session_id", "source_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_console_messages_source_key", "console_messages")
    with op.batch_alter_table("console_messages") as table:
        table.drop_column("source_key")
