"""The Markdown import: `/fail import` and the Home's Import button open the form; a file shared in
the app's DM is read by a worker; each shows a preview, and only its Import button saves."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.imports import ALREADY_DONE, build_preview_modal, parse_year_choice, refusal_text
from bot.blocks.messages import NOT_SAVED_IN_FORM, build_dm_hint_message, build_text_message
from bot.blocks.state import entry_id_value, pressed, pressed_value, text_value
from bot.domain import imports
from bot.domain.entries import latest_allowed_day
from bot.domain.markdown_import import ImportRefused
from bot.listeners.changes import change, promise
from bot.listeners.redelivery import once_per_event
from bot.listeners.registry import Listeners
from bot.slack.ids import Action, Block, View
from bot.tasks import follow_ups

log = logging.getLogger(__name__)
listen = Listeners()
# Slack puts up to 10 files in one message.
FILES_PER_MESSAGE_MAX = 10
# What a worker needs of a shared file; Slack's file object also quotes its text (`preview`), which
# stays out of the queue.
FILE_FIELDS = ("id", "name", "size", "mimetype", "filetype", "url_private", "url_private_download")


@listen.action(Action.IMPORT)
def handle_import_button(ack, body, modals) -> None:
    ack()
    modals.open_import(body["trigger_id"])


@listen.view(View.IMPORT)
def handle_import_submission(ack, view, user_id, workspace, session_factory, now, t) -> None:
    """The pasted resume is parsed here (it is at most a few thousand characters) and kept, then its
    preview replaces the form: the words are stored before Slack hears back."""
    text = text_value((view.get("state") or {}).get("values"), Block.IMPORT_TEXT, Action.IMPORT_TEXT)
    try:
        prepared = imports.prepare_import(session_factory, workspace, user_id, text, latest_allowed_day(now), now)
    except ImportRefused as refused:
        ack(response_action="errors", errors={Block.IMPORT_TEXT: refusal_text(t, refused.reason, refused.count)})
        return
    except SQLAlchemyError as error:  # the form stays open, the pasted resume in it
        log.error("Import not kept: database error %s", type(error).__name__)
        ack(response_action="errors", errors={Block.IMPORT_TEXT: t(NOT_SAVED_IN_FORM)})
        return
    ack(response_action="update", view=build_preview_modal(t, prepared.plan, prepared.import_id))


@listen.view(View.IMPORT_PREVIEW)
def handle_import_preview_submission(ack, view, context, user_id, now) -> None:
    """*Import* under a pasted resume's preview: saved by a worker, which tells the person in their DM."""
    import_id = entry_id_value(view.get("private_metadata"))
    if import_id is not None:
        promise(context, follow_ups.finish_import, user_id=user_id, import_id=import_id, now=now)
    ack()


@listen.action(Action.IMPORT_CONFIRM)
def handle_import_confirm(ack, body, context, user_id, now) -> None:
    """*Import* under a shared file's preview. Pressed twice, it still imports once (the claim)."""
    import_id = entry_id_value(pressed_value(body))
    if import_id is not None:
        arguments = dict(import_id=import_id, response_url=body.get("response_url"), now=now)
        promise(context, follow_ups.finish_import, user_id=user_id, **arguments)
    ack()


@listen.action(Action.IMPORT_YEAR)
def handle_import_year(ack, body, context, user_id, workspace, now) -> None:
    """A year picked in a preview for the entries the file gives none: kept before the ack, then the
    preview comes again with Import (in the modal, or in place of the DM's message)."""
    choice = parse_year_choice((pressed(body).get("selected_option") or {}).get("value"))
    if choice is not None:
        import_id, year = choice
        today = latest_allowed_day(now)
        with change(context) as made:
            if imports.pick_import_year(made.sf, workspace, user_id, import_id, year, today):
                where = dict(response_url=body.get("response_url"), view_id=(body.get("view") or {}).get("id"))
                made.promise(follow_ups.show_import_preview, user_id=user_id, import_id=import_id, now=now, **where)
    ack()


@listen.action(Action.IMPORT_CANCEL)
def handle_import_cancel(ack, body, context, user_id, workspace, session_factory, t) -> None:
    import_id = entry_id_value(pressed_value(body))
    cancelled = import_id is not None and imports.cancel_import(session_factory, workspace, user_id, import_id)
    message = build_text_message(t("Cancelled: nothing was imported.") if cancelled else t(ALREADY_DONE))
    where = dict(response_url=body.get("response_url"), replace_original=True)
    promise(context, follow_ups.answer, user_id=user_id, message=message, **where)
    ack()


@listen.event("message")
@once_per_event
def handle_direct_message(event, context, workspace, now, t) -> None:
    """Files shared in the app's DM are read for import, each by a worker; a plain message gets a
    hint of what the DM is for, once a day. The app's own messages and edits are left alone."""
    if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("user"):
        return
    user_id, channel = event["user"], event.get("channel")
    if event.get("subtype") == "file_share":
        files = [f for f in event.get("files") or [] if isinstance(f, dict)]
        for file in files[:FILES_PER_MESSAGE_MAX]:
            file = {key: file[key] for key in FILE_FIELDS if key in file}
            promise(context, follow_ups.read_shared_file, user_id=user_id, channel=channel, file=file, now=now)
    elif event.get("subtype") is None:
        message = build_dm_hint_message(t)
        with change(context) as made:
            if imports.hint_due(made.sf, workspace, user_id, now):
                made.promise(follow_ups.answer, user_id=user_id, response_url=None, message=message)
    else:
        log.info("Ignored a direct message of subtype %s", event.get("subtype"))
