"""Buttons on the monthly reflection prompt (an action item done, did it help?), and from the App Home
turning prompts back on and marking an action item done."""

from __future__ import annotations

import logging
import re

from bot.blocks.action_items import build_item_done_message, parse_helped_value
from bot.blocks.messages import build_text_message
from bot.blocks.state import pressed_entry_id, pressed_value
from bot.domain.action_items import mark_action_item_done, record_helped
from bot.domain.prompts import set_prompts_stopped, snooze_prompt
from bot.listeners.changes import change, in_place, promise
from bot.listeners.registry import Listeners
from bot.slack.ids import Action
from bot.tasks import follow_ups

log = logging.getLogger(__name__)
listen = Listeners()
PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}")


@listen.action(Action.PROMPT_NOTHING)
def handle_prompt_nothing(ack, body, context, t) -> None:
    text = t("Thank you. A month with nothing to record is a fine answer too. See you next month.")
    promise(context, follow_ups.answer, **in_place(body, build_text_message(text), home=False))
    ack()


@listen.action(Action.PROMPT_SNOOZE)
def handle_prompt_snooze(ack, body, context, user_id, workspace, now) -> None:
    period = pressed_value(body)
    if not PERIOD.fullmatch(period):
        ack()
        log.info("Ignored a snooze button with a malformed period")
        return
    # Not in the catalogues yet (it was never extracted), so English in every language, as before.
    text = "No problem. I will ask again in a week."
    with change(context) as made:
        snooze_prompt(made.sf, workspace, user_id, period, now)
        made.promise(follow_ups.answer, **in_place(body, build_text_message(text), home=False))
    ack()  # after the change: the 200 means it is made


@listen.action(Action.PROMPT_STOP)
def handle_prompt_stop(ack, body, context, user_id, workspace, now, t) -> None:
    text = t("Done: no more monthly prompts. You can turn them back on any time in the App Home.")
    with change(context) as made:
        set_prompts_stopped(made.sf, workspace, user_id, True, now)
        made.promise(follow_ups.answer, **in_place(body, build_text_message(text), home=True))
    ack()


@listen.action(Action.PROMPTS_RESUME)
def handle_prompts_resume(ack, context, user_id, workspace, now) -> None:
    with change(context) as made:
        set_prompts_stopped(made.sf, workspace, user_id, False, now)
        made.promise(follow_ups.refresh_home, user_id=user_id)
    ack()


@listen.action(Action.ACTION_ITEM_DONE)
def handle_action_item_done(ack, body, context, user_id, workspace, now, t) -> None:
    """Done, from the monthly prompt or the App Home: a Nice job for it, and the Home tab follows."""
    with change(context) as made:
        item = mark_action_item_done(made.sf, workspace, user_id, pressed_entry_id(body), now)
        done = build_item_done_message(t, item)
        made.promise(follow_ups.answer, user_id=user_id, response_url=body.get("response_url"), message=done, home=True)
    ack()


@listen.action(Action.ITEM_HELPED)
def handle_item_helped(ack, body, context, user_id, workspace, t) -> None:
    """The answer to "Did it help?", kept with the item."""
    answer = parse_helped_value(pressed_value(body))
    if answer is None:
        ack()
        log.info("Ignored a malformed Did it help? button")
        return
    thanks = build_text_message(t("Thank you: noted with the action item."))
    with change(context) as made:
        record_helped(made.sf, workspace, user_id, *answer)
        made.promise(follow_ups.answer, user_id=user_id, response_url=body.get("response_url"), message=thanks)
    ack()
