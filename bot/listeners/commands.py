"""The `/fail` slash command."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from slack_bolt import BoltContext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.blocks.fail_command import FailCommand, parse_fail_command
from bot.blocks.messages import (
    build_help_message,
    build_too_long_message,
    build_typo_message,
)
from bot.blocks.review import build_review_year_message
from bot.domain.entries import latest_allowed_day, request_key, years_with_entries
from bot.listeners.changes import promise
from bot.listeners.language import PersonTranslator
from bot.listeners.quick_entry import store_quick_entry_then_ack
from bot.listeners.registry import Listeners
from bot.slack.ids import Command
from bot.tasks import follow_ups

if TYPE_CHECKING:
    from storage.types import Workspace

log = logging.getLogger(__name__)
listen = Listeners()


@listen.command(Command.FAIL)
def handle_fail_command(ack, command, context, user_id, workspace, session_factory, tasks, now, t, modals) -> None:
    """What needs Slack or more than a short write is promised (before the ack, so that the 200
    means it will happen); only the modals open here, while their trigger lasts."""
    response_url = command.get("response_url")
    parsed = parse_fail_command(command.get("text", ""))
    if parsed.action == "record" and len(parsed.text) <= TEXT_MAX:
        key = request_key("command", command["trigger_id"])
        request = dict(session_factory=session_factory, tasks=tasks, workspace=workspace, user_id=user_id, now=now, t=t)
        store_quick_entry_then_ack(ack, parsed.text, key, response_url, **request)
        return
    if parsed.action == "form":
        ack()
        modals.open_record(command["trigger_id"], ModalContext(response_url=response_url), now)
        return
    if parsed.action == "settings":
        ack()
        modals.open_settings(command["trigger_id"], user_id)
        return
    if parsed.action == "import":
        ack()
        modals.open_import(command["trigger_id"])
        return
    if parsed.action == "resume":
        promise(context, follow_ups.resume, user_id=user_id, response_url=response_url, year=parsed.year)
    elif parsed.action == "export":
        promise(context, follow_ups.export, user_id=user_id, response_url=response_url, now=now)
    elif parsed.action == "review":
        _review(context, session_factory, workspace, user_id, response_url, parsed, now, t)
    elif parsed.action == "search":
        promise(context, follow_ups.search, user_id=user_id, response_url=response_url, words=parsed.text)
    elif parsed.action == "admin-export":
        promise(context, follow_ups.shared_export, user_id=user_id, response_url=response_url, now=now)
    else:
        message = _answer(t, parsed)
        try:
            promise(context, follow_ups.answer, user_id=user_id, response_url=response_url, message=message)
        except SQLAlchemyError as error:  # the database down: the answer (over-long words too) in the ack
            log.error("Answer not promised: database error %s", type(error).__name__)
            ack(**message)
            return
    ack()


def _review(
    context: BoltContext,
    session_factory: sessionmaker[Session],
    workspace: Workspace,
    user_id: str,
    response_url: str | None,
    parsed: FailCommand,
    now: datetime,
    t: PersonTranslator,
) -> None:
    """This year's review, or the year asked for when the resume has entries in it; else an answer
    that says what is wrong with the year and which years work (nothing is saved)."""
    if parsed.year is not None or parsed.text:
        years = years_with_entries(session_factory, workspace, user_id)
        if parsed.year not in years:
            this_year = latest_allowed_day(now).year
            message = build_review_year_message(t, parsed.text, parsed.year, years, this_year)
            promise(context, follow_ups.answer, user_id=user_id, response_url=response_url, message=message)
            return
    promise(context, follow_ups.year_review_now, user_id=user_id, response_url=response_url, year=parsed.year, now=now)


def _answer(t, parsed) -> dict:
    if parsed.action == "help":
        return build_help_message(t)
    if parsed.action == "typo":
        return build_typo_message(t, parsed.text, parsed.suggestion)
    return build_too_long_message(t, parsed.text, TEXT_MAX)
