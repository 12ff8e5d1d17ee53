"""One rule decides every request's workspace: the one the person acts from. A request is served only
when the app's installation that Slack sent it through is that workspace's own (or its org's org-wide
install), so that one person's entries never split across workspaces by the surface they used.

Bolt itself takes a modal's workspace from `view.app_installed_team_id` and a command's from
`team_id`: for someone of another workspace (Slack Connect, Enterprise Grid) the two differ."""

from __future__ import annotations

from slack_bolt.authorization import AuthorizeResult

from storage.types import Workspace


def acting_team(body: dict) -> str | None:
    """The workspace (an ID starting with T; E is an org) of the person behind a request."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    view = event.get("view") if isinstance(event.get("view"), dict) else {}
    team = body.get("team") if isinstance(body.get("team"), dict) else {}
    for candidate in (user.get("team_id"), view.get("team_id"), event.get("team"), body.get("team_id"), team.get("id")):
        if isinstance(candidate, str) and candidate.startswith("T"):
            return candidate
    return None


def served_here(installed: AuthorizeResult | None, ws: Workspace, org_wide: bool) -> bool:
    """Whether the installation that authorized the request belongs to the person's workspace."""
    if installed is None:
        return True  # url_verification and ssl_check: nothing of any workspace is read or written
    if (installed.enterprise_id or "") != ws.enterprise_id:
        return False
    return (org_wide and bool(ws.enterprise_id)) or installed.team_id == ws.team_id
