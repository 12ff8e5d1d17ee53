"""Events API: the app removed from a workspace or an org, its tokens revoked, or an org's workspaces changed."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_bolt import BoltContext
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.retention import cancel_purge, schedule_purge
from bot.listeners.redelivery import once_per_event
from bot.listeners.registry import Listeners
from storage.installations import forget_tokens
from storage.types import Workspace

listen = Listeners()


@listen.event("app_uninstalled")
@once_per_event
def handle_app_uninstalled(context, session_factory, now, uninstall_grace) -> None:
    _removed(context, session_factory, now, uninstall_grace)


@listen.event("tokens_revoked")
@once_per_event
def handle_tokens_revoked(event, context, session_factory, now, uninstall_grace) -> None:
    # We never ask for user tokens; a revoked bot token means the app can no longer act here.
    if (event.get("tokens") or {}).get("bot"):
        _removed(context, session_factory, now, uninstall_grace)


@listen.event("team_access_revoked")
@once_per_event
def handle_team_access_revoked(event, context, session_factory, now, uninstall_grace) -> None:
    """An org-wide install no longer reaches some of the org's workspaces: their data goes after the grace period."""
    for team in _team_ids(event):
        schedule_purge(session_factory, Workspace(context.enterprise_id or "", team), now, uninstall_grace)


@listen.event("team_access_granted")
@once_per_event
def handle_team_access_granted(event, context, session_factory) -> None:
    cancel_purge(session_factory, context.enterprise_id or "", _team_ids(event))


def _team_ids(event: dict) -> list[str]:
    return [team for team in event.get("team_ids") or [] if isinstance(team, str) and team]


def _removed(
    context: BoltContext, session_factory: sessionmaker[Session], now: datetime, uninstall_grace: timedelta
) -> None:
    org_wide = bool(context.is_enterprise_install)
    ws = Workspace(context.enterprise_id or "", "" if org_wide else context.team_id or "")
    # The mark first: should deleting the tokens fail, the data is still deleted in time.
    schedule_purge(session_factory, ws, now, uninstall_grace)
    forget_tokens(context.get("installation_store"), context.enterprise_id, None if org_wide else context.team_id)
