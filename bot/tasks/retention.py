"""The side of data retention that asks Slack (rules in bot/domain/retention.py): installs whose token
Slack no longer takes are treated as uninstalled, and the data of workspaces whose grace
period after an uninstall has ended is deleted, unless Slack says the app is back in them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.retention import EVENT_MEMORY, IMPORT_MEMORY, purge_workspace, schedule_purge
from bot.slack.api import build_web_client
from bot.slack.installations import Installations, Installed, still_installed
from storage.installations import InstallationStore, forget_tokens
from storage.repository import housekeeping as housekeeping_store
from storage.repository import imports as import_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace

log = logging.getLogger(__name__)


def purge_due(sf: sessionmaker[Session], installations: Installations, now: datetime) -> dict[str, str]:
    """Delete the data of workspaces whose grace period has ended, unless the app is back in them."""
    with sf.begin() as session:
        housekeeping_store.forget_events_before(session, now - EVENT_MEMORY)
        housekeeping_store.forget_expired_oauth_states(session, now)
        import_store.forget_pending_imports_before(session, now - IMPORT_MEMORY)
        due = workspace_store.due_purges(session, now)
    if not due:
        return {}
    # A single-workspace install comes back with a new SLACK_BOT_TOKEN, not through our OAuth flow;
    # and a stored token only counts if Slack still takes it.
    back = [installed for installed in installations() if _still_works(installed)]
    outcomes = {}
    for ws in due:
        name = ws.team_id or ws.enterprise_id
        if ws.team_id:
            is_back, spare = any(b.workspace == ws for b in back), frozenset()
        else:  # an org-wide install removed: its workspaces that installed the app themselves stay
            is_back = any(b.org_wide and b.workspace.enterprise_id == ws.enterprise_id for b in back)
            spare = frozenset(b.workspace.team_id for b in back if b.workspace.enterprise_id == ws.enterprise_id)
        if is_back:
            with sf.begin() as session:
                workspace_store.forget_uninstall(session, ws)
            outcomes[name] = "installed again, data kept"
            continue
        counts = purge_workspace(sf, ws, spare, only_if_marked=True)
        if counts is None:
            outcomes[name] = "installed again, data kept"
            continue
        outcomes[name] = f"data deleted ({sum(counts.values())} rows)"
        log.info("Deleted the data of workspace %s after its grace period", name)
    return outcomes


def _still_works(installed: Installed) -> bool:
    return still_installed(installed.client) is not None


def notice_lost_uninstalls(
    sf: sessionmaker[Session], store: InstallationStore, api_url: str, now: datetime, grace: timedelta
) -> list[str]:
    """Installs whose token Slack no longer takes, though no uninstall event reached us (the app was down
    when Slack sent it, say): treated like an uninstall, so that their data still goes after the grace period."""
    lost = []
    for bot in store.installed_bots():
        try:
            if still_installed(build_web_client(bot.bot_token, api_url)) is not None:
                continue
        except SlackApiError:
            continue  # an expired token is refreshed elsewhere; Slack having trouble is no verdict
        team = None if bot.is_enterprise_install else bot.team_id
        schedule_purge(sf, Workspace(bot.enterprise_id or "", team or ""), now, grace)
        forget_tokens(store, bot.enterprise_id, team)
        lost.append(team or bot.enterprise_id)
    return lost
