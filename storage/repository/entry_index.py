"""What the similarity index and the sentence encoder read of entries, and where the encoder writes.
Session first; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, null, or_, select, update
from sqlalchemy.orm import Session, lazyload

from storage.models import Entry
from storage.repository.entries import seen_by_the_team
from storage.types import EntryWords, IndexedEntry, Workspace


def list_indexed_entries(
    session: Session, ws: Workspace, entry_ids: list[int] | None = None, meaning_model: str | None = None
) -> list[IndexedEntry]:
    """Every entry of the workspace (or the given ones) as the similarity index needs it, with the
    meanings made by `meaning_model` (none without it)."""
    meaning = case((Entry.meaning_model == meaning_model, Entry.meaning)) if meaning_model else null()
    query = select(
        Entry.id, Entry.user_id, seen_by_the_team(), Entry.what_happened, Entry.lesson, Entry.updated_at, meaning
    ).where(Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    if entry_ids is not None:
        query = query.where(Entry.id.in_(entry_ids))
    return [IndexedEntry(*row) for row in session.execute(query)]


def get_entry_words(session: Session, ws: Workspace, entry_id: int) -> EntryWords | None:
    row = session.execute(
        select(Entry.what_happened, Entry.lesson).where(
            Entry.id == entry_id, Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id
        )
    ).one_or_none()
    return EntryWords(entry_id, ws, *row) if row else None


def list_entries_without_meaning(
    session: Session, meaning_model: str, superseded: tuple[str, ...], limit: int
) -> list[EntryWords]:
    """Entries of any workspace with no meaning, or one of a `superseded` model's (never `meaning_model`'s):
    stored before meanings existed, imported, or whose follow-up was lost. Read from their index."""
    superseded = tuple(m for m in superseded if m != meaning_model)
    query = (
        select(Entry.id, Entry.enterprise_id, Entry.team_id, Entry.what_happened, Entry.lesson)
        .where(or_(Entry.meaning_model.is_(None), Entry.meaning_model.in_(superseded)))
        .limit(limit)
    )
    return [EntryWords(i, Workspace(e, t), what, lesson) for i, e, t, what, lesson in session.execute(query)]


def set_meaning(session: Session, words: EntryWords, meaning: bytes, meaning_model: str) -> bool:
    """Store what the encoder made of an entry's words, if it still has them (an edit meanwhile made
    them another meaning's job). Its updated_at moves, so that every similarity index reads it again."""
    ws = words.workspace
    same_lesson = Entry.lesson.is_(None) if words.lesson is None else Entry.lesson == words.lesson
    stored = session.execute(
        update(Entry)
        .where(Entry.id == words.id, Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
        .where(Entry.what_happened == words.what_happened, same_lesson)
        .values(meaning=meaning, meaning_model=meaning_model)
        .execution_options(synchronize_session=False)
    )
    return stored.rowcount == 1


def count_changes(session: Session, ws: Workspace, since: datetime) -> tuple[int, datetime | None]:
    """How many entries of the workspace changed since a moment, and the latest change: a look
    that reads no row when nothing changed."""
    query = select(func.count(), func.max(Entry.updated_at)).where(
        Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id, Entry.updated_at > since
    )
    count, latest = session.execute(query).one()
    return count, latest


def entry_change_times(session: Session, ws: Workspace, since: datetime) -> dict[int, datetime]:
    """When each entry of the workspace changed since a moment was last changed (entry ID -> time):
    read from the index alone, so that a look at the last minute costs no entry's text."""
    query = select(Entry.id, Entry.updated_at).where(
        Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id, Entry.updated_at > since
    )
    return {entry_id: at for entry_id, at in session.execute(query)}


def list_visible_entries(session: Session, ws: Workspace, viewer: str, entry_ids: list[int]) -> list[Entry]:
    """Those of the given entries that `viewer` may see: their own, and the ones seen by the team."""
    if not entry_ids:
        return []
    query = select(Entry).where(
        Entry.id.in_(entry_ids),
        # `|| ''` keeps SQLite on the primary key: on the workspace's own indexes it would scan
        # every entry of the workspace to find ten.
        Entry.enterprise_id.concat("") == ws.enterprise_id,
        Entry.team_id.concat("") == ws.team_id,
        or_(Entry.user_id == viewer, seen_by_the_team()),
    )
    # What is shown of them needs no action items: not loaded.
    return list(session.scalars(query.options(lazyload(Entry.action_items))))
