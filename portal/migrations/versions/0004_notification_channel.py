"""The channel of the citizen's conversation on bookings and bound applications, so that the
portal's notifications go back only through the channel the citizen used.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    for table in ("bookings", "applications"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("channel", sa.String(32)))


def downgrade() -> None:
    for table in ("bookings", "applications"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("channel")
