"""entries by last change (the similarity index), and action items tracked: owner, due date, status, did it help

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_changed", ["enterprise_id", "team_id", "updated_at"], unique=False)

    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=16), server_default="open", nullable=False))
        batch_op.add_column(sa.Column("helped", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("helped_asked_at", sa.DateTime(timezone=True), nullable=True))
    # Existing action items become tracked items owned by their entry's author; done stays done.
    op.execute(
        "UPDATE action_items SET owner_id = (SELECT entries.user_id FROM entries WHERE entries.id = action_items.entry_id)"
    )
    op.execute("UPDATE action_items SET status = 'done' WHERE done_at IS NOT NULL")
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.alter_column("owner_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index("ix_action_items_owner", ["owner_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_action_items_owner")
        batch_op.drop_column("helped_asked_at")
        batch_op.drop_column("helped")
        batch_op.drop_column("status")
        batch_op.drop_column("due_on")
        batch_op.drop_column("owner_id")

    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_changed")
