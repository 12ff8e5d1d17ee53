"""Query and command functions. Each takes the caller's session, is scoped by workspace, and never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, case, delete, extract, func, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from storage.models import (
    Acknowledgement,
    ActionItem,
    Base,
    Delivery,
    Digest,
    Entry,
    PendingImport,
    Person,
    ProcessedEvent,
    SchedulerLease,
    Uninstall,
    WorkspaceSettings,
)


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
    rows = session.execute(select(year, func.count(Entry.id)).where(*_owner_is(ws, user_id)).group_by(year))
    return {int(y): n for y, n in rows}


def entry_words_by_year(session: Session, ws: Workspace, user_id: str) -> set[tuple[str, int]]:
    """What each of the person's entries says, with its year: how an import knows what is there already."""
    rows = session.execute(select(Entry.what_happened, Entry.happened_on).where(*_owner_is(ws, user_id)))
    return {(what, day.year) for what, day in rows}


def count_entries(session: Session, ws: Workspace, user_id: str) -> tuple[int, int]:
    """(entries, entries with a lesson) for one person."""
    row = session.execute(select(func.count(Entry.id), func.count(Entry.lesson)).where(*_owner_is(ws, user_id))).one()
    return row[0], row[1]


def is_first_entry(session: Session, ws: Workspace, user_id: str, entry_id: int) -> bool:
    """Whether none of the person's entries still kept was recorded before this one."""
    earlier = select(Entry.id).where(*_owner_is(ws, user_id), Entry.id < entry_id).limit(1)
    return session.scalar(earlier) is None


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


# -- team digests ---------------------------------------------------------------------------


def list_undigested_shared(session: Session, ws: Workspace) -> list[Entry]:
    """Shared entries no digest has carried yet, oldest share first. Private entries never."""
    return list(
        session.scalars(
            select(Entry)
            .where(
                Entry.enterprise_id == ws.enterprise_id,
                Entry.team_id == ws.team_id,
                Entry.visibility.in_(("anonymous", "named")),
                Entry.digest_id.is_(None),
            )
            .order_by(Entry.shared_at, Entry.id)
        )
    )


class AlreadyInADigest(Exception):
    """Another process put some of these entries in its digest first."""


def claim_for_digest(session: Session, ws: Workspace, entry_ids: list[int], channel: str, now: datetime) -> Digest:
    """Mark entries as carried by a new digest, all or none (the caller's unit of work rolls back)."""
    digest = Digest(enterprise_id=ws.enterprise_id, team_id=ws.team_id, channel=channel, posted_at=now)
    session.add(digest)
    session.flush()
    claimed = session.execute(
        update(Entry)
        .where(
            Entry.enterprise_id == ws.enterprise_id,
            Entry.team_id == ws.team_id,
            Entry.id.in_(entry_ids),
            Entry.digest_id.is_(None),
            Entry.visibility != "private",
        )
        .values(digest_id=digest.id)
    ).rowcount
    if claimed != len(entry_ids):
        raise AlreadyInADigest
    return digest


def release_digest(session: Session, ws: Workspace, digest_id: int) -> None:
    """A digest that could not be posted gives its entries back for the next one."""
    in_workspace = (Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    session.execute(update(Entry).where(*in_workspace, Entry.digest_id == digest_id).values(digest_id=None))
    session.execute(
        delete(Digest).where(
            Digest.enterprise_id == ws.enterprise_id, Digest.team_id == ws.team_id, Digest.id == digest_id
        )
    )


def release_unposted_digests(session: Session, ws: Workspace, claimed_before: datetime) -> None:
    """Digests claimed long ago but never posted (their process died) give their entries back."""
    stale = session.scalars(
        select(Digest.id).where(
            Digest.enterprise_id == ws.enterprise_id,
            Digest.team_id == ws.team_id,
            Digest.message_ts.is_(None),
            Digest.posted_at < claimed_before,
        )
    ).all()
    for digest_id in stale:
        release_digest(session, ws, digest_id)


# -- the delivery ledger and the scheduler lease ---------------------------------------------


def claim_delivery(
    session: Session,
    ws: Workspace,
    recipient: str,
    kind: str,
    period: str,
    now: datetime,
    stale_after: timedelta | None = None,
) -> bool:
    """True once per (workspace, recipient, kind, period): the caller may send. With `stale_after`,
    a claim that was never confirmed and is older than that may be taken over."""
    try:
        with session.begin_nested():
            session.add(
                Delivery(
                    enterprise_id=ws.enterprise_id,
                    team_id=ws.team_id,
                    recipient=recipient,
                    kind=kind,
                    period=period,
                    claimed_at=now,
                )
            )
        return True
    except IntegrityError:
        if stale_after is None:
            return False
    taken = session.execute(
        _delivery(ws, recipient, kind, period, update(Delivery))
        .where(Delivery.sent_at.is_(None), Delivery.claimed_at < now - stale_after)
        .values(claimed_at=now)
    ).rowcount
    return bool(taken)


def list_recipients(session: Session, ws: Workspace, recipients: list[str], kind: str, period: str) -> set[str]:
    """Who of `recipients` already has this period's delivery (claimed or confirmed)."""
    return set(
        session.scalars(
            select(Delivery.recipient).where(
                Delivery.enterprise_id == ws.enterprise_id,
                Delivery.team_id == ws.team_id,
                Delivery.kind == kind,
                Delivery.period == period,
                Delivery.recipient.in_(recipients),
            )
        )
    )


def confirm_delivery(session: Session, ws: Workspace, recipient: str, kind: str, period: str, now: datetime) -> None:
    session.execute(_delivery(ws, recipient, kind, period, update(Delivery)).values(sent_at=now))


def forget_delivery(session: Session, ws: Workspace, recipient: str, kind: str, period: str) -> None:
    """Sending failed: drop the claim so that a later run tries again."""
    session.execute(_delivery(ws, recipient, kind, period, delete(Delivery)))


def _delivery(ws: Workspace, recipient: str, kind: str, period: str, statement):
    return statement.where(
        Delivery.enterprise_id == ws.enterprise_id,
        Delivery.team_id == ws.team_id,
        Delivery.recipient == recipient,
        Delivery.kind == kind,
        Delivery.period == period,
    )


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the named lease; False while another live holder has it."""
    renewed = session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    ).rowcount
    if renewed:
        return True
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


# -- "Nice job" from teammates --------------------------------------------------------------


def get_digested_entry(session: Session, ws: Workspace, entry_id: int) -> Entry | None:
    """A shared entry of this workspace that a digest has carried: the only kind teammates can see."""
    return session.scalar(
        select(Entry).where(
            Entry.id == entry_id,
            Entry.enterprise_id == ws.enterprise_id,
            Entry.team_id == ws.team_id,
            Entry.visibility.in_(("anonymous", "named")),
            Entry.digest_id.is_not(None),
        )
    )


def add_acknowledgement(session: Session, entry_id: int, user_id: str, now: datetime) -> bool:
    """False when this person already said Nice job to this entry."""
    try:
        with session.begin_nested():
            session.add(Acknowledgement(entry_id=entry_id, user_id=user_id, created_at=now))
        return True
    except IntegrityError:
        return False


# -- reflection prompts ---------------------------------------------------------------------


def people_choices(session: Session, ws: Workspace) -> dict[str, Person]:
    """Everyone's prompt choices in one query, for a fan-out over the whole workspace."""
    rows = session.scalars(select(Person).where(Person.enterprise_id == ws.enterprise_id, Person.team_id == ws.team_id))
    return {person.user_id: person for person in rows}


def save_person_choice(session: Session, ws: Workspace, user_id: str, now: datetime, **values: object) -> Person:
    """A person's own choice (prompts, language), their row made on the first one."""
    person = session.get(Person, (ws.enterprise_id, ws.team_id, user_id))
    if person is None:
        person = Person(enterprise_id=ws.enterprise_id, team_id=ws.team_id, user_id=user_id, prompts_stopped=False)
        session.add(person)
    for name, value in values.items():
        setattr(person, name, value)
    person.updated_at = now
    session.flush()
    return person


def _items_in(ws: Workspace):
    return (
        select(ActionItem)
        .join(Entry, ActionItem.entry_id == Entry.id)
        .where(Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    )


def list_open_action_items(
    session: Session, ws: Workspace, user_ids: list[str], limit: int
) -> dict[str, list[ActionItem]]:
    """The open action items each person owns, newest entry first, at most `limit` each, for a batch
    of people at once."""
    rank = func.row_number().over(
        partition_by=ActionItem.owner_id, order_by=(Entry.happened_on.desc(), ActionItem.position)
    )
    ranked = (
        select(ActionItem.id, rank.label("rank"))
        .join(Entry, ActionItem.entry_id == Entry.id)
        .where(
            Entry.enterprise_id == ws.enterprise_id,
            Entry.team_id == ws.team_id,
            ActionItem.owner_id.in_(user_ids),
            ActionItem.status == "open",
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
    query = _items_in(ws).where(ActionItem.owner_id == user_id, ActionItem.status == "open")
    return list(session.scalars(query.order_by(Entry.created_at, Entry.id, ActionItem.position).limit(limit)))


def get_action_item(session: Session, ws: Workspace, user_id: str, item_id: int) -> ActionItem | None:
    """An action item the person owns or whose entry they wrote."""
    mine = or_(ActionItem.owner_id == user_id, Entry.user_id == user_id)
    return session.scalar(_items_in(ws).where(ActionItem.id == item_id, mine))


def set_action_item_status(item: ActionItem, status: str, now: datetime) -> None:
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
    query = _items_in(ws).where(
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


def count_shared_items_done(
    session: Session, ws: Workspace, since: datetime | None, until: datetime
) -> tuple[int, int]:
    """The action items of entries carried by earlier digests: how many were done between `since`
    and `until`, and how many are still open."""
    posted = select(Digest.id).where(*_posted_digests(ws))
    carried = _items_in(ws).where(Entry.digest_id.in_(posted)).subquery()
    done = select(func.count()).select_from(carried).where(carried.c.status == "done", carried.c.done_at <= until)
    if since is not None:
        done = done.where(carried.c.done_at > since)
    still_open = select(func.count()).select_from(carried).where(carried.c.status == "open")
    return session.scalar(done) or 0, session.scalar(still_open) or 0


def _posted_digests(ws: Workspace) -> tuple:
    """The workspace's digests that Slack accepted (a claimed one has no message yet)."""
    return Digest.enterprise_id == ws.enterprise_id, Digest.team_id == ws.team_id, Digest.message_ts.is_not(None)


def last_digest_posted_at(session: Session, ws: Workspace) -> datetime | None:
    return session.scalar(select(func.max(Digest.posted_at)).where(*_posted_digests(ws)))


def list_recent_digest_safeguards(session: Session, ws: Workspace, digests: int) -> list[list[list[str]]]:
    """The safeguards named by each entry of the last `digests` digests, oldest digest first."""
    recent = list(
        session.scalars(
            select(Digest.id)
            .where(*_posted_digests(ws))
            .order_by(Digest.posted_at.desc(), Digest.id.desc())
            .limit(digests)
        )
    )
    rows = session.execute(
        select(Entry.digest_id, Entry.safeguards).where(
            Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id, Entry.digest_id.in_(recent)
        )
    )
    named: dict[int, list[list[str]]] = {digest_id: [] for digest_id in recent}
    for digest_id, safeguards in rows:
        named[digest_id].append(list(safeguards or []))
    return [named[digest_id] for digest_id in reversed(recent)]


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


def remember_slack_locale(session: Session, ws: Workspace, user_id: str, locale: str, now: datetime) -> None:
    """Slack's locale for the person, kept for requests that answer before asking Slack."""
    _remember_about(session, ws, user_id, now, slack_locale=locale)


def remember_home_opened(session: Session, ws: Workspace, user_id: str, now: datetime) -> None:
    """When the person last opened the App Home: a record made elsewhere refreshes it only soon after."""
    _remember_about(session, ws, user_id, now, home_opened_at=now)


def _remember_about(session: Session, ws: Workspace, user_id: str, now: datetime, **values: object) -> None:
    """What we notice about a person, kept only while we keep something of theirs (a row, or an
    entry): it never brings back a person who deleted all their data. Not a choice of theirs, so
    their row's updated_at stays."""
    mine = (Person.enterprise_id == ws.enterprise_id, Person.team_id == ws.team_id, Person.user_id == user_id)
    kept = session.execute(
        update(Person).where(*mine).values(**values, updated_at=Person.updated_at),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not kept and session.scalar(select(Entry.id).where(*_owner_is(ws, user_id)).limit(1)) is not None:
        person = Person(enterprise_id=ws.enterprise_id, team_id=ws.team_id, user_id=user_id, prompts_stopped=False)
        for name, value in values.items():
            setattr(person, name, value)
        person.updated_at = now
        session.add(person)
        session.flush()


def get_person(session: Session, ws: Workspace, user_id: str) -> Person | None:
    return session.get(Person, (ws.enterprise_id, ws.team_id, user_id))


def count_acknowledgements_of(session: Session, entry_ids: list[int]) -> dict[int, int]:
    counts = {}
    for start in range(0, len(entry_ids), 1000):  # a workspace's thousands of ids, within every database's limits
        rows = session.execute(
            select(Acknowledgement.entry_id, func.count(Acknowledgement.id))
            .where(Acknowledgement.entry_id.in_(entry_ids[start : start + 1000]))
            .group_by(Acknowledgement.entry_id)
        )
        counts.update({entry_id: n for entry_id, n in rows})
    return counts


# -- installs, uninstalls and Slack's retries -----------------------------------------------


def mark_uninstalled(session: Session, ws: Workspace, now: datetime, grace: timedelta) -> Uninstall:
    """Remember that a workspace removed the app; its data goes once the grace period ends.

    An empty team_id stands for every workspace of an org-wide install."""
    mark = session.get(Uninstall, (ws.enterprise_id, ws.team_id))
    if mark is None:
        mark = Uninstall(enterprise_id=ws.enterprise_id, team_id=ws.team_id, uninstalled_at=now)
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


def remember_event(session: Session, event_id: str, now: datetime) -> bool:
    """True the first time an Events API event id is seen, False for Slack's retries of it."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
        return True
    except IntegrityError:
        return False


def enterprises_of_team(session: Session, team_id: str) -> list[str]:
    """The enterprise ('' outside Enterprise Grid) each workspace with this team id belongs to."""
    enterprises = set()
    for model in (WorkspaceSettings, Entry, Person, Delivery, Digest):
        enterprises.update(session.scalars(select(model.enterprise_id).where(model.team_id == team_id).distinct()))
    return sorted(enterprises)


def forget_events_before(session: Session, cutoff: datetime) -> int:
    return session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)).rowcount


def forget_expired_oauth_states(session: Session, now: datetime) -> int:
    """Each visit to the install page leaves a state row; the ones nobody came back with go."""
    states = Base.metadata.tables["slack_oauth_states"]
    # slack_sdk writes naive UTC times.
    return session.execute(delete(states).where(states.c.expire_at < now.astimezone(UTC).replace(tzinfo=None))).rowcount


# -- data rights: a person's export, the admins' view of what was shared --------------------


def list_deliveries(session: Session, ws: Workspace, recipient: str) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.enterprise_id == ws.enterprise_id, Delivery.team_id == ws.team_id)
            .where(Delivery.recipient == recipient)
            .order_by(Delivery.claimed_at, Delivery.id)
        )
    )


def count_acknowledgements_given(session: Session, ws: Workspace, user_id: str) -> int:
    """How many Nice jobs a person gave to entries of this workspace."""
    in_workspace = select(Entry.id).where(Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    given = select(func.count(Acknowledgement.id)).where(
        Acknowledgement.user_id == user_id, Acknowledgement.entry_id.in_(in_workspace)
    )
    return session.scalar(given) or 0


def _seen_by_the_team():
    """Named entries, and anonymous ones once a digest carried them (until then they wait for enough
    people to share anonymously). Private entries never."""
    return or_(Entry.visibility == "named", (Entry.visibility == "anonymous") & Entry.digest_id.is_not(None))


@dataclass(frozen=True)
class IndexedEntry:
    """What the similarity index holds of an entry."""

    id: int
    user_id: str
    seen_by_the_team: bool
    what_happened: str
    lesson: str | None
    updated_at: datetime
    meaning: bytes | None  # made by the model asked for, else None


def list_indexed_entries(
    session: Session, ws: Workspace, entry_ids: list[int] | None = None, meaning_model: str | None = None
) -> list[IndexedEntry]:
    """Every entry of the workspace (or the given ones) as the similarity index needs it, with the
    meanings made by `meaning_model` (none without it)."""
    meaning = case((Entry.meaning_model == meaning_model, Entry.meaning)) if meaning_model else null()
    query = select(
        Entry.id, Entry.user_id, _seen_by_the_team(), Entry.what_happened, Entry.lesson, Entry.updated_at, meaning
    ).where(Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    if entry_ids is not None:
        query = query.where(Entry.id.in_(entry_ids))
    return [IndexedEntry(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class EntryWords:
    """What the sentence encoder reads of an entry, and where to store what it made of them."""

    id: int
    workspace: Workspace
    what_happened: str
    lesson: str | None


def get_entry_words(session: Session, ws: Workspace, entry_id: int) -> EntryWords | None:
    row = session.execute(
        select(Entry.what_happened, Entry.lesson).where(
            Entry.id == entry_id, Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id
        )
    ).one_or_none()
    return EntryWords(entry_id, ws, *row) if row else None


def list_entries_without_meaning(session: Session, meaning_model: str, limit: int) -> list[EntryWords]:
    """Entries of any workspace with no meaning made by `meaning_model` (none yet, or another model's):
    stored before meanings existed, imported, or whose follow-up was lost. Read from their index."""
    query = (
        select(Entry.id, Entry.enterprise_id, Entry.team_id, Entry.what_happened, Entry.lesson)
        .where(or_(Entry.meaning_model.is_(None), Entry.meaning_model != meaning_model))
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
        or_(Entry.user_id == viewer, _seen_by_the_team()),
    )
    # What is shown of them needs no action items: not loaded.
    return list(session.scalars(query.options(lazyload(Entry.action_items))))


def list_exportable_shared_entries(session: Session, ws: Workspace) -> list[Entry]:
    """The shared entries an admin may export (those seen by the team), by date then id: an order
    that says nothing about authors."""
    return list(
        session.scalars(
            select(Entry)
            .where(Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
            .where(_seen_by_the_team())
            .order_by(Entry.happened_on, Entry.id)
        )
    )


@dataclass(frozen=True)
class EntryCounts:
    total: int
    by_visibility: dict[str, int]
    by_category: dict[str, int]
    by_year: dict[int, int]


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


# -- Markdown imports ----------------------------------------------------------------------


def add_pending_import(session: Session, ws: Workspace, user_id: str, text: str, now: datetime) -> PendingImport:
    pending = PendingImport(
        enterprise_id=ws.enterprise_id, team_id=ws.team_id, user_id=user_id, text=text, status="pending"
    )
    pending.created_at = now
    session.add(pending)
    session.flush()
    return pending


def get_pending_import(session: Session, ws: Workspace, user_id: str, import_id: int) -> PendingImport | None:
    pending = session.get(PendingImport, import_id)
    if pending is None or (pending.enterprise_id, pending.team_id, pending.user_id) != (
        ws.enterprise_id,
        ws.team_id,
        user_id,
    ):
        return None
    return pending


def claim_pending_import(session: Session, ws: Workspace, user_id: str, import_id: int, status: str) -> str | None:
    """The text of the person's own import awaiting their yes, now marked `status` and emptied; None
    once it was claimed (a double click) or is not theirs. One conditional UPDATE: two clicks at once
    cannot both win."""
    pending = get_pending_import(session, ws, user_id, import_id)
    if pending is None:
        return None
    text = pending.text
    claimed = session.execute(
        update(PendingImport)
        .where(PendingImport.id == import_id, PendingImport.status == "pending")
        .values(status=status, text=""),
        execution_options={"synchronize_session": False},
    ).rowcount
    return text if claimed == 1 else None


def set_pending_import_year(session: Session, ws: Workspace, user_id: str, import_id: int, year: int) -> bool:
    """The year picked for the entries without one, on the person's own import still awaiting their
    yes; False once it was imported or cancelled, or is not theirs."""
    return (
        session.execute(
            update(PendingImport)
            .where(
                PendingImport.id == import_id,
                PendingImport.enterprise_id == ws.enterprise_id,
                PendingImport.team_id == ws.team_id,
                PendingImport.user_id == user_id,
                PendingImport.status == "pending",
            )
            .values(year=year),
            execution_options={"synchronize_session": False},
        ).rowcount
        == 1
    )


def forget_pending_imports_before(session: Session, cutoff: datetime) -> int:
    return session.execute(delete(PendingImport).where(PendingImport.created_at < cutoff)).rowcount or 0


# -- the yearly review ----------------------------------------------------------------------


def count_items_done(
    session: Session, ws: Workspace, start: datetime, end: datetime, owner_id: str | None = None
) -> int:
    """Action items done in [start, end): the workspace's, or with `owner_id` the ones that person holds."""
    done = _items_in(ws).where(ActionItem.status == "done", ActionItem.done_at >= start, ActionItem.done_at < end)
    if owner_id is not None:
        done = done.where(ActionItem.owner_id == owner_id)
    return session.scalar(select(func.count()).select_from(done.subquery())) or 0


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
