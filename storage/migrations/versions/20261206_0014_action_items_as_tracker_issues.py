"""action items as tracker issues: a workspace's tracker connection, and each item's issue

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracker_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=300), nullable=True),
        sa.Column("account", sa.String(length=254), nullable=True),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("connected_by", sa.String(length=32), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("problem", sa.String(length=64), nullable=True),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_connections")),
        sa.UniqueConstraint("enterprise_id", "team_id", name=op.f("uq_tracker_connections_enterprise_id")),
    )
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issue_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("issue_ref", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("issue_tries", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("issue_tracker", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("issue_key", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("issue_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("issue_label", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("done_by_issue", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_action_items_issue", ["issue_tracker", "issue_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_action_items_issue")
        for column in (
            "done_by_issue",
            "issue_label",
            "issue_url",
            "issue_key",
            "issue_tracker",
            "issue_tries",
            "issue_ref",
        ):
            batch_op.drop_column(column)
        batch_op.drop_column("issue_requested_at")
    op.drop_table("tracker_connections")
