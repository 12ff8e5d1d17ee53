"""Modal submissions: record or edit an entry, confirm a delete, change visibility, track action
items, save settings."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.blocks.action_items import build_item_done_message, parse_action_items_submission
from bot.blocks.entry_dialogs import build_visibility_modal, parse_visibility_submission
from bot.blocks.entry_modal import ModalContext, build_record_modal, keeps_own_words, parse_record_submission
from bot.blocks.messages import (
    NOT_SAVED_IN_FORM,
    build_text_message,
)
from bot.blocks.settings_modal import parse_settings_submission
from bot.blocks.trackers import wants_disconnect
from bot.domain import trackers
from bot.domain.action_items import update_action_items
from bot.domain.entries import (
    change_visibility,
    delete_own_entry,
    get_own_entry,
    latest_allowed_day,
    request_key,
    save_entry,
)
from bot.domain.wording import entry_points_at_person
from bot.domain.workspace_settings import save_workspace_settings
from bot.listeners.changes import change
from bot.listeners.modals import refused_unless_admin
from bot.listeners.registry import Listeners
from bot.slack.ids import Block, View
from bot.tasks import follow_ups
from storage.models import Entry

log = logging.getLogger(__name__)
listen = Listeners()


def _entry_id(view: dict) -> int:
    """The entry a small dialog is about; 0 (no entry) when the metadata is not ours."""
    return ModalContext.load(view.get("private_metadata")).entry_id or 0


@listen.view(View.RECORD)
def handle_record_submission(ack, view, user_id, workspace, session_factory, tasks, now, t) -> None:
    """Stored before the ack: the modal closes only once the entry exists. With the database down it
    stays open, the words still in it, and says so."""
    ws = workspace
    meta = ModalContext.load(view.get("private_metadata"))
    fields, errors = parse_record_submission(
        t, (view.get("state") or {}).get("values"), latest_allowed_day(now), meta.source_link
    )
    if errors:
        ack(response_action="errors", errors=errors)
        return
    values = (view.get("state") or {}).get("values")
    if fields.visibility != "private" and not keeps_own_words(values) and entry_points_at_person(fields):
        again = build_record_modal(
            t,
            today=fields.happened_on,
            default_visibility=fields.visibility,
            context=meta,
            fields=fields,
            blame_warning=True,
        )
        ack(response_action="update", view=again)
        return
    # The link back to a message is a Slack call: made by the task, and the entry is kept without it.
    source = (meta.source_channel, meta.source_ts) if meta.source_channel and meta.source_ts else None

    def follow_up(session: Session, entry: Entry, created: bool) -> None:
        if entry.meaning_model is None and (created or meta.entry_id is not None):  # new words: a new meaning
            tasks.promise_meaning(session, ws, entry.id)
        if not created and entry.digest_id is not None:  # the canvas shows its new words, or its new visibility
            follow_ups.refresh_canvas(session, ws)
        if created:
            welcome = dict(response_url=meta.response_url, now=now, quick=False, source=source)
            follow_ups.nice_job(session, ws, user_id=user_id, entry_id=entry.id, **welcome)
        elif meta.entry_id is not None and meta.response_url:
            saved = build_text_message(t("Saved. Thank you for adding the lesson."))
            answer = dict(response_url=meta.response_url, message=saved, home=True)
            follow_ups.answer(session, ws, user_id=user_id, **answer)
        elif meta.entry_id is not None:
            follow_ups.refresh_home(session, ws, user_id=user_id)
        # else a replay of a submission already stored: its first copy's follow-ups answer it

    try:
        key = request_key("view", view.get("id"))
        sf = session_factory
        save_entry(sf, ws, user_id, fields, now, entry_id=meta.entry_id, request_key=key, then=follow_up)
    except SQLAlchemyError as error:
        log.error("Entry not saved: database error %s", type(error).__name__)
        ack(response_action="errors", errors={Block.WHAT: t(NOT_SAVED_IN_FORM)})
        return
    ack()


@listen.view(View.DELETE)
def handle_delete_submission(ack, view, context, user_id, workspace) -> None:
    with change(context) as made:
        if delete_own_entry(made.sf, workspace, user_id, _entry_id(view)):
            made.promise(follow_ups.refresh_canvas)  # its lesson leaves the canvas now, not with the next digest
        made.promise(follow_ups.refresh_home, user_id=user_id)
    ack()


@listen.view(View.VISIBILITY)
def handle_visibility_submission(ack, view, context, user_id, workspace, session_factory, now, t) -> None:
    visibility = parse_visibility_submission((view.get("state") or {}).get("values"))
    if visibility is None:
        ack(response_action="errors", errors={Block.VISIBILITY: t("Please choose one.")})
        return
    if visibility != "private" and not keeps_own_words((view.get("state") or {}).get("values")):
        entry = get_own_entry(session_factory, workspace, user_id, _entry_id(view))
        if entry_points_at_person(entry):
            again = build_visibility_modal(t, entry, blame_warning=True, chosen=visibility)
            ack(response_action="update", view=again)
            return
    with change(context) as made:
        entry = change_visibility(made.sf, workspace, user_id, _entry_id(view), visibility, now)
        if entry.digest_id is not None:  # the canvas shows it as it is shared now, or not at all
            made.promise(follow_ups.refresh_canvas)
        made.promise(follow_ups.refresh_home, user_id=user_id)
    ack()


@listen.view(View.ACTION_ITEMS)
def handle_action_items_submission(ack, view, context, user_id, workspace, session_factory, now, t) -> None:
    """Owners, due dates and statuses, saved before the ack; a Nice job for each one now done."""
    entry = get_own_entry(session_factory, workspace, user_id, _entry_id(view))
    values = (view.get("state") or {}).get("values")
    changes, errors = parse_action_items_submission(t, values, entry.action_items, entry.visibility == "named")
    if errors:
        ack(response_action="errors", errors=errors)
        return
    with change(context) as made:
        for item in update_action_items(made.sf, workspace, user_id, entry.id, changes, now):
            made.promise(
                follow_ups.answer, user_id=user_id, response_url=None, message=build_item_done_message(t, item)
            )
        made.promise(follow_ups.refresh_home, user_id=user_id)
    ack()


@listen.view(View.SETTINGS)
def handle_settings_submission(ack, view, client, context, user_id, workspace, people, now, t) -> None:
    values, errors = parse_settings_submission(t, (view.get("state") or {}).get("values"))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    if refused_unless_admin(ack, people, client, user_id, t):
        return
    with change(context) as made:
        save_workspace_settings(made.sf, workspace, user_id, values, now)
        if wants_disconnect((view.get("state") or {}).get("values")):
            trackers.disconnect(made.sf, workspace)
        made.promise(
            follow_ups.answer, user_id=user_id, response_url=None, message=build_text_message(t("Settings saved."))
        )
    ack()  # after the write: the modal closes on saved settings
