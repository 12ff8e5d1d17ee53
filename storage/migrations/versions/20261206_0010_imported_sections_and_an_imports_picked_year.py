"""imported sections and an import's picked year: an entry keeps the section of the resume it was imported from, and a pending import the year its owner picked for the entries without one

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("section", sa.Text(), nullable=True))
    with op.batch_alter_table("pending_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_imports", schema=None) as batch_op:
        batch_op.drop_column("year")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("section")
