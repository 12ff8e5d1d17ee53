"""tokens sealed at rest: the token columns take Fernet text, and the tokens stored before are encrypted

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:00:00
"""

import os

import sqlalchemy as sa
from alembic import op

from storage.tokens import TOKEN_COLUMNS, VARIABLE, TokenKeyError, any_stored, reseal, sealer

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _keys(why: str):
    """The keys, asked for only when there are tokens: a database without any (single-workspace mode)
    migrates without one. Asked for before any change, so that a refusal leaves the database as it was."""
    if not any_stored(op.get_bind(), TOKEN_COLUMNS):
        return None
    if not os.environ.get(VARIABLE, "").strip():
        raise TokenKeyError(f"The database holds Slack tokens {why}. Set {VARIABLE} and run again.")
    return sealer(os.environ[VARIABLE])


def _retype(before: sa.types.TypeEngine, after: sa.types.TypeEngine) -> None:
    for table, columns in TOKEN_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=before, type_=after, existing_nullable=True)


def upgrade() -> None:
    keys = _keys(
        "in plain text, stored before they were encrypted: the migration encrypts them under a key made "
        "with `failure-resume generate-key`"
    )
    if keys is not None and op.get_bind().dialect.name == "sqlite":
        # Zero what is replaced or dropped, so that no plain token stays behind in the file's free pages.
        op.execute("PRAGMA secure_delete = ON")
    _retype(sa.String(length=200), sa.Text())  # a sealed token is longer than the token
    if keys is not None:
        reseal(op.get_bind(), keys.encrypt, TOKEN_COLUMNS)


def downgrade() -> None:
    keys = _keys("encrypted, which going back decrypts")
    if keys is not None:
        reseal(op.get_bind(), keys.decrypt, TOKEN_COLUMNS)
    _retype(sa.Text(), sa.String(length=200))
