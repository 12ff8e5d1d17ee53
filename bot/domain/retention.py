"""What happens to a workspace's data after it removes the app.

Tokens go at once (see storage.installations.forget_tokens). The data waits for a grace period, so that a
workspace that reinstalls finds its failure resumes intact, and is then deleted for good. An operator can
delete it at once with `failure-resume purge-workspace`."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from storage.erasure import delete_workspace_data
from storage.repository import workspaces as workspace_store
from storage.types import Workspace

log = logging.getLogger(__name__)

# Slack retries an event for about an hour; a day of remembered event ids is plenty.
EVENT_MEMORY = timedelta(days=1)
# A resume shared for import waits a day for its owner's yes; after that its text goes.
IMPORT_MEMORY = timedelta(days=1)


def schedule_purge(sf: sessionmaker[Session], ws: Workspace, now: datetime, grace: timedelta) -> datetime:
    """The workspace removed the app (an empty team_id: an org-wide install); returns when its data goes."""
    if not ws.enterprise_id and not ws.team_id:
        raise ValueError("an uninstall names neither an enterprise nor a team")
    with sf.begin() as session:
        purge_after = workspace_store.mark_uninstalled(session, ws, now, grace).purge_after
    log.info("Workspace %s removed the app; its data is deleted after %s", ws.team_id or ws.enterprise_id, purge_after)
    return purge_after


def cancel_purge(sf: sessionmaker[Session], enterprise_id: str, team_ids: list[str]) -> None:
    """The app reaches these workspaces again: their data stays."""
    with sf.begin() as session:
        for team in team_ids:
            workspace_store.cancel_uninstall(session, enterprise_id, team)


def purge_workspace(
    sf: sessionmaker[Session], ws: Workspace, spare: frozenset[str] = frozenset(), only_if_marked: bool = False
) -> dict[str, int] | None:
    """Delete everything stored for a workspace (or every workspace of an org but those in `spare`) now.

    only_if_marked: do nothing (and return None) unless the uninstall mark is still there, so that a
    reinstall that cancelled it a moment ago keeps its data."""
    totals: dict[str, int] = {}
    with sf.begin() as session:
        if not workspace_store.forget_uninstall(session, ws) and only_if_marked:
            return None
        teams = [ws.team_id] if ws.team_id else workspace_store.known_teams(session, ws.enterprise_id)
        for team in teams:
            if team in spare:
                continue
            for table, count in delete_workspace_data(session, Workspace(ws.enterprise_id, team)).items():
                totals[table] = totals.get(table, 0) + count
    return totals
