"""Domain operations on a person's entries: each one a unit of work, scoped to a workspace and its owner."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.prompts import PROMPT_KIND, SNOOZE
from storage import erasure
from storage.models import ActionItem, Delivery, Entry, Person, WorkspaceSettings
from storage.repository import acknowledgements as acknowledgement_store
from storage.repository import action_items as action_item_store
from storage.repository import deliveries as delivery_store
from storage.repository import entries as entry_store
from storage.repository import housekeeping as housekeeping_store
from storage.repository import people as person_store
from storage.repository import workspaces as workspace_store
from storage.types import EntryCounts, EntryFields, Workspace

SessionFactory = sessionmaker[Session]
# How long after opening the App Home a person may still be looking at it.
HOME_LOOKED_AT = timedelta(minutes=30)


# What a change promises, written in the change's own transaction: (session, entry, created).
Then = Callable[[Session, Entry, bool], None]


class NotYourEntry(Exception):
    """The entry does not exist in this workspace, or belongs to someone else."""


def record_quick_entry(
    sf: SessionFactory,
    ws: Workspace,
    user_id: str,
    text: str,
    request_key: str,
    now: datetime,
    today: date,
    then: Then | None = None,
) -> tuple[Entry, bool]:
    """The entry, and whether it is new (False for a replay of the same request)."""
    fields = EntryFields(
        what_happened=text,
        lesson=None,
        category="other",
        happened_on=today,
        safeguards=(),
        action_items=(),
        visibility="private",
    )
    return save_entry(sf, ws, user_id, fields, now, request_key=request_key, then=then)


def redate_entry(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, day: date) -> Entry:
    """Move a quick entry to the day it is where the person is, once Slack has told us their time zone."""
    with sf.begin() as session:
        entry = _own(session, ws, user_id, entry_id)
        entry.happened_on = day
        return entry


def set_source_link(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, link: str) -> None:
    with sf.begin() as session:
        _own(session, ws, user_id, entry_id).source_link = link


def first_delivery(sf: SessionFactory, event_id: object, now: datetime) -> bool:
    """False for Slack's retry of an Events API event already handled (it retries what it thinks we missed)."""
    if not isinstance(event_id, str) or not event_id:
        return True
    try:
        with sf.begin() as session:
            return housekeeping_store.remember_event(session, event_id[:64], now)
    except SQLAlchemyError:
        return True  # better handled twice than never: every event handler is idempotent


def request_key(kind: str, slack_id: object) -> str:
    """A key that identifies one Slack request (a trigger or a view) within the column's 64 characters."""
    key = f"{kind}:{slack_id}"
    return key if len(key) <= 64 else f"{kind}:" + hashlib.sha256(key.encode()).hexdigest()[:48]


def save_entry(
    sf: SessionFactory,
    ws: Workspace,
    user_id: str,
    fields: EntryFields,
    now: datetime,
    *,
    entry_id: int | None = None,
    request_key: str | None = None,
    then: Then | None = None,
) -> tuple[Entry, bool]:
    """Create (or, with entry_id, update) an entry. A repeated request_key returns the first entry, not a copy.
    `then(session, entry, created)` runs in the same transaction: what the change promises is kept with it."""
    try:
        with sf.begin() as session:
            if entry_id is not None:
                entry, created = _own(session, ws, user_id, entry_id), False
                entry_store.apply_fields(entry, fields, now)
            else:
                entry, created = entry_store.add_entry(session, ws, user_id, fields, now, request_key), True
            if then is not None:
                then(session, entry, created)
            return entry, created
    except IntegrityError:
        # The same request again (a double click, a retry): the request key's unique index refused the copy.
        with sf() as session:
            existing = entry_store.get_entry_by_request_key(session, ws, user_id, request_key or "")
        if existing is None:
            raise
        return existing, False


def _own(session: Session, ws: Workspace, user_id: str, entry_id: int) -> Entry:
    entry = entry_store.get_own_entry(session, ws, user_id, entry_id)
    if entry is None:
        raise NotYourEntry(entry_id)
    return entry


def get_own_entry(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int) -> Entry:
    with sf() as session:
        return _own(session, ws, user_id, entry_id)


def change_visibility(
    sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, visibility: str, now: datetime
) -> Entry:
    with sf.begin() as session:
        entry = _own(session, ws, user_id, entry_id)
        entry_store.set_visibility(entry, visibility, now)
        return entry


def delete_own_entry(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int) -> None:
    with sf.begin() as session:
        if not entry_store.delete_entry(session, ws, user_id, entry_id):
            raise NotYourEntry(entry_id)


@dataclass(frozen=True)
class ResumePage:
    entries: list[Entry]  # this page's, newest first
    per_year: dict[int, int]  # every year's count, for the year headers
    total: int
    page: int  # the page asked for, within the resume's pages


def resume_page(sf: SessionFactory, ws: Workspace, user_id: str, year: int | None, page: int, size: int) -> ResumePage:
    """One page of a resume, read alone: a resume of thousands of entries costs no more than a page."""
    with sf() as session:
        per_year = entry_store.count_entries_by_year(session, ws, user_id)
        total = per_year.get(year, 0) if year is not None else sum(per_year.values())
        page = min(max(page, 0), max(0, (total - 1) // size))
        entries = entry_store.list_entries(session, ws, user_id, year, limit=size, offset=page * size)
    return ResumePage(entries, per_year, total, page)


def years_with_entries(sf: SessionFactory, ws: Workspace, user_id: str) -> list[int]:
    """The years the person's resume has entries in, oldest first."""
    with sf() as session:
        return sorted(entry_store.count_entries_by_year(session, ws, user_id))


@dataclass(frozen=True)
class HomeContents:
    recent: list[Entry]
    total: int
    lessons: int
    per_year: dict[int, int]
    prompts_stopped: bool
    open_items: list[ActionItem]
    language: str | None  # the person's own choice; None follows Slack's locale


def home_contents(sf: SessionFactory, ws: Workspace, user_id: str, recent: int, open_items: int = 0) -> HomeContents:
    """The newest entries and the counts the Home tab shows, without loading a long resume whole."""
    with sf() as session:
        total, lessons = entry_store.count_entries(session, ws, user_id)
        person = person_store.get_person(session, ws, user_id)
        return HomeContents(
            recent=entry_store.list_entries(session, ws, user_id, limit=recent),
            total=total,
            lessons=lessons,
            per_year=entry_store.count_entries_by_year(session, ws, user_id),
            prompts_stopped=bool(person and person.prompts_stopped),
            open_items=action_item_store.list_own_open_action_items(session, ws, user_id, open_items),
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


def first_entry(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int) -> bool:
    """Whether this is the person's first entry (none kept was recorded before it). Their Home, if
    they opened it, shows no entry at all, and the open left no trace: it is noted only for people
    the app keeps something of (a person who deleted all their data stays deleted)."""
    with sf() as session:
        return entry_store.is_first_entry(session, ws, user_id, entry_id)


def workspace_settings(sf: SessionFactory, ws: Workspace) -> WorkspaceSettings:
    with sf() as session:
        return workspace_store.get_settings(session, ws)


def default_visibility(sf: SessionFactory, ws: Workspace) -> str:
    """The workspace default, or 'private' when the database is unreachable: the modal still opens."""
    try:
        return workspace_settings(sf, ws).default_visibility
    except SQLAlchemyError:
        return "private"


def save_workspace_settings(sf: SessionFactory, ws: Workspace, user_id: str, values: dict, now: datetime) -> None:
    with sf.begin() as session:
        workspace_store.save_settings(session, ws, user_id, now, **values)


@dataclass(frozen=True)
class NiceJob:
    added: bool
    count: int
    author_id: str
    entry: Entry


def say_nice_job(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, now: datetime) -> NiceJob | None:
    """Record a teammate's Nice job on a digested entry, once; None when there is no such entry here.
    The author's own press does not count."""
    with sf.begin() as session:
        entry = acknowledgement_store.get_digested_entry(session, ws, entry_id)
        if entry is None:
            return None
        added = entry.user_id != user_id and acknowledgement_store.add_acknowledgement(session, entry.id, user_id, now)
        return NiceJob(
            added,
            acknowledgement_store.count_acknowledgements_of(session, [entry.id]).get(entry.id, 0),
            entry.user_id,
            entry,
        )


def snooze_prompt(sf: SessionFactory, ws: Workspace, user_id: str, period: str, now: datetime) -> None:
    """Not now: ask again in a week, within the same month's allowance of one prompt."""
    with sf.begin() as session:
        person_store.save_person_choice(session, ws, user_id, now, snoozed_until=now + SNOOZE)
        delivery_store.forget_delivery(session, ws, user_id, PROMPT_KIND, period)


def set_prompts_stopped(sf: SessionFactory, ws: Workspace, user_id: str, stopped: bool, now: datetime) -> None:
    with sf.begin() as session:
        person_store.save_person_choice(session, ws, user_id, now, prompts_stopped=stopped, snoozed_until=None)


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
        entry = _own(session, ws, user_id, entry_id)
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


def nice_job_counts(sf: SessionFactory, entry_ids: list[int]) -> dict[int, int]:
    with sf() as session:
        return acknowledgement_store.count_acknowledgements_of(session, entry_ids)


# -- data rights ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonalData:
    """Everything the app keeps about one person in one workspace."""

    entries: list[Entry]
    nice_jobs: dict[int, int]  # per entry: how many teammates said it, never who
    nice_jobs_given: int
    person: Person | None
    deliveries: list[Delivery]


def personal_data(sf: SessionFactory, ws: Workspace, user_id: str) -> PersonalData:
    with sf() as session:
        entries = entry_store.list_entries(session, ws, user_id)
        return PersonalData(
            entries=entries,
            nice_jobs=acknowledgement_store.count_acknowledgements_of(session, [entry.id for entry in entries]),
            nice_jobs_given=acknowledgement_store.count_acknowledgements_given(session, ws, user_id),
            person=person_store.get_person(session, ws, user_id),
            deliveries=delivery_store.list_deliveries(session, ws, user_id),
        )


def delete_all_my_data(sf: SessionFactory, ws: Workspace, user_id: str) -> dict[str, int]:
    """Everything of the person in this workspace, in one unit of work; doing it twice removes nothing more.
    Digests already posted stay as they are; the entries are gone, so no future digest can carry them."""
    with sf.begin() as session:
        return erasure.delete_person_data(session, ws, user_id)


@dataclass(frozen=True)
class SharedEntries:
    entries: list[Entry]
    nice_jobs: dict[int, int]
    counts: EntryCounts


def shared_entries_for_admins(sf: SessionFactory, ws: Workspace) -> SharedEntries:
    """What a workspace admin may export: shared entries (never a private one's words) and counts."""
    with sf() as session:
        entries = entry_store.list_exportable_shared_entries(session, ws)
        return SharedEntries(
            entries=entries,
            nice_jobs=acknowledgement_store.count_acknowledgements_of(session, [entry.id for entry in entries]),
            counts=entry_store.count_workspace_entries(session, ws),
        )
