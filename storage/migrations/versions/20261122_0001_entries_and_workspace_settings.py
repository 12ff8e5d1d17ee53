"""entries and workspace settings

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:39:22.431182
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("lesson", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("safeguards", sa.JSON(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("source_link", sa.String(length=1000), nullable=True),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
        sa.UniqueConstraint("enterprise_id", "team_id", "request_key", name="uq_entries_request_key"),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_owner", ["enterprise_id", "team_id", "user_id", "happened_on"], unique=False)
        batch_op.create_index(
            "ix_entries_shared", ["enterprise_id", "team_id", "visibility", "shared_at"], unique=False
        )

    op.create_table(
        "workspace_settings",
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("retro_channel", sa.String(length=32), nullable=True),
        sa.Column("digest_cadence", sa.String(length=16), nullable=False),
        sa.Column("prompt_day", sa.Integer(), nullable=False),
        sa.Column("default_visibility", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "team_id", name=op.f("pk_workspace_settings")),
    )
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_action_items_entry_id_entries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_items_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_items_entry_id"))

    op.drop_table("action_items")
    op.drop_table("workspace_settings")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_shared")
        batch_op.drop_index("ix_entries_owner")

    op.drop_table("entries")
