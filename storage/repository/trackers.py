"""A workspace's tracker connection, and the action items that became its issues. Session first; never
commits. Secrets arrive and leave sealed: opening them is bot/domain/trackers.py's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import ActionItem, Entry, TrackerConnection
from storage.repository.action_items import items_in
from storage.types import Workspace


def get_connection(session: Session, ws: Workspace) -> TrackerConnection | None:
    return session.scalar(
        select(TrackerConnection).where(
            TrackerConnection.enterprise_id == ws.enterprise_id, TrackerConnection.team_id == ws.team_id
        )
    )


def save_connection(session: Session, ws: Workspace, **values: object) -> TrackerConnection:
    """The workspace's one connection, made or replaced."""
    connection = get_connection(session, ws)
    if connection is None:
        connection = TrackerConnection(**ws.columns())
        session.add(connection)
    for name, value in values.items():
        setattr(connection, name, value)
    return connection


def delete_connection(session: Session, ws: Workspace) -> bool:
    found = session.execute(
        delete(TrackerConnection).where(
            TrackerConnection.enterprise_id == ws.enterprise_id, TrackerConnection.team_id == ws.team_id
        )
    )
    return bool(found.rowcount)


def list_connections(session: Session, kind: str | None = None) -> list[TrackerConnection]:
    """Every workspace's connection (of one kind), for webhooks and the periodic check."""
    query = select(TrackerConnection).order_by(TrackerConnection.id)
    if kind is not None:
        query = query.where(TrackerConnection.kind == kind)
    return list(session.scalars(query))


def get_item_for_issue(session: Session, ws: Workspace, user_id: str, item_id: int) -> ActionItem | None:
    """An action item the person owns or whose entry they wrote."""
    mine = or_(ActionItem.owner_id == user_id, Entry.user_id == user_id)
    return session.scalar(items_in(ws).where(ActionItem.id == item_id, mine))


def claim_issue(session: Session, item_id: int, ref: str, now: datetime, stale_before: datetime) -> bool:
    """The item claimed for its issue, in one conditional UPDATE (which SQLite serialises too): False
    when it has its issue, or another press claimed it since `stale_before`."""
    free = or_(ActionItem.issue_requested_at.is_(None), ActionItem.issue_requested_at < stale_before)
    claimed = session.execute(
        update(ActionItem)
        .where(ActionItem.id == item_id, ActionItem.issue_url.is_(None), free)
        .values(issue_requested_at=now, issue_ref=func.coalesce(ActionItem.issue_ref, ref), issue_tries=0)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def list_items_with_issue(session: Session, ws: Workspace, tracker: str, key: str) -> list[ActionItem]:
    return list(session.scalars(items_in(ws).where(ActionItem.issue_tracker == tracker, ActionItem.issue_key == key)))


def list_items_to_check(
    session: Session, ws: Workspace, tracker: str, done_since: datetime, limit: int
) -> list[ActionItem]:
    """The items whose issue may still change their status: open ones, and ones done lately (an issue
    reopened). Checked longest ago first would need a column; by id is fair enough for `limit` each run."""
    recent = or_(ActionItem.status == "open", ActionItem.done_at >= done_since)
    query = items_in(ws).where(ActionItem.issue_tracker == tracker, ActionItem.issue_key.is_not(None), recent)
    return list(session.scalars(query.order_by(ActionItem.id).limit(limit)))
