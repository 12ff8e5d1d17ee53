"""The operator's commands: migrate, purge-workspace, generate-key, rotate-keys, ready."""

from __future__ import annotations

import sys

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from bot import wiring
from bot.commands.setup import explain
from bot.settings import Settings
from storage.installations import forget_tokens
from storage.migrate import upgrade_to_head
from storage.repository import workspaces as workspace_store
from storage.tokens import VARIABLE, TokenKeyError, new_key, reseal, sealer
from storage.types import Workspace


def migrate(settings: Settings) -> int:
    upgrade_to_head(settings.database_url)
    print("Database is up to date.")
    return 0


def purge_workspace(settings: Settings, team_id: str, enterprise_id: str, confirmed: bool) -> int:
    from bot.domain.retention import purge_workspace as purge

    if not team_id and not enterprise_id:
        print('Name the workspace: its team ID (T…), or "" with --enterprise-id E… for a whole org.', file=sys.stderr)
        return 2
    engine, sf = wiring.database(settings)
    if team_id and not enterprise_id:
        with sf() as session:
            known = workspace_store.enterprises_of_team(session, team_id)
        if len(known) > 1:
            print(
                f"Workspace {team_id} is known in several orgs ({', '.join(known)}): add --enterprise-id.",
                file=sys.stderr,
            )
            return 2
        enterprise_id = known[0] if known else ""
    who = f"workspace {team_id or '(every one)'}" + (f" of enterprise {enterprise_id}" if enterprise_id else "")
    if not confirmed:
        print(f"This deletes for good everything stored for {who}. Run it again with --yes to do it.", file=sys.stderr)
        return 2
    if settings.client_id:
        # Deleting tokens reads none: slack_sdk's own store, which needs no keys.
        forget_tokens(SQLAlchemyInstallationStore(settings.client_id, engine), enterprise_id, team_id)
    deleted = sum(purge(sf, Workspace(enterprise_id, team_id)).values())
    if not deleted:
        print(f"Nothing is stored for {who}: nothing deleted. Check the team ID.", file=sys.stderr)
        return 1
    print(f"Deleted the data of {who}: {deleted} rows.")
    return 0


def generate_key() -> int:
    print(new_key())
    print(
        f"Put it in {VARIABLE} (in .env or the environment). To change keys, put the new one first, keep the old "
        "one after a comma, run `failure-resume rotate-keys`, then remove the old one.",
        file=sys.stderr,
    )
    return 0


def rotate_keys(settings: Settings) -> int:
    """Re-encrypt every stored token under the first key, so that the others can be removed."""
    try:
        keys = sealer(settings.token_keys)
    except TokenKeyError as problem:
        return explain([str(problem)])
    engine, _sf = wiring.database(settings)
    with engine.begin() as connection:
        rotated = reseal(connection, keys.rotate)
    print(f"Stored tokens re-encrypted under the first key of {VARIABLE}: {rotated}. The other keys can go now.")
    return 0


def ready(settings: Settings) -> int:
    """An exec probe for processes without HTTP (the worker, the clock): what GET /readyz answers."""
    from bot.ops.readiness import Readiness

    answers = Readiness.of(settings).check()
    print(", ".join(f"{name}: {'ok' if up else 'unreachable'}" for name, up in answers.items()))
    return 0 if all(answers.values()) else 1
