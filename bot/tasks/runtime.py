"""What a task needs to do its work, built once per process: the database, a Web API client for
each workspace, Slack's answers about people, the sentence encoder (a worker's), the similarity
indexes, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.fernet import MultiFernet
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.languages import language_for
from bot.domain.suggestions import Suggestions
from bot.i18n import Translator, translator
from bot.slack.installations import ClientFor, Installations
from bot.slack.people import People
from bot.trackers import Endpoints
from storage.types import Workspace

if TYPE_CHECKING:
    from bot.domain.meaning import Encoder


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    session_factory: sessionmaker[Session]
    client_for: ClientFor
    installations: Installations
    default_retro_channel: str | None = None
    clock: Callable[[], datetime] = _utc_now
    # OAuth mode's hourly check for installs Slack no longer honours.
    notice_lost: Callable[[datetime], list[str]] | None = None
    people: People = field(default_factory=People)
    # A worker's sentence encoder, loaded at its start (None elsewhere, and with SIMILAR_BY_MEANING=false).
    encoder: Encoder | None = None
    # TOKEN_ENCRYPTION_KEYS, which open a connected tracker's token (None when unset), and where the
    # trackers' APIs are.
    token_keys: MultiFernet | None = None
    tracker_endpoints: Endpoints = field(default_factory=Endpoints)
    # This process's similarity indexes, one per workspace lately served.
    suggestions: Suggestions = field(init=False)

    def __post_init__(self) -> None:
        self.suggestions = Suggestions(self.session_factory, self.encoder)

    def translator_for(self, client: WebClient, ws: Workspace, user_id: str) -> Translator:
        """The person's language, with Slack's locale for them (users.info, kept a few minutes)."""
        locale = self.people.locale(client, user_id)
        return translator(language_for(self.session_factory, ws, user_id, locale, self.clock()))
