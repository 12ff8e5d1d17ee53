"""Action items of entries: who holds which, done or open, asked about or not. Session first; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import ActionItem, Entry
from storage.types import Workspace


def items_in(ws: Workspace):
    """The workspace's action items, joined to their entries (digests.py counts the shared ones with it)."""
    return (
        select(ActionItem)
        .join(Entry, ActionItem.entry_id == Entry.id)
        .where(Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    )


def list_open_action_items(
    session: Session, ws: Workspace, user_ids: list[str], limit: int, done_since: datetime | None = None
) -> dict[str, list[ActionItem]]:
    """The open action items each person owns, newest entry first, at most `limit` each, for a batch
    of people at once; with `done_since`, the ones done since then instead."""
    rank = func.row_number().over(
        partition_by=ActionItem.owner_id, order_by=(Entry.happened_on.desc(), ActionItem.position)
    )
    which = ActionItem.status == "open"
    if done_since is not None:
        which = (ActionItem.status == "done") & (ActionItem.done_at >= done_since)
    ranked = (
        select(ActionItem.id, rank.label("rank"))
        .join(Entry, ActionItem.entry_id == Entry.id)
        .where(
            Entry.enterprise_id == ws.enterprise_id,
            Entry.team_id == ws.team_id,
            ActionItem.owner_id.in_(user_ids),
            which,
        )
        .subquery()
    )
    rows = session.scalars(
        select(ActionItem)
        .join(ranked, ActionItem.id == ranked.c.id)
        .where(ranked.c.rank <= limit)
        .order_by(ActionItem.owner_id, ranked.c.rank)
    )
    found: dict[str, list[ActionItem]] = {}
    for item in rows:
        found.setdefault(item.owner_id, []).append(item)
    return found


def list_own_open_action_items(session: Session, ws: Workspace, user_id: str, limit: int) -> list[ActionItem]:
    """The open action items a person owns, oldest first."""
    query = items_in(ws).where(ActionItem.owner_id == user_id, ActionItem.status == "open")
    return list(session.scalars(query.order_by(Entry.created_at, Entry.id, ActionItem.position).limit(limit)))


def list_own_done_action_items(
    session: Session, ws: Workspace, user_id: str, since: datetime, limit: int
) -> list[ActionItem]:
    """The action items a person owns that were done since `since`, latest first."""
    query = items_in(ws).where(ActionItem.owner_id == user_id, ActionItem.status == "done", ActionItem.done_at >= since)
    return list(session.scalars(query.order_by(ActionItem.done_at.desc(), ActionItem.id).limit(limit)))


def get_action_item(session: Session, ws: Workspace, user_id: str, item_id: int) -> ActionItem | None:
    """An action item the person owns or whose entry they wrote."""
    mine = or_(ActionItem.owner_id == user_id, Entry.user_id == user_id)
    return session.scalar(items_in(ws).where(ActionItem.id == item_id, mine))


def set_action_item_status(item: ActionItem, status: str, now: datetime) -> None:
    item.done_by_issue = False  # whoever changes it now: its issue's next change follows from here
    if status == "done" and item.status != "done":
        item.done_at = now
    elif status != "done":
        item.done_at = None
        item.helped = item.helped_asked_at = None
    item.status = status


def mark_action_item_done(
    session: Session, ws: Workspace, user_id: str, item_id: int, now: datetime
) -> ActionItem | None:
    item = get_action_item(session, ws, user_id, item_id)
    if item is not None:
        set_action_item_status(item, "done", now)
    return item


def list_action_items_to_follow_up(
    session: Session, ws: Workspace, user_ids: list[str], done_before: datetime
) -> dict[str, ActionItem]:
    """For each person, the oldest item they own that was done before `done_before` and not yet
    asked about ("Did it help?")."""
    query = items_in(ws).where(
        ActionItem.owner_id.in_(user_ids),
        ActionItem.status == "done",
        ActionItem.done_at <= done_before,
        ActionItem.helped_asked_at.is_(None),
    )
    found: dict[str, ActionItem] = {}
    for item in session.scalars(query.order_by(ActionItem.done_at, ActionItem.id)):
        found.setdefault(item.owner_id, item)
    return found


def mark_asked_if_helped(session: Session, item_ids: list[int], now: datetime) -> None:
    if item_ids:
        session.execute(update(ActionItem).where(ActionItem.id.in_(item_ids)).values(helped_asked_at=now))


def count_items_done(
    session: Session, ws: Workspace, start: datetime, end: datetime, owner_id: str | None = None
) -> int:
    """Action items done in [start, end): the workspace's, or with `owner_id` the ones that person holds."""
    done = items_in(ws).where(ActionItem.status == "done", ActionItem.done_at >= start, ActionItem.done_at < end)
    if owner_id is not None:
        done = done.where(ActionItem.owner_id == owner_id)
    return session.scalar(select(func.count()).select_from(done.subquery())) or 0
