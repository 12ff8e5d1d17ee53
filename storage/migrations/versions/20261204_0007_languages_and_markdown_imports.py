"""languages (a person's choice and Slack's locale for them, a workspace's), Markdown imports awaiting their yes, and entries known only by their year

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("day_known", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("slack_locale", sa.String(length=16), nullable=True))
    with op.batch_alter_table("workspace_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="en", nullable=False))
    op.create_table(
        "pending_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pending_imports_created_at", "pending_imports", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pending_imports_created_at", table_name="pending_imports")
    op.drop_table("pending_imports")
    with op.batch_alter_table("workspace_settings", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("day_known")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("slack_locale")
        batch_op.drop_column("language")
