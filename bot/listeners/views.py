"""Modal submissions: record or edit an entry, confirm a delete, change visibility, track action
items, save settings."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.blocks.action_items import build_item_done_message, parse_action_items_submission
from bot.blocks.entry_dialogs import build_visibility_modal, parse_visibility_submission
from bot.blocks.entry_modal import ModalContext, build_record_modal, keeps_own_words, parse_record_submission
from bot.blocks.messages import (
    ADMINS_ONLY,
    NOT_SAVED_IN_FORM,
    build_notice_modal,
    build_text_message,
)
from bot.blocks.settings_modal import parse_settings_submission
from bot.domain.action_items import update_action_items
from bot.domain.entries import (
    NotYourEntry,
    change_visibility,
    delete_own_entry,
    get_own_entry,
    latest_allowed_day,
    request_key,
    save_entry,
)
from bot.domain.wording import entry_points_at_person
from bot.domain.workspace_settings import save_workspace_settings
from bot.listeners.flows import change, refuse, translator_for, workspace_of
from bot.slack.errors import reported
from bot.slack.ids import Block, View
from bot.tasks import follow_ups
from storage.models import Entry

log = logging.getLogger(__name__)


def _entry_id(view: dict) -> int:
    """The entry a small dialog is about; 0 (no entry) when the metadata is not ours."""
    return ModalContext.load(view.get("private_metadata")).entry_id or 0


def handle_record_submission(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """Stored before the ack: the modal closes only once the entry exists. With the database down it
    stays open, the words still in it, and says so."""
    t = translator_for(context)
    now = context["clock"]()
    user_id = body["user"]["id"]
    ws = workspace_of(context)
    sf = context["session_factory"]
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
        tasks = context["tasks"]
        if entry.meaning_model is None and (created or meta.entry_id is not None):  # new words: a new meaning
            tasks.promise_meaning(session, ws, entry.id)
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
        save_entry(sf, ws, user_id, fields, now, entry_id=meta.entry_id, request_key=key, then=follow_up)
    except NotYourEntry:
        refuse(ack, context, user_id, meta.response_url)
        return
    except SQLAlchemyError as error:
        log.error("Entry not saved: database error %s", type(error).__name__)
        ack(response_action="errors", errors={Block.WHAT: t(NOT_SAVED_IN_FORM)})
        return
    ack()


def handle_delete_submission(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    user_id = body["user"]["id"]
    try:
        with change(context) as made:
            delete_own_entry(made.sf, workspace_of(context), user_id, _entry_id(view))
            made.promise(follow_ups.refresh_home, user_id=user_id)
    except NotYourEntry:
        log.info("Delete refused: entry not owned by the requester")
        refuse(ack, context, user_id)
        return
    ack()


def handle_visibility_submission(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    visibility = parse_visibility_submission((view.get("state") or {}).get("values"))
    if visibility is None:
        ack(response_action="errors", errors={Block.VISIBILITY: translator_for(context)("Please choose one.")})
        return
    user_id = body["user"]["id"]
    sf, ws = context["session_factory"], workspace_of(context)
    try:
        if visibility != "private" and not keeps_own_words((view.get("state") or {}).get("values")):
            entry = get_own_entry(sf, ws, user_id, _entry_id(view))
            if entry_points_at_person(entry):
                again = build_visibility_modal(translator_for(context), entry, blame_warning=True, chosen=visibility)
                ack(response_action="update", view=again)
                return
        with change(context) as made:
            change_visibility(made.sf, ws, user_id, _entry_id(view), visibility, context["clock"]())
            made.promise(follow_ups.refresh_home, user_id=user_id)
    except NotYourEntry:
        refuse(ack, context, user_id)
        return
    ack()


def handle_action_items_submission(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """Owners, due dates and statuses, saved before the ack; a Nice job for each one now done."""
    t = translator_for(context)
    user_id = body["user"]["id"]
    sf, ws, now = context["session_factory"], workspace_of(context), context["clock"]()
    try:
        entry = get_own_entry(sf, ws, user_id, _entry_id(view))
        values = (view.get("state") or {}).get("values")
        changes, errors = parse_action_items_submission(t, values, entry.action_items, entry.visibility == "named")
        if errors:
            ack(response_action="errors", errors=errors)
            return
        with change(context) as made:
            for item in update_action_items(made.sf, ws, user_id, entry.id, changes, now):
                made.promise(
                    follow_ups.answer, user_id=user_id, response_url=None, message=build_item_done_message(t, item)
                )
            made.promise(follow_ups.refresh_home, user_id=user_id)
    except NotYourEntry:
        refuse(ack, context, user_id)
        return
    ack()


def handle_settings_submission(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    t = translator_for(context)
    values, errors = parse_settings_submission(t, (view.get("state") or {}).get("values"))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    user_id = body["user"]["id"]
    # Checked again: only an admin's submission may change the workspace. Slack's answer from when
    # the modal opened is still kept, so nothing slow comes before the ack.
    if not context["people"].is_admin(client, user_id):
        ack(response_action="update", view=build_notice_modal(t, t(ADMINS_ONLY)))
        return
    with change(context) as made:
        save_workspace_settings(made.sf, workspace_of(context), user_id, values, context["clock"]())
        made.promise(
            follow_ups.answer, user_id=user_id, response_url=None, message=build_text_message(t("Settings saved."))
        )
    ack()  # after the write: the modal closes on saved settings


def register(app: App) -> None:
    app.view(View.RECORD)(reported(handle_record_submission))
    app.view(View.DELETE)(reported(handle_delete_submission))
    app.view(View.VISIBILITY)(reported(handle_visibility_submission))
    app.view(View.SETTINGS)(reported(handle_settings_submission))
    app.view(View.ACTION_ITEMS)(reported(handle_action_items_submission))
