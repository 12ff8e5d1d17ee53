"""Buttons on the monthly reflection prompt, and turning prompts back on from the App Home."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.messages import build_refusal_message, build_text_message
from bot.blocks.state import pressed_entry_id, pressed_value
from bot.domain import services
from bot.domain.services import NotYourEntry
from bot.listeners.flows import publish_home, translator_for, workspace_of
from bot.slack.api import reply
from bot.slack.errors import reported
from bot.slack.ids import Action

log = logging.getLogger(__name__)
PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}")


def handle_prompt_nothing(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    t = translator_for(context)
    text = t("Thank you. A month with nothing to record is a fine answer too. See you next month.")
    reply(client, body["user"]["id"], body.get("response_url"), build_text_message(text), replace_original=True)


def handle_prompt_snooze(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    period = pressed_value(body)
    if not PERIOD.fullmatch(period):
        ack()
        log.info("Ignored a snooze button with a malformed period")
        return
    user_id = body["user"]["id"]
    services.snooze_prompt(context["session_factory"], workspace_of(context), user_id, period, context["clock"]())
    ack()  # after the change: Slack's 200 means it is made
    text = translator_for(context)("No problem. I will ask again in a week.")
    reply(client, user_id, body.get("response_url"), build_text_message(text), replace_original=True)


def handle_prompt_stop(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    user_id = body["user"]["id"]
    services.set_prompts_stopped(context["session_factory"], workspace_of(context), user_id, True, context["clock"]())
    ack()
    text = translator_for(context)("Done: no more monthly prompts. You can turn them back on any time in the App Home.")
    reply(client, user_id, body.get("response_url"), build_text_message(text), replace_original=True)
    publish_home(client, context, user_id)


def handle_prompts_resume(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    user_id = body["user"]["id"]
    services.set_prompts_stopped(context["session_factory"], workspace_of(context), user_id, False, context["clock"]())
    ack()
    publish_home(client, context, user_id)


def handle_action_item_done(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    t = translator_for(context)
    user_id = body["user"]["id"]
    try:
        services.mark_action_item_done(
            context["session_factory"],
            workspace_of(context),
            user_id,
            pressed_entry_id(body),
            context["clock"](),
        )
    except NotYourEntry:
        ack()
        reply(client, user_id, body.get("response_url"), build_refusal_message(t))
        return
    ack()
    reply(client, user_id, body.get("response_url"), build_text_message(t("Nice job! Marked as done.")))


def register(app: App) -> None:
    app.action(Action.PROMPT_NOTHING)(reported(handle_prompt_nothing))
    app.action(Action.PROMPT_SNOOZE)(reported(handle_prompt_snooze))
    app.action(Action.PROMPT_STOP)(reported(handle_prompt_stop))
    app.action(Action.PROMPTS_RESUME)(reported(handle_prompts_resume))
    app.action(Action.ACTION_ITEM_DONE)(reported(handle_action_item_done))
