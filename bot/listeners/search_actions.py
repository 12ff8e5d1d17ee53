"""Looking back: earlier lessons while a record modal is written, and search (its page buttons,
the App Home's search box). Nothing is stored, so each only promises its task, then acks."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext

from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.blocks.fail_command import SEARCH_MAX
from bot.blocks.similar import VIEW_FIELDS, parse_search_page_value
from bot.blocks.state import pressed, pressed_value
from bot.listeners.flows import promise
from bot.slack.errors import reported
from bot.slack.ids import Action, View
from bot.tasks import follow_ups
from bot.text import clean_text

log = logging.getLogger(__name__)


def handle_what_entered(ack: Ack, body: dict, context: BoltContext) -> None:
    """Enter in the modal's "What happened": its earlier lessons are looked up and shown in place."""
    view = body.get("view") or {}
    what = clean_text(pressed_value(body)).strip()[:TEXT_MAX]
    if view.get("callback_id") == View.RECORD and view.get("id") and what:
        editing = ModalContext.load(view.get("private_metadata")).entry_id
        shown = {key: view[key] for key in VIEW_FIELDS if key in view}
        where = dict(view_id=view["id"], view_hash=view.get("hash"), view=shown)
        promise(context, follow_ups.earlier_lessons, user_id=body["user"]["id"], what=what, exclude=editing, **where)
    ack()


def handle_search_page(ack: Ack, body: dict, context: BoltContext) -> None:
    """*More results* or *Better matches*, under `/fail search` or in the App Home."""
    wanted = parse_search_page_value(pressed_value(body))
    if wanted is None:
        log.info("Ignored a search page button with a malformed value")
        ack()
        return
    words, page = wanted[0][:SEARCH_MAX], wanted[1]
    user_id = body["user"]["id"]
    if pressed(body).get("action_id") == Action.HOME_SEARCH_PAGE:
        promise(context, follow_ups.search_home, user_id=user_id, search=words, page=page)
    else:
        where = dict(response_url=body.get("response_url"), replace_original=True)
        promise(context, follow_ups.search, user_id=user_id, words=words, page=page, **where)
    ack()


def handle_home_search(ack: Ack, body: dict, context: BoltContext) -> None:
    """Enter in the App Home's search box; an empty box shows the resume again."""
    words = clean_text(pressed_value(body)).strip()[:SEARCH_MAX]
    promise(context, follow_ups.search_home, user_id=body["user"]["id"], search=words or None)
    ack()


def handle_clear_search(ack: Ack, body: dict, context: BoltContext) -> None:
    promise(context, follow_ups.search_home, user_id=body["user"]["id"])
    ack()


def register(app: App) -> None:
    app.action(Action.WHAT)(reported(handle_what_entered))
    app.action(Action.SEARCH_PAGE)(reported(handle_search_page))
    app.action(Action.HOME_SEARCH)(reported(handle_home_search))
    app.action(Action.HOME_SEARCH_PAGE)(reported(handle_search_page))
    app.action(Action.CLEAR_SEARCH)(reported(handle_clear_search))
