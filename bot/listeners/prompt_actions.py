"""Buttons on the monthly reflection prompt (an action item done, did it help?), and from the App Home
turning prompts back on and marking an action item done."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App, BoltContext

from bot.blocks.action_items import build_item_done_message, parse_helped_value
from bot.blocks.messages import build_text_message
from bot.blocks.state import pressed_entry_id, pressed_value
from bot.domain.action_items import mark_action_item_done, record_helped
from bot.domain.entries import NotYourEntry
from bot.domain.prompts import set_prompts_stopped, snooze_prompt
from bot.listeners.flows import change, in_place, promise, refuse, translator_for, workspace_of
from bot.slack.errors import reported
from bot.slack.ids import Action
from bot.tasks import follow_ups

log = logging.getLogger(__name__)
PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}")


def handle_prompt_nothing(ack: Ack, body: dict, context: BoltContext) -> None:
    t = translator_for(context)
    text = t("Thank you. A month with nothing to record is a fine answer too. See you next month.")
    promise(context, follow_ups.answer, **in_place(body, build_text_message(text), home=False))
    ack()


def handle_prompt_snooze(ack: Ack, body: dict, context: BoltContext) -> None:
    period = pressed_value(body)
    if not PERIOD.fullmatch(period):
        ack()
        log.info("Ignored a snooze button with a malformed period")
        return
    user_id = body["user"]["id"]
    text = translator_for(context)("No problem. I will ask again in a week.")
    with change(context) as made:
        snooze_prompt(made.sf, workspace_of(context), user_id, period, context["clock"]())
        made.promise(follow_ups.answer, **in_place(body, build_text_message(text), home=False))
    ack()  # after the change: the 200 means it is made


def handle_prompt_stop(ack: Ack, body: dict, context: BoltContext) -> None:
    user_id = body["user"]["id"]
    text = translator_for(context)("Done: no more monthly prompts. You can turn them back on any time in the App Home.")
    with change(context) as made:
        set_prompts_stopped(made.sf, workspace_of(context), user_id, True, context["clock"]())
        made.promise(follow_ups.answer, **in_place(body, build_text_message(text), home=True))
    ack()


def handle_prompts_resume(ack: Ack, body: dict, context: BoltContext) -> None:
    user_id = body["user"]["id"]
    with change(context) as made:
        set_prompts_stopped(made.sf, workspace_of(context), user_id, False, context["clock"]())
        made.promise(follow_ups.refresh_home, user_id=user_id)
    ack()


def handle_action_item_done(ack: Ack, body: dict, context: BoltContext) -> None:
    """Done, from the monthly prompt or the App Home: a Nice job for it, and the Home tab follows."""
    t = translator_for(context)
    user_id = body["user"]["id"]
    try:
        with change(context) as made:
            ws, now = workspace_of(context), context["clock"]()
            item = mark_action_item_done(made.sf, ws, user_id, pressed_entry_id(body), now)
            done = build_item_done_message(t, item)
            made.promise(
                follow_ups.answer, user_id=user_id, response_url=body.get("response_url"), message=done, home=True
            )
    except NotYourEntry:
        refuse(ack, context, user_id, body.get("response_url"))
        return
    ack()


def handle_item_helped(ack: Ack, body: dict, context: BoltContext) -> None:
    """The answer to "Did it help?", kept with the item."""
    t = translator_for(context)
    user_id = body["user"]["id"]
    answer = parse_helped_value(pressed_value(body))
    if answer is None:
        ack()
        log.info("Ignored a malformed Did it help? button")
        return
    thanks = build_text_message(t("Thank you: noted with the action item."))
    try:
        with change(context) as made:
            record_helped(made.sf, workspace_of(context), user_id, *answer)
            made.promise(follow_ups.answer, user_id=user_id, response_url=body.get("response_url"), message=thanks)
    except NotYourEntry:
        refuse(ack, context, user_id, body.get("response_url"))
        return
    ack()


def register(app: App) -> None:
    app.action(Action.PROMPT_NOTHING)(reported(handle_prompt_nothing))
    app.action(Action.PROMPT_SNOOZE)(reported(handle_prompt_snooze))
    app.action(Action.PROMPT_STOP)(reported(handle_prompt_stop))
    app.action(Action.PROMPTS_RESUME)(reported(handle_prompts_resume))
    app.action(Action.ACTION_ITEM_DONE)(reported(handle_action_item_done))
    app.action(Action.ITEM_HELPED)(reported(handle_item_helped))
