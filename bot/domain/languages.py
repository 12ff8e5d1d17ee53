"""Which language the bot speaks to whom: a person's own choice in the App Home, else Slack's locale
for them (users.info), else the workspace's language, which an admin sets and the retro channel reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.i18n import DEFAULT_LANGUAGE, supported_language
from storage.db import SessionFactory
from storage.models import Person
from storage.repository import people as person_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace

# A person's Home choice that means "as in my Slack settings".
FOLLOW_SLACK = "slack"


def language_for(
    sf: SessionFactory, ws: Workspace, user_id: str, slack_locale: str | None = None, now: datetime | None = None
) -> str:
    """The person's language. `slack_locale`, when Slack just told us (at `now`), is kept for the
    requests that must answer before asking Slack (an ack, a modal on its trigger). The database
    down: English, rather than no answer."""
    try:
        with sf.begin() as session:
            person = person_store.get_person(session, ws, user_id)
            known = person.slack_locale if person else None
            if slack_locale and now and slack_locale != known:
                person_store.remember_slack_locale(session, ws, user_id, slack_locale[:16], now)
            return person_language(person, workspace_store.get_settings(session, ws).language, slack_locale)
    except IntegrityError:  # the person's first row, made at the same moment by another request
        return language_for(sf, ws, user_id)
    except SQLAlchemyError:
        return DEFAULT_LANGUAGE


def person_language(person: Person | None, workspace_language: str | None, slack_locale: str | None = None) -> str:
    """The rule itself, from what is already read: the person's row, the workspace's language, and
    Slack's locale for them when Slack just told us (users.info, users.list), else the one kept."""
    chosen = supported_language(person.language) if person else None
    from_slack = supported_language(slack_locale or (person.slack_locale if person else None))
    return chosen or from_slack or supported_language(workspace_language) or DEFAULT_LANGUAGE


def workspace_language(sf: SessionFactory, ws: Workspace) -> str:
    with sf() as session:
        return supported_language(workspace_store.get_settings(session, ws).language) or DEFAULT_LANGUAGE


def choose_language(sf: SessionFactory, ws: Workspace, user_id: str, choice: str, now: datetime) -> None:
    """The person's Home choice: a language code, or FOLLOW_SLACK to follow Slack's locale again."""
    with sf.begin() as session:
        person_store.save_person_choice(session, ws, user_id, now, language=supported_language(choice))
