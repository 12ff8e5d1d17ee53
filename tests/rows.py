"""Reading and seeding database rows in tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from storage.models import ActionItem, Entry, Person, WorkspaceSettings


def entries(bot) -> list[Entry]:
    with bot.session_factory() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)))


def person_row(bot, user: str = "U1", team: str = "T0001") -> Person | None:
    """What the app keeps about the person besides their entries (choices, what it noticed), if anything."""
    with bot.session_factory() as session:
        return session.get(Person, ("", team, user))


def snapshot(bot) -> tuple:
    """Every stored value that a request could change."""
    with bot.session_factory() as session:
        rows = [
            (
                e.id,
                e.enterprise_id,
                e.team_id,
                e.user_id,
                e.what_happened,
                e.lesson,
                e.category,
                e.happened_on,
                tuple(e.safeguards),
                e.visibility,
                e.source_link,
                e.shared_at,
                e.updated_at,
                tuple((i.position, i.text, i.done_at) for i in e.action_items),
            )
            for e in session.scalars(select(Entry).order_by(Entry.id))
        ]
        settings = [
            (s.enterprise_id, s.team_id, s.retro_channel, s.digest_cadence, s.prompt_day, s.default_visibility)
            for s in session.scalars(select(WorkspaceSettings))
        ]
    return rows, settings


def seed(
    bot,
    what: str = "A mistake",
    when: date = date(2023, 1, 2),
    *,
    user="U1",
    team="T0001",
    lesson=None,
    visibility="private",
    items=("First step",),
    safeguards=("tests",),
    category="data",
) -> int:
    """An entry written straight into the database, as if recorded earlier; returns its id.
    `bot`: the BotHarness, or just a session factory."""
    sf = getattr(bot, "session_factory", bot)
    with sf.begin() as session:
        entry = Entry(
            enterprise_id="",
            team_id=team,
            user_id=user,
            what_happened=what,
            lesson=lesson,
            category=category,
            happened_on=when,
            safeguards=list(safeguards),
            visibility=visibility,
            action_items=[ActionItem(position=n, text=text, owner_id=user) for n, text in enumerate(items)],
        )
        session.add(entry)
        session.flush()
        return entry.id
