"""the Nice job follow-up by its name: outbox rows promised as "welcome_entry" are "nice_job"

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

RENAME = sa.text("UPDATE outbox SET task = :new WHERE task = :old")


def upgrade() -> None:
    op.execute(RENAME.bindparams(old="welcome_entry", new="nice_job"))


def downgrade() -> None:
    op.execute(RENAME.bindparams(old="nice_job", new="welcome_entry"))
