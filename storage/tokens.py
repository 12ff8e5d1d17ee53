"""Slack tokens sealed at rest: Fernet under the keys of TOKEN_ENCRYPTION_KEYS, the first of which seals
and every one of which opens, so that keys can be rotated."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.types import Text, TypeDecorator

VARIABLE = "TOKEN_ENCRYPTION_KEYS"
# The columns of slack_sdk's installation store that hold a token.
TOKEN_COLUMNS = {
    "slack_bots": ("bot_token", "bot_refresh_token"),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
}
# Every sealed column: the Slack tokens, and the secrets of a workspace's tracker (bot/trackers).
SEALED_COLUMNS = {**TOKEN_COLUMNS, "tracker_connections": ("secret", "webhook_secret")}


class TokenKeyError(Exception):
    """The keys cannot seal or open the stored tokens. The message says what to do."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def sealer(keys: str | None) -> MultiFernet:
    """The comma-separated keys of TOKEN_ENCRYPTION_KEYS."""
    given = [key.strip() for key in (keys or "").split(",") if key.strip()]
    if not given:
        raise TokenKeyError(
            f"{VARIABLE}: the key that encrypts each workspace's Slack tokens in the database. Make one with "
            "`failure-resume generate-key`, and keep it apart from the database and its backups."
        )
    fernets = []
    for number, key in enumerate(given, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            # The key itself is a secret: say which one is wrong, never what it is.
            raise TokenKeyError(
                f"{VARIABLE}: key {number} of {len(given)} is not a key made by `failure-resume generate-key` "
                "(44 characters of URL-safe base64). Make one with `failure-resume generate-key`."
            ) from None
    return MultiFernet(fernets)


class SealedToken(TypeDecorator):
    """A token column as slack_sdk's store writes and reads it: sealed on the way in, opened on the way out."""

    impl = Text
    cache_ok = True

    def __init__(self, keys: MultiFernet) -> None:
        super().__init__()
        self.keys = keys

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else self.keys.encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        try:
            return self.keys.decrypt(value.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(_unopened(value)) from None


def _unopened(token: str) -> str:
    if token.startswith("xox"):
        return (
            f"The database holds Slack tokens in plain text, stored before they were encrypted: "
            f"run `failure-resume migrate` with {VARIABLE} set; it encrypts them."
        )
    return (
        f"{VARIABLE} cannot open the Slack tokens stored in the database: it must still list the key they were "
        "encrypted with (to change keys, put the new key first, keep the old one after a comma, and run "
        "`failure-resume rotate-keys` before you remove it). `failure-resume generate-key` makes a new key."
    )


def _stored(
    connection: sa.Connection, tables: dict[str, tuple[str, ...]]
) -> Iterator[tuple[sa.TableClause, str, int, str]]:
    """Every stored token, newest first: its table, column, row id and sealed (or plain) text."""
    for name, columns in tables.items():
        table = sa.table(name, sa.column("id"), *(sa.column(column) for column in columns))
        for row in connection.execute(sa.select(table).order_by(table.c.id.desc())).mappings().all():
            for column in columns:
                if row[column] is not None:
                    yield table, column, row["id"], row[column]


def any_stored(connection: sa.Connection, tables: dict[str, tuple[str, ...]] = SEALED_COLUMNS) -> bool:
    return next(_stored(connection, tables), None) is not None


def check_keys(connection: sa.Connection, keys: MultiFernet) -> None:
    """Refuse keys that open none of the stored tokens: a wrong key, or the only right one removed."""
    first = None
    for *_, token in _stored(connection, SEALED_COLUMNS):
        try:
            keys.decrypt(token.encode())
            return
        except InvalidToken:
            first = first or token
    if first is not None:
        raise TokenKeyError(_unopened(first))


def reseal(
    connection: sa.Connection, change: Callable[[bytes], bytes], tables: dict[str, tuple[str, ...]] = SEALED_COLUMNS
) -> int:
    """Rewrite every stored token with `change`; how many were rewritten."""
    rewritten = 0
    for table, column, row_id, token in _stored(connection, tables):
        try:
            new = change(token.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(_unopened(token)) from None
        # Only if it is still the token read: a token the running app refreshed meanwhile was sealed by the
        # app itself, and writing the old one back would undo the refresh.
        still = sa.and_(table.c.id == row_id, table.c[column] == token)
        rewritten += connection.execute(sa.update(table).where(still).values({column: new})).rowcount
    return rewritten
