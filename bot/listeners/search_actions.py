"""Looking back: earlier lessons while a record modal is written, and search (its page buttons,
the App Home's search box). Nothing is stored, so each only promises its task, then acks."""

from __future__ import annotations

import logging

from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.blocks.fail_command import SEARCH_MAX
from bot.blocks.similar import VIEW_FIELDS, parse_search_page_value
from bot.blocks.state import pressed, pressed_value
from bot.listeners.changes import promise
from bot.listeners.registry import Listeners
from bot.slack.ids import Action, View
from bot.tasks import follow_ups
from bot.text import clean_text

log = logging.getLogger(__name__)
listen = Listeners()


@listen.action(Action.WHAT)
def handle_what_entered(ack, body, context, user_id) -> None:
    """Enter in the modal's "What happened": its earlier lessons are looked up and shown in place."""
    view = body.get("view") or {}
    what = clean_text(pressed_value(body)).strip()[:TEXT_MAX]
    if view.get("callback_id") == View.RECORD and view.get("id") and what:
        editing = ModalContext.load(view.get("private_metadata")).entry_id
        shown = {key: view[key] for key in VIEW_FIELDS if key in view}
        where = dict(view_id=view["id"], view_hash=view.get("hash"), view=shown)
        promise(context, follow_ups.earlier_lessons, user_id=user_id, what=what, exclude=editing, **where)
    ack()


@listen.action(Action.SEARCH_PAGE)
@listen.action(Action.HOME_SEARCH_PAGE)
def handle_search_page(ack, body, context, user_id) -> None:
    """*More results* or *Better matches*, under `/fail search` or in the App Home."""
    wanted = parse_search_page_value(pressed_value(body))
    if wanted is None:
        log.info("Ignored a search page button with a malformed value")
        ack()
        return
    words, page = wanted[0][:SEARCH_MAX], wanted[1]
    if pressed(body).get("action_id") == Action.HOME_SEARCH_PAGE:
        promise(context, follow_ups.search_home, user_id=user_id, search=words, page=page)
    else:
        where = dict(response_url=body.get("response_url"), replace_original=True)
        promise(context, follow_ups.search, user_id=user_id, words=words, page=page, **where)
    ack()


@listen.action(Action.HOME_SEARCH)
def handle_home_search(ack, body, context, user_id) -> None:
    """Enter in the App Home's search box; an empty box shows the resume again."""
    words = clean_text(pressed_value(body)).strip()[:SEARCH_MAX]
    promise(context, follow_ups.search_home, user_id=user_id, search=words or None)
    ack()


@listen.action(Action.CLEAR_SEARCH)
def handle_clear_search(ack, context, user_id) -> None:
    promise(context, follow_ups.search_home, user_id=user_id)
    ack()
