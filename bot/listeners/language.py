"""The person's translator, as listeners ask for it (`t`): their language is read on first use only, so a
request that shows no words never reads it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from babel import Locale
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.languages import language_for
from bot.i18n import DEFAULT_LANGUAGE, Translator, translator
from bot.slack.people import People

if TYPE_CHECKING:
    from storage.types import Workspace


class PersonTranslator:
    """Translates as `Translator` does, in the language of the person behind the request."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        people: People,
        workspace: Workspace | None,
        user_id: str | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._session_factory, self._people, self._clock = session_factory, people, clock
        self._workspace, self._user_id = workspace, user_id
        self._translator: Translator | None = None

    def translator(self) -> Translator:
        """From the database alone (their choice, or Slack's locale for them as a worker last heard it):
        a request that must answer now never waits for Slack. Once per request."""
        if self._translator is None:
            ws, user_id = self._workspace, self._user_id
            language = language_for(self._session_factory, ws, user_id) if ws and user_id else DEFAULT_LANGUAGE
            self._translator = translator(language)
        return self._translator

    def learn(self, client: WebClient) -> None:
        """Once the loading view is up, the trigger is spent and Slack may be asked: the person's locale
        (users.info, kept a few minutes), for the real view, and kept for their next requests."""
        ws, user_id = self._workspace, self._user_id
        if ws is not None and user_id:
            locale = self._people.locale(client, user_id)
            self._translator = translator(language_for(self._session_factory, ws, user_id, locale, self._clock()))

    def __call__(self, message: str, **params: object) -> str:
        return self.translator()(message, **params)

    def plural(self, singular: str, plural: str, n: int, **params: object) -> str:
        return self.translator().plural(singular, plural, n, **params)

    def date(self, day: date, format: str = "medium") -> str:
        return self.translator().date(day, format)

    def number(self, value: int) -> str:
        return self.translator().number(value)

    @property
    def locale(self) -> Locale:
        return self.translator().locale
