"""The App Home: what it shows of a person, and whether they may be looking at it. Each operation one unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import SessionFactory
from storage.models import ActionItem, Entry
from storage.repository import action_items as action_item_store
from storage.repository import entries as entry_store
from storage.repository import people as person_store
from storage.repository import trackers as tracker_store
from storage.types import Workspace

# How long after opening the App Home a person may still be looking at it.
HOME_LOOKED_AT = timedelta(minutes=30)
# A done action item stays in the Home (and the monthly prompt) this long, marked done.
DONE_SHOWN = timedelta(days=30)
DONE_SHOWN_MOST = 3


@dataclass(frozen=True)
class HomeContents:
    recent: list[Entry]
    total: int
    lessons: int
    per_year: dict[int, int]
    prompts_stopped: bool
    open_items: list[ActionItem]
    done_items: list[ActionItem]
    tracker: bool  # whether action items can become issues (a tracker is connected)
    language: str | None  # the person's own choice; None follows Slack's locale


def home_contents(
    sf: SessionFactory, ws: Workspace, user_id: str, recent: int, now: datetime, open_items: int = 0
) -> HomeContents:
    """The newest entries and the counts the Home tab shows, without loading a long resume whole."""
    with sf() as session:
        done = []
        if open_items:
            done = action_item_store.list_own_done_action_items(session, ws, user_id, now - DONE_SHOWN, DONE_SHOWN_MOST)
        total, lessons = entry_store.count_entries(session, ws, user_id)
        person = person_store.get_person(session, ws, user_id)
        return HomeContents(
            recent=entry_store.list_entries(session, ws, user_id, limit=recent),
            total=total,
            lessons=lessons,
            per_year=entry_store.count_entries_by_year(session, ws, user_id),
            prompts_stopped=bool(person and person.prompts_stopped),
            open_items=action_item_store.list_own_open_action_items(session, ws, user_id, open_items),
            done_items=done,
            tracker=tracker_store.get_connection(session, ws) is not None,
            language=person.language if person else None,
        )


def home_opened(sf: SessionFactory, ws: Workspace, user_id: str, now: datetime) -> None:
    with sf.begin() as session:
        person_store.remember_home_opened(session, ws, user_id, now)


def home_opened_lately(sf: SessionFactory, ws: Workspace, user_id: str, now: datetime) -> bool:
    """Whether the person may be looking at their App Home: opened in the last HOME_LOOKED_AT."""
    with sf() as session:
        person = person_store.get_person(session, ws, user_id)
    return bool(person and person.home_opened_at and now - person.home_opened_at < HOME_LOOKED_AT)
