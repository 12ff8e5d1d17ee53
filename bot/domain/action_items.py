"""Action items of a person's entries: done, reassigned, asked whether they helped. Each operation one unit of
work."""

from __future__ import annotations

from datetime import datetime

from bot.domain.entries import NotYourEntry, own_entry
from storage.db import SessionFactory
from storage.models import ActionItem
from storage.repository import action_items as action_item_store
from storage.types import Workspace


def mark_action_item_done(sf: SessionFactory, ws: Workspace, user_id: str, item_id: int, now: datetime) -> ActionItem:
    """Mark an action item done: one the person owns, or one on their own entry."""
    with sf.begin() as session:
        item = action_item_store.mark_action_item_done(session, ws, user_id, item_id, now)
        if item is None:
            raise NotYourEntry(item_id)
        return item


def update_action_items(
    sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, changes: dict, now: datetime
) -> list[ActionItem]:
    """Owner, due date and status of the items of the person's own entry; returns those now done."""
    with sf.begin() as session:
        entry = own_entry(session, ws, user_id, entry_id)
        done = []
        for item in entry.action_items:
            change = changes.get(item.id)
            if change is None:
                continue
            if change.owner_id and entry.visibility == "named":
                item.owner_id = change.owner_id
            item.due_on = change.due_on
            if change.status == "done" and item.status != "done":
                done.append(item)
            action_item_store.set_action_item_status(item, change.status, now)
        return done


def record_helped(sf: SessionFactory, ws: Workspace, user_id: str, item_id: int, answer: str) -> None:
    with sf.begin() as session:
        item = action_item_store.get_action_item(session, ws, user_id, item_id)
        if item is None:
            raise NotYourEntry(item_id)
        item.helped = answer
