"""what entries mean: each entry's vector from the sentence encoder, and the model that made it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meaning", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("meaning_model", sa.String(length=32), nullable=True))
    op.create_index("ix_entries_meaning_model", "entries", ["meaning_model"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_entries_meaning_model", table_name="entries")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("meaning_model")
        batch_op.drop_column("meaning")
