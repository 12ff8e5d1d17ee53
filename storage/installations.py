"""OAuth installs in our own database: slack_sdk's SQLAlchemy stores on the tables our migrations create,
their tokens sealed (storage/tokens.py)."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import MultiFernet
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, select

from storage.db import make_session_factory
from storage.repository import workspaces as workspace_store
from storage.tokens import TOKEN_COLUMNS, SealedToken


class InstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, plus: tokens sealed at rest, and an install cancels a pending purge of the
    workspace's data."""

    def __init__(self, client_id: str, engine: Engine, keys: MultiFernet) -> None:
        super().__init__(client_id=client_id, engine=engine)
        # Its token columns seal what it writes and open what it reads, whichever of slack_sdk's, Bolt's or
        # our methods does it: the stored text is sealed, the Bot and Installation objects hold the token.
        sealed = SealedToken(keys)
        for table in (self.bots, self.installations):
            for column in TOKEN_COLUMNS[table.name]:
                table.c[column].type = sealed
        # slack_sdk's store is built from an engine alone: the factory for our own write is made the one
        # way storage.db makes them.
        self._sessions = make_session_factory(engine)

    def save(self, installation: Installation) -> None:
        # We ask for no user scopes; should an install grant a user token anyway, it is not kept.
        installation.user_token = installation.user_refresh_token = installation.user_token_expires_at = None
        installation.user_scopes = []
        super().save(installation)
        with self._sessions.begin() as session:
            workspace_store.cancel_uninstall(session, installation.enterprise_id or "", installation.team_id)

    def installed_bots(self) -> list[Bot]:
        """The latest bot of every install: one per workspace, or one for an org-wide install."""
        bots = self.bots.c
        with self.engine.connect() as connection:
            keys = connection.execute(
                select(bots.enterprise_id, bots.team_id, bots.is_enterprise_install)
                .where(bots.client_id == self.client_id)
                .distinct()
            ).all()
        found = (
            self.find_bot(enterprise_id=e, team_id=None if org else t, is_enterprise_install=org) for e, t, org in keys
        )
        return [bot for bot in found if bot is not None and bot.bot_token]


class SignedStateStore(SQLAlchemyOAuthStateStore):
    """OAuth states are single-use rows (slack_sdk) that also carry our signature, so a forged one is
    refused before the database is asked."""

    def __init__(self, secret: str, expiration_seconds: int, engine: Engine) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine)
        self._key = secret.encode()

    def _signature(self, state: str) -> str:
        return hmac.new(self._key, state.encode(), hashlib.sha256).hexdigest()

    def issue(self, *args, **kwargs) -> str:
        state = super().issue(*args, **kwargs)
        return f"{state}.{self._signature(state)}"

    def consume(self, state: str) -> bool:
        issued, _, signature = state.rpartition(".")
        return hmac.compare_digest(self._signature(issued), signature) and super().consume(issued)


def forget_tokens(store: InstallationStore | None, enterprise_id: str | None, team_id: str | None) -> None:
    """Delete a workspace's (or an org-wide install's) tokens at once."""
    if store is not None:
        store.delete_all(enterprise_id=enterprise_id or None, team_id=team_id or None)
