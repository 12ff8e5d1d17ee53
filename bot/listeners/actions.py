"""Buttons and menus: on acknowledgements, resume pages and the App Home."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.action_items import build_action_items_modal
from bot.blocks.entry_dialogs import build_delete_modal, build_visibility_modal
from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.blocks.messages import (
    build_acknowledgement_message,
    build_blame_warning_message,
    build_undone_message,
)
from bot.blocks.state import entry_id_value, pressed, pressed_entry_id, pressed_value
from bot.domain import languages
from bot.domain.entries import NotYourEntry, change_visibility, delete_own_entry, get_own_entry, request_key
from bot.domain.wording import points_at_person
from bot.listeners.flows import (
    change,
    in_place,
    open_edit_modal,
    open_entry_modal,
    open_record_modal,
    open_settings,
    promise,
    refuse,
    store_quick_entry_then_ack,
    translator_for,
    workspace_of,
)
from bot.slack.errors import reported
from bot.slack.ids import Action, EntryMenuOption
from bot.tasks import follow_ups
from bot.text import clean_text

log = logging.getLogger(__name__)


def handle_add_lesson(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    user_id, response_url = body["user"]["id"], body.get("response_url")
    open_edit_modal(client, context, body["trigger_id"], user_id, pressed_entry_id(body), response_url)


def handle_share_anonymously(ack: Ack, body: dict, context: BoltContext) -> None:
    share_anonymously(ack, body, context, check_wording=True)


def handle_share_as_written(ack: Ack, body: dict, context: BoltContext) -> None:
    share_anonymously(ack, body, context, check_wording=False)


def share_anonymously(ack: Ack, body: dict, context: BoltContext, check_wording: bool) -> None:
    """Shared at once, unless its words point at a person: then the person is asked first."""
    t = translator_for(context)
    user_id = body["user"]["id"]
    sf, ws, entry_id = context["session_factory"], workspace_of(context), pressed_entry_id(body)
    try:
        if check_wording and points_at_person(get_own_entry(sf, ws, user_id, entry_id).what_happened):
            promise(context, follow_ups.answer, **in_place(body, build_blame_warning_message(t, entry_id)))
            ack()
            return
        with change(context) as made:
            entry = change_visibility(made.sf, ws, user_id, entry_id, "anonymous", context["clock"]())
            made.promise(follow_ups.answer, **in_place(body, build_acknowledgement_message(t, entry, quick=True)))
    except NotYourEntry:
        refuse(ack, context, user_id, body.get("response_url"))
        return
    ack()  # after the change: Slack's 200 means it is made


def handle_undo(ack: Ack, body: dict, context: BoltContext) -> None:
    t = translator_for(context)
    user_id = body["user"]["id"]
    try:
        with change(context) as made:
            delete_own_entry(made.sf, workspace_of(context), user_id, pressed_entry_id(body))
            made.promise(follow_ups.answer, **in_place(body, build_undone_message(t)))
    except NotYourEntry:
        refuse(ack, context, user_id, body.get("response_url"))
        return
    ack()


def handle_record_typed(ack: Ack, body: dict, context: BoltContext) -> None:
    """*Record it* under a `/fail` that looked like a typo: the words it showed become a quick entry."""
    text = clean_text(pressed_value(body)).strip()[:TEXT_MAX]
    if not text:
        ack()
        return
    # One entry however often the button is pressed: the key is the message, not the press.
    shown_in = (body.get("container") or {}).get("message_ts") or body.get("trigger_id")
    key = request_key("typed", f"{shown_in}:{text}")
    store_quick_entry_then_ack(ack, context, body["user"]["id"], text, key, body.get("response_url"), True)


def handle_record_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """Record from the Home tab or from the monthly prompt (whose message has a response_url)."""
    ack()
    modal = ModalContext(response_url=body.get("response_url"))
    open_record_modal(client, context, body["trigger_id"], modal, context["clock"]())


def handle_export_button(ack: Ack, body: dict, context: BoltContext) -> None:
    promise(context, follow_ups.export, user_id=body["user"]["id"], response_url=None, now=context["clock"]())
    ack()


def handle_review_button(ack: Ack, body: dict, context: BoltContext) -> None:
    promise(context, follow_ups.year_review_now, user_id=body["user"]["id"], now=context["clock"]())
    ack()


def handle_settings_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    open_settings(client, context, body["trigger_id"], body["user"]["id"])


def handle_home_language(ack: Ack, body: dict, context: BoltContext) -> None:
    """The person's language, chosen in the Home tab: kept before the ack, then the Home in it."""
    user_id = body["user"]["id"]
    choice = str((pressed(body).get("selected_option") or {}).get("value", ""))
    with change(context) as made:
        languages.choose_language(made.sf, workspace_of(context), user_id, choice, context["clock"]())
        made.promise(follow_ups.refresh_home, user_id=user_id)
    ack()


# The entry menu's choices that open a modal about the entry, built once it is read.
ENTRY_DIALOGS = {
    EntryMenuOption.ACTION_ITEMS: build_action_items_modal,
    EntryMenuOption.VISIBILITY: build_visibility_modal,
    EntryMenuOption.DELETE: build_delete_modal,
}


def handle_entry_menu(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    user_id, trigger_id = body["user"]["id"], body["trigger_id"]
    selected = pressed(body).get("selected_option") or {}
    choice, _, raw_id = str(selected.get("value", "")).partition(":")
    entry_id = entry_id_value(raw_id)
    if choice == EntryMenuOption.EDIT:
        open_edit_modal(client, context, trigger_id, user_id, entry_id)
    elif choice in ENTRY_DIALOGS:
        build = ENTRY_DIALOGS[choice]
        open_entry_modal(client, context, trigger_id, user_id, entry_id, lambda e: build(translator_for(context), e))
    else:
        log.info("Ignored unknown entry menu choice")


def handle_resume_page(ack: Ack, body: dict, context: BoltContext) -> None:
    try:
        wanted = json.loads(pressed_value(body) or "{}")
        year, page = wanted.get("year"), wanted.get("page", 0)
    except (ValueError, AttributeError):
        year = page = None
    if not isinstance(page, int) or isinstance(page, bool):
        ack()
        log.info("Ignored a resume page button with a malformed value")
        return
    year = year if isinstance(year, int) and not isinstance(year, bool) else None
    where = dict(response_url=body.get("response_url"), replace_original=True)
    promise(context, follow_ups.resume, user_id=body["user"]["id"], year=year, page=page, **where)
    ack()


def register(app: App) -> None:
    app.action(Action.ADD_LESSON)(reported(handle_add_lesson))
    app.action(Action.SHARE_ANONYMOUSLY)(reported(handle_share_anonymously))
    app.action(Action.SHARE_AS_WRITTEN)(reported(handle_share_as_written))
    app.action(Action.UNDO)(reported(handle_undo))
    app.action(Action.RECORD)(reported(handle_record_button))
    app.action(Action.RECORD_TYPED)(reported(handle_record_typed))
    app.action(Action.PROMPT_RECORD)(reported(handle_record_button))
    app.action(Action.EXPORT)(reported(handle_export_button))
    app.action(Action.SETTINGS)(reported(handle_settings_button))
    app.action(Action.REVIEW)(reported(handle_review_button))
    app.action(Action.ENTRY_MENU)(reported(handle_entry_menu))
    app.action(Action.RESUME_PAGE)(reported(handle_resume_page))
    app.action(Action.HOME_LANGUAGE)(reported(handle_home_language))
