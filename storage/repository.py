"""Query and command functions. Each takes the caller's session, is scoped by workspace, and never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import Session

from storage.models import ActionItem, Entry, WorkspaceSettings


@dataclass(frozen=True)
class Workspace:
    """The tenancy key: every query filters on both parts."""

    enterprise_id: str
    team_id: str


@dataclass(frozen=True)
class EntryFields:
    what_happened: str
    lesson: str | None
    category: str
    happened_on: date
    safeguards: tuple[str, ...]
    action_items: tuple[str, ...]
    visibility: str
    source_link: str | None = None


def _owner_is(ws: Workspace, user_id: str) -> tuple:
    return (
        Entry.enterprise_id == ws.enterprise_id,
        Entry.team_id == ws.team_id,
        Entry.user_id == user_id,
    )


def _owned(ws: Workspace, user_id: str) -> Select[tuple[Entry]]:
    return select(Entry).where(*_owner_is(ws, user_id))


def add_entry(
    session: Session,
    ws: Workspace,
    user_id: str,
    fields: EntryFields,
    now: datetime,
    request_key: str | None = None,
) -> Entry:
    entry = Entry(
        enterprise_id=ws.enterprise_id,
        team_id=ws.team_id,
        user_id=user_id,
        request_key=request_key,
        created_at=now,
    )
    apply_fields(entry, fields, now)
    session.add(entry)
    session.flush()
    return entry


def apply_fields(entry: Entry, fields: EntryFields, now: datetime) -> None:
    entry.what_happened = fields.what_happened
    entry.lesson = fields.lesson
    entry.category = fields.category
    entry.happened_on = fields.happened_on
    entry.safeguards = list(fields.safeguards)
    entry.source_link = fields.source_link
    set_visibility(entry, fields.visibility, now)
    # Unchanged lines keep their rows (and so whether they are done); each line has its own row.
    kept: dict[str, list[ActionItem]] = {}
    for item in entry.action_items:
        kept.setdefault(item.text, []).append(item)
    entry.action_items = [
        kept[text].pop(0) if kept.get(text) else ActionItem(text=text) for text in fields.action_items
    ]
    for position, item in enumerate(entry.action_items):
        item.position = position


def set_visibility(entry: Entry, visibility: str, now: datetime) -> None:
    if visibility != "private" and (entry.visibility in (None, "private")):
        entry.shared_at = now
    if visibility == "private":
        entry.shared_at = None
    entry.visibility = visibility


def get_entry_by_request_key(session: Session, ws: Workspace, user_id: str, request_key: str) -> Entry | None:
    return session.scalar(_owned(ws, user_id).where(Entry.request_key == request_key))


def get_own_entry(session: Session, ws: Workspace, user_id: str, entry_id: int) -> Entry | None:
    return session.scalar(_owned(ws, user_id).where(Entry.id == entry_id))


def list_entries(
    session: Session, ws: Workspace, user_id: str, year: int | None = None, limit: int | None = None
) -> list[Entry]:
    """A person's entries, newest first."""
    query = _owned(ws, user_id).order_by(Entry.happened_on.desc(), Entry.id.desc()).limit(limit)
    if year is not None:
        # A date range, not extract(year), so the owner index serves it.
        query = query.where(Entry.happened_on >= date(year, 1, 1), Entry.happened_on <= date(year, 12, 31))
    return list(session.scalars(query))


def count_entries_by_year(session: Session, ws: Workspace, user_id: str) -> dict[int, int]:
    year = extract("year", Entry.happened_on)
    rows = session.execute(select(year, func.count(Entry.id)).where(*_owner_is(ws, user_id)).group_by(year))
    return {int(y): n for y, n in rows}


def count_entries(session: Session, ws: Workspace, user_id: str) -> tuple[int, int]:
    """(entries, entries with a lesson) for one person."""
    row = session.execute(select(func.count(Entry.id), func.count(Entry.lesson)).where(*_owner_is(ws, user_id))).one()
    return row[0], row[1]


def delete_entry(session: Session, ws: Workspace, user_id: str, entry_id: int) -> bool:
    entry = get_own_entry(session, ws, user_id, entry_id)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def get_settings(session: Session, ws: Workspace) -> WorkspaceSettings:
    """The workspace's settings, or unsaved defaults when an admin never changed them."""
    found = session.get(WorkspaceSettings, (ws.enterprise_id, ws.team_id))
    if found is not None:
        return found
    return WorkspaceSettings(
        enterprise_id=ws.enterprise_id,
        team_id=ws.team_id,
        retro_channel=None,
        digest_cadence="monthly",
        prompt_day=0,
        default_visibility="private",
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
