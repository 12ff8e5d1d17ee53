"""A workspace's settings, its uninstall and purge marks, and which workspaces the app holds data for.
Session first; never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Delivery, Digest, Entry, Person, Uninstall, WorkspaceSettings
from storage.types import Workspace


def get_settings(session: Session, ws: Workspace) -> WorkspaceSettings:
    """The workspace's settings, or unsaved defaults when an admin never changed them."""
    found = session.get(WorkspaceSettings, (ws.enterprise_id, ws.team_id))
    if found is not None:
        return found
    return WorkspaceSettings(
        **ws.columns(),
        retro_channel=None,
        digest_cadence="monthly",
        prompt_day=0,
        default_visibility="private",
        anonymity_crowd=3,
        prompt_guests=False,
        language="en",
    )


def save_settings(session: Session, ws: Workspace, user_id: str, now: datetime, **values: object) -> WorkspaceSettings:
    settings = session.get(WorkspaceSettings, (ws.enterprise_id, ws.team_id))
    if settings is None:
        settings = get_settings(session, ws)
        session.add(settings)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.updated_by = user_id
    settings.updated_at = now
    session.flush()
    return settings


def mark_uninstalled(session: Session, ws: Workspace, now: datetime, grace: timedelta) -> Uninstall:
    """Remember that a workspace removed the app; its data goes once the grace period ends.

    An empty team_id stands for every workspace of an org-wide install."""
    mark = session.get(Uninstall, (ws.enterprise_id, ws.team_id))
    if mark is None:
        mark = Uninstall(**ws.columns(), uninstalled_at=now)
        session.add(mark)
    mark.purge_after = now + grace
    return mark


def cancel_uninstall(session: Session, enterprise_id: str, team_id: str | None) -> None:
    """The app is back: keep the data. An org-wide install brings back every workspace of the org;
    one workspace's install brings back that workspace only."""
    statement = delete(Uninstall).where(Uninstall.enterprise_id == enterprise_id)
    if team_id:
        statement = statement.where(Uninstall.team_id == team_id)
    session.execute(statement)


def due_purges(session: Session, now: datetime) -> list[Workspace]:
    marks = session.scalars(select(Uninstall).where(Uninstall.purge_after <= now).order_by(Uninstall.purge_after))
    return [Workspace(m.enterprise_id, m.team_id) for m in marks]


def forget_uninstall(session: Session, ws: Workspace) -> bool:
    """Drop the mark; False when there was none (a reinstall got there first)."""
    statement = delete(Uninstall).where(Uninstall.enterprise_id == ws.enterprise_id, Uninstall.team_id == ws.team_id)
    return bool(session.execute(statement).rowcount)


def known_teams(session: Session, enterprise_id: str, served_only: bool = False) -> list[str]:
    """The workspaces of an org that the app has data for: where people used it.

    served_only: leave out those the org no longer lets the app reach (they wait for their purge)."""
    teams = set()
    for model in (WorkspaceSettings, Entry, Person, Delivery, Digest):
        statement = select(model.team_id).where(model.enterprise_id == enterprise_id).distinct()
        teams.update(session.scalars(statement))
    if served_only:
        teams -= set(session.scalars(select(Uninstall.team_id).where(Uninstall.enterprise_id == enterprise_id)))
    return sorted(teams)


def enterprises_of_team(session: Session, team_id: str) -> list[str]:
    """The enterprise ('' outside Enterprise Grid) each workspace with this team id belongs to."""
    enterprises = set()
    for model in (WorkspaceSettings, Entry, Person, Delivery, Digest):
        enterprises.update(session.scalars(select(model.enterprise_id).where(model.team_id == team_id).distinct()))
    return sorted(enterprises)
