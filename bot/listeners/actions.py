"""Buttons and menus: on acknowledgements, resume pages and the App Home."""

from __future__ import annotations

import json
import logging

from bot.blocks.action_items import build_action_items_modal
from bot.blocks.entry_dialogs import build_delete_modal, build_visibility_modal
from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.blocks.messages import (
    build_blame_warning_message,
    build_nice_job_message,
    build_undone_message,
)
from bot.blocks.state import entry_id_value, pressed, pressed_entry_id, pressed_value
from bot.domain import languages, trackers
from bot.domain.entries import change_visibility, delete_own_entry, get_own_entry, request_key
from bot.domain.wording import points_at_person
from bot.listeners.changes import change, in_place, promise
from bot.listeners.quick_entry import store_quick_entry_then_ack
from bot.listeners.registry import Listeners
from bot.slack.ids import Action, EntryMenuOption
from bot.tasks import follow_ups
from bot.text import clean_text

log = logging.getLogger(__name__)
listen = Listeners()


@listen.action(Action.ADD_LESSON)
def handle_add_lesson(ack, body, user_id, modals) -> None:
    ack()
    modals.open_edit(body["trigger_id"], user_id, pressed_entry_id(body), body.get("response_url"))


@listen.action(Action.SHARE_ANONYMOUSLY)
@listen.action(Action.SHARE_AS_WRITTEN)
def handle_share_anonymously(ack, body, context, user_id, workspace, session_factory, now, t) -> None:
    """Shared at once, unless its words point at a person (checked unless shared as written): then
    the person is asked first."""
    entry_id = pressed_entry_id(body)
    check_wording = pressed(body).get("action_id") == Action.SHARE_ANONYMOUSLY
    entry = get_own_entry(session_factory, workspace, user_id, entry_id) if check_wording else None
    if entry is not None and points_at_person(entry.what_happened):
        promise(context, follow_ups.answer, **in_place(body, build_blame_warning_message(t, entry_id)))
        ack()
        return
    with change(context) as made:
        entry = change_visibility(made.sf, workspace, user_id, entry_id, "anonymous", now)
        made.promise(follow_ups.answer, **in_place(body, build_nice_job_message(t, entry, quick=True)))
    ack()  # after the change: Slack's 200 means it is made


@listen.action(Action.UNDO)
def handle_undo(ack, body, context, user_id, workspace, t) -> None:
    with change(context) as made:
        delete_own_entry(made.sf, workspace, user_id, pressed_entry_id(body))
        made.promise(follow_ups.answer, **in_place(body, build_undone_message(t)))
    ack()


@listen.action(Action.RECORD_TYPED)
def handle_record_typed(ack, body, user_id, workspace, session_factory, tasks, now, t) -> None:
    """*Record it* under a `/fail` that looked like a typo: the words it showed become a quick entry."""
    text = clean_text(pressed_value(body)).strip()[:TEXT_MAX]
    if not text:
        ack()
        return
    # One entry however often the button is pressed: the key is the message, not the press.
    shown_in = (body.get("container") or {}).get("message_ts") or body.get("trigger_id")
    key = request_key("typed", f"{shown_in}:{text}")
    request = dict(session_factory=session_factory, tasks=tasks, workspace=workspace, user_id=user_id, now=now, t=t)
    store_quick_entry_then_ack(ack, text, key, body.get("response_url"), True, **request)


@listen.action(Action.RECORD)
@listen.action(Action.PROMPT_RECORD)
def handle_record_button(ack, body, modals, now) -> None:
    """Record from the Home tab or from the monthly prompt (whose message has a response_url)."""
    ack()
    modals.open_record(body["trigger_id"], ModalContext(response_url=body.get("response_url")), now)


@listen.action(Action.EXPORT)
def handle_export_button(ack, context, user_id, now) -> None:
    promise(context, follow_ups.export, user_id=user_id, response_url=None, now=now)
    ack()


@listen.action(Action.REVIEW)
def handle_review_button(ack, context, user_id, now) -> None:
    promise(context, follow_ups.year_review_now, user_id=user_id, now=now)
    ack()


@listen.action(Action.SETTINGS)
def handle_settings_button(ack, body, user_id, modals) -> None:
    ack()
    modals.open_settings(body["trigger_id"], user_id)


@listen.action(Action.HOME_LANGUAGE)
def handle_home_language(ack, body, context, user_id, workspace, now) -> None:
    """The person's language, chosen in the Home tab: kept before the ack, then the Home in it."""
    choice = str((pressed(body).get("selected_option") or {}).get("value", ""))
    with change(context) as made:
        languages.choose_language(made.sf, workspace, user_id, choice, now)
        made.promise(follow_ups.refresh_home, user_id=user_id)
    ack()


# The entry menu's choices that open a modal about the entry, built once it is read.
ENTRY_DIALOGS = {
    EntryMenuOption.VISIBILITY: build_visibility_modal,
    EntryMenuOption.DELETE: build_delete_modal,
}


@listen.action(Action.ENTRY_MENU)
def handle_entry_menu(ack, body, user_id, workspace, session_factory, modals, t) -> None:
    ack()
    trigger_id = body["trigger_id"]
    selected = pressed(body).get("selected_option") or {}
    choice, _, raw_id = str(selected.get("value", "")).partition(":")
    entry_id = entry_id_value(raw_id)
    if choice == EntryMenuOption.EDIT:
        modals.open_edit(trigger_id, user_id, entry_id)
    elif choice == EntryMenuOption.ACTION_ITEMS:  # with *Create issue* once a tracker is connected

        def items_view(entry):
            return build_action_items_modal(t, entry, trackers.connected(session_factory, workspace) is not None)

        modals.open_about_entry(trigger_id, user_id, entry_id, items_view)
    elif choice in ENTRY_DIALOGS:
        build = ENTRY_DIALOGS[choice]
        modals.open_about_entry(trigger_id, user_id, entry_id, lambda entry: build(t, entry))
    else:
        log.info("Ignored unknown entry menu choice")


@listen.action(Action.RESUME_PAGE)
def handle_resume_page(ack, body, context, user_id) -> None:
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
    promise(context, follow_ups.resume, user_id=user_id, year=year, page=page, **where)
    ack()
