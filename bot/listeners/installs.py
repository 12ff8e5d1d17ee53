"""Events API: the app removed from a workspace or an org, its tokens revoked, or an org's workspaces changed."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.retention import cancel_purge, schedule_purge
from bot.listeners.flows import once_per_event
from bot.slack.errors import reported
from storage.installations import forget_tokens
from storage.types import Workspace


def handle_app_uninstalled(body: dict, context: BoltContext) -> None:
    _removed(context)


def handle_tokens_revoked(event: dict, body: dict, context: BoltContext) -> None:
    # We never ask for user tokens; a revoked bot token means the app can no longer act here.
    if (event.get("tokens") or {}).get("bot"):
        _removed(context)


def handle_team_access_revoked(event: dict, body: dict, context: BoltContext) -> None:
    """An org-wide install no longer reaches some of the org's workspaces: their data goes after the grace period."""
    for team in _team_ids(event):
        schedule_purge(
            context["session_factory"],
            Workspace(context.enterprise_id or "", team),
            context["clock"](),
            context["uninstall_grace"],
        )


def handle_team_access_granted(event: dict, body: dict, context: BoltContext) -> None:
    cancel_purge(context["session_factory"], context.enterprise_id or "", _team_ids(event))


def _team_ids(event: dict) -> list[str]:
    return [team for team in event.get("team_ids") or [] if isinstance(team, str) and team]


def _removed(context: BoltContext) -> None:
    org_wide = bool(context.is_enterprise_install)
    ws = Workspace(context.enterprise_id or "", "" if org_wide else context.team_id or "")
    # The mark first: should deleting the tokens fail, the data is still deleted in time.
    schedule_purge(context["session_factory"], ws, context["clock"](), context["uninstall_grace"])
    forget_tokens(context.get("installation_store"), context.enterprise_id, None if org_wide else context.team_id)


def register(app: App) -> None:
    app.event("app_uninstalled")(reported(once_per_event(handle_app_uninstalled)))
    app.event("tokens_revoked")(reported(once_per_event(handle_tokens_revoked)))
    app.event("team_access_revoked")(reported(once_per_event(handle_team_access_revoked)))
    app.event("team_access_granted")(reported(once_per_event(handle_team_access_granted)))
