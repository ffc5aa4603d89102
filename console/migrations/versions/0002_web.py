"""The web console: staff sign-ins (server-side sessions) and the editable quick replies.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

QUICK_REPLIES = [
    ("问候", "您好，我是人工客服，请问有什么可以帮您？"),
    ("稍等", "好的，请稍等，我帮您查询一下。"),
    ("材料", "请您准备好身份证原件及相关材料，到大厅窗口办理。"),
    ("结束", "感谢您的咨询，如还有问题可随时留言。"),
]


def upgrade() -> None:
    op.create_table(
        "console_web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("console_staff.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_seen_at", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.String(32)),
    )
    quick_replies = op.create_table(
        "console_quick_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(30), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("console_staff.id")),
    )
    op.bulk_insert(quick_replies, [{"title": title, "text": text, "updated_at": "2026-01-01T00:00:00.000000+08:00"}
                                   for title, text in QUICK_REPLIES])


def downgrade() -> None:
    op.drop_table("console_quick_replies")
    op.drop_table("console_web_sessions")
