"""A person's own choices (prompts, language) and what the app notices about them. Session first; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Entry, Person
from storage.repository.entries import owner_is
from storage.types import Workspace


def people_choices(session: Session, ws: Workspace) -> dict[str, Person]:
    """Everyone's prompt choices in one query, for a fan-out over the whole workspace."""
    rows = session.scalars(select(Person).where(Person.enterprise_id == ws.enterprise_id, Person.team_id == ws.team_id))
    return {person.user_id: person for person in rows}


def save_person_choice(session: Session, ws: Workspace, user_id: str, now: datetime, **values: object) -> Person:
    """A person's own choice (prompts, language), their row made on the first one."""
    person = session.get(Person, (ws.enterprise_id, ws.team_id, user_id))
    if person is None:
        person = Person(**ws.columns(), user_id=user_id, prompts_stopped=False)
        session.add(person)
    for name, value in values.items():
        setattr(person, name, value)
    person.updated_at = now
    session.flush()
    return person


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
    if not kept and session.scalar(select(Entry.id).where(*owner_is(ws, user_id)).limit(1)) is not None:
        person = Person(**ws.columns(), user_id=user_id, prompts_stopped=False)
        for name, value in values.items():
            setattr(person, name, value)
        person.updated_at = now
        session.add(person)
        session.flush()


def get_person(session: Session, ws: Workspace, user_id: str) -> Person | None:
    return session.get(Person, (ws.enterprise_id, ws.team_id, user_id))
