"""A person's entries: stored, changed, listed and counted. Session first; scoped by workspace and owner;
never commits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Select, case, extract, func, insert, or_, select
from sqlalchemy.orm import Session, lazyload

from storage.models import ActionItem, Entry
from storage.types import EntryCounts, EntryFields, Workspace


def owner_is(ws: Workspace, user_id: str) -> tuple:
    """Where a person's own entries are: also how people.py knows someone still has one."""
    return (
        Entry.enterprise_id == ws.enterprise_id,
        Entry.team_id == ws.team_id,
        Entry.user_id == user_id,
    )


def _owners_are(ws: Workspace, user_ids: list[str]) -> tuple:
    return (
        Entry.enterprise_id == ws.enterprise_id,
        Entry.team_id == ws.team_id,
        Entry.user_id.in_(user_ids),
    )


def _in_year(year: int) -> tuple:
    # A date range, not extract(year), so that the indexes on happened_on serve it.
    return (Entry.happened_on >= date(year, 1, 1), Entry.happened_on <= date(year, 12, 31))


def _owned(ws: Workspace, user_id: str) -> Select[tuple[Entry]]:
    return select(Entry).where(*owner_is(ws, user_id))


def add_entry(
    session: Session,
    ws: Workspace,
    user_id: str,
    fields: EntryFields,
    now: datetime,
    request_key: str | None = None,
) -> Entry:
    entry = Entry(
        **ws.columns(),
        user_id=user_id,
        request_key=request_key,
        created_at=now,
    )
    apply_fields(entry, fields, now)
    session.add(entry)
    session.flush()
    return entry


def add_words(
    session: Session, ws: Workspace, user_id: str, words: str, day: date, now: datetime, request_key: str
) -> int:
    """A quick entry (words only, private, no lesson or items) in one INSERT, without the ORM's unit of
    work: the hottest write there is, made before each `/fail <text>` ack. Returns its ID."""
    row = dict(
        **ws.columns(),
        user_id=user_id,
        what_happened=words,
        category="other",
        happened_on=day,
        day_known=True,
        safeguards=[],
        visibility="private",
        request_key=request_key,
        created_at=now,  # updated_at: the column's default, the moment of the write, as for any entry
    )
    return session.execute(insert(Entry.__table__).returning(Entry.__table__.c.id), [row]).scalar_one()


def apply_fields(entry: Entry, fields: EntryFields, now: datetime) -> None:
    if entry.happened_on is not None and fields.happened_on != entry.happened_on:
        entry.day_known = True  # a year-only entry given its day in the form
    if entry.id is not None and (fields.what_happened, fields.lesson) != (entry.what_happened, entry.lesson):
        entry.meaning = entry.meaning_model = None  # its words changed: made again from the new ones
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
        kept[text].pop(0) if kept.get(text) else ActionItem(text=text, owner_id=entry.user_id, status="open")
        for text in fields.action_items
    ]
    for position, item in enumerate(entry.action_items):
        item.position = position


def set_visibility(entry: Entry, visibility: str, now: datetime) -> None:
    if visibility != "private" and (entry.visibility in (None, "private")):
        entry.shared_at = now
    if visibility == "private":
        entry.shared_at = None
    if visibility != "named":
        # A teammate holding an item of an entry no longer shared by name would know whose it is.
        for item in entry.action_items:
            item.owner_id = entry.user_id
    entry.visibility = visibility


def get_entry_by_request_key(session: Session, ws: Workspace, user_id: str, request_key: str) -> Entry | None:
    return session.scalar(_owned(ws, user_id).where(Entry.request_key == request_key))


def get_own_entry(session: Session, ws: Workspace, user_id: str, entry_id: int) -> Entry | None:
    return session.scalar(_owned(ws, user_id).where(Entry.id == entry_id))


def list_entries(
    session: Session, ws: Workspace, user_id: str, year: int | None = None, limit: int | None = None, offset: int = 0
) -> list[Entry]:
    """A person's entries, newest first (from the `offset`-th, at most `limit`)."""
    query = _owned(ws, user_id).order_by(Entry.happened_on.desc(), Entry.id.desc()).limit(limit).offset(offset)
    if year is not None:
        query = query.where(*_in_year(year))
    return list(session.scalars(query))


def count_entries_by_year(session: Session, ws: Workspace, user_id: str) -> dict[int, int]:
    year = extract("year", Entry.happened_on)
    rows = session.execute(select(year, func.count(Entry.id)).where(*owner_is(ws, user_id)).group_by(year))
    return {int(y): n for y, n in rows}


def entry_words_by_year(session: Session, ws: Workspace, user_id: str) -> set[tuple[str, int]]:
    """What each of the person's entries says, with its year: how an import knows what is there already."""
    rows = session.execute(select(Entry.what_happened, Entry.happened_on).where(*owner_is(ws, user_id)))
    return {(what, day.year) for what, day in rows}


def count_entries(session: Session, ws: Workspace, user_id: str) -> tuple[int, int]:
    """(entries, entries with a lesson) for one person."""
    row = session.execute(select(func.count(Entry.id), func.count(Entry.lesson)).where(*owner_is(ws, user_id))).one()
    return row[0], row[1]


def is_first_entry(session: Session, ws: Workspace, user_id: str, entry_id: int) -> bool:
    """Whether none of the person's entries still kept was recorded before this one."""
    earlier = select(Entry.id).where(*owner_is(ws, user_id), Entry.id < entry_id).limit(1)
    return session.scalar(earlier) is None


def delete_entry(session: Session, ws: Workspace, user_id: str, entry_id: int) -> bool:
    entry = get_own_entry(session, ws, user_id, entry_id)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def list_entries_missing_lessons(
    session: Session, ws: Workspace, user_ids: list[str], since: date, limit: int
) -> dict[str, list[Entry]]:
    """Each person's newest entries since `since` still without a lesson, at most `limit` each."""
    missing = (Entry.lesson.is_(None), Entry.happened_on >= since)
    return _first_entries_of_each(session, ws, user_ids, missing, Entry.happened_on.desc(), limit)


def list_lessons_from_a_year_ago(session: Session, ws: Workspace, user_ids: list[str], today: date) -> dict[str, Entry]:
    """For each person, a lesson from the same month last year, to read again."""
    start = date(today.year - 1, today.month, 1)
    end = date(today.year, 1, 1) if today.month == 12 else date(today.year - 1, today.month + 1, 1)
    that_month = (Entry.lesson.is_not(None), Entry.day_known, Entry.happened_on >= start, Entry.happened_on < end)
    found = _first_entries_of_each(session, ws, user_ids, that_month, Entry.happened_on, 1)
    return {user_id: entries[0] for user_id, entries in found.items()}


def _first_entries_of_each(session: Session, ws: Workspace, user_ids: list[str], where, order_by, limit: int):
    rank = func.row_number().over(partition_by=Entry.user_id, order_by=order_by)
    ranked = select(Entry.id, rank.label("rank")).where(*_owners_are(ws, user_ids), *where).subquery()
    entries = session.scalars(
        select(Entry).join(ranked, Entry.id == ranked.c.id).where(ranked.c.rank <= limit).order_by(ranked.c.rank)
    )
    found: dict[str, list[Entry]] = {}
    for entry in entries:
        found.setdefault(entry.user_id, []).append(entry)
    return found


def people_with_entries_in(session: Session, ws: Workspace, user_ids: list[str], year: int) -> set[str]:
    """Who among them has an entry dated in `year`: the ones a December review goes to."""
    return set(session.scalars(select(Entry.user_id).where(*_owners_are(ws, user_ids), *_in_year(year)).distinct()))


def list_workspace_entries_of_year(session: Session, ws: Workspace, year: int) -> list[Entry]:
    """Every entry of the workspace dated in `year`, for the team's counts (never its words)."""
    query = (
        select(Entry)
        .options(lazyload(Entry.action_items))
        .where(
            Entry.enterprise_id == ws.enterprise_id,
            Entry.team_id == ws.team_id,
            *_in_year(year),
        )
    )
    return list(session.scalars(query))


def seen_by_the_team():
    """Named entries, and anonymous ones once a digest carried them (until then they wait for enough
    people to share anonymously). Private entries never. The similarity index (entry_index.py) reads
    the same rule."""
    return or_(Entry.visibility == "named", (Entry.visibility == "anonymous") & Entry.digest_id.is_not(None))


def list_exportable_shared_entries(session: Session, ws: Workspace) -> list[Entry]:
    """The shared entries an admin may export (those seen by the team), by date then id: an order
    that says nothing about authors."""
    return list(
        session.scalars(
            select(Entry)
            .where(Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
            .where(seen_by_the_team())
            .order_by(Entry.happened_on, Entry.id)
        )
    )


def count_workspace_entries(session: Session, ws: Workspace) -> EntryCounts:
    """Numbers only, for every entry of a workspace, private ones included. An anonymous entry still
    waiting for its crowd counts as private: set against the CSV, it would otherwise stand out."""
    in_workspace = (Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    waiting = (Entry.visibility == "anonymous") & Entry.digest_id.is_(None)

    def grouped(column) -> dict:
        rows = session.execute(select(column, func.count(Entry.id)).where(*in_workspace).group_by(column))
        return {key: n for key, n in rows}

    by_year = {int(year): n for year, n in grouped(extract("year", Entry.happened_on)).items()}
    by_visibility = grouped(case((waiting, "private"), else_=Entry.visibility))
    return EntryCounts(sum(by_visibility.values()), by_visibility, grouped(Entry.category), by_year)
