"""A quick entry (`/fail <words>`, or *Record it* under a typo), stored before its ack."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from slack_bolt import Ack
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.messages import build_not_saved_message
from bot.domain.entries import record_quick_entry
from bot.listeners.changes import named
from bot.listeners.language import PersonTranslator
from bot.tasks import follow_ups

if TYPE_CHECKING:
    from bot.tasks import Tasks
    from storage.types import Workspace

log = logging.getLogger(__name__)


def store_quick_entry_then_ack(
    ack: Ack,
    text: str,
    key: str,
    response_url: str | None,
    replace_original: bool = False,
    *,
    session_factory: sessionmaker[Session],
    tasks: Tasks,
    workspace: Workspace | None,
    user_id: str,
    now: datetime,
    t: PersonTranslator,
) -> None:
    """Stored, with its Nice job promised in the same transaction, before the ack, so that Slack's 200
    means the words are kept and will be answered. With the database down, the ack gives the words back."""
    ws = named(workspace)

    def welcome(session: Session, entry_id: int) -> None:
        arguments = dict(response_url=response_url, now=now, quick=True, replace_original=replace_original)
        follow_ups.nice_job(session, ws, user_id=user_id, entry_id=entry_id, **arguments)
        tasks.promise_meaning(session, ws, entry_id)

    try:
        # Dated in UTC for now: the person's time zone is a Slack call, made by the task.
        record_quick_entry(session_factory, ws, user_id, text, key, now, now.date(), then=welcome)
    except SQLAlchemyError as error:
        log.error("Quick entry not saved: database error %s", type(error).__name__)
        ack(**build_not_saved_message(t, text))  # English if the database is what failed
        return
    ack()
