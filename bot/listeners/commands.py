"""The `/fail` slash command."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.blocks.fail_command import parse_fail_command
from bot.blocks.messages import (
    build_help_message,
    build_too_long_message,
    build_typo_message,
)
from bot.blocks.resume import build_resume_message
from bot.domain import services
from bot.listeners.flows import (
    open_record_modal,
    open_settings,
    send_export,
    send_shared_export,
    store_quick_entry_then_ack,
    translator_for,
    workspace_of,
)
from bot.slack.api import reply
from bot.slack.errors import reported
from bot.slack.ids import Command

log = logging.getLogger(__name__)


def handle_fail_command(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    t = translator_for(context)
    now = context["clock"]()
    user_id = command["user_id"]
    response_url = command.get("response_url")
    parsed = parse_fail_command(command.get("text", ""))
    sf = context["session_factory"]
    if parsed.action == "record" and len(parsed.text) <= TEXT_MAX:
        key = services.request_key("command", command["trigger_id"])
        store_quick_entry_then_ack(ack, client, context, user_id, parsed.text, key, response_url)
        return
    ack()
    if parsed.action == "form":
        open_record_modal(client, context, command["trigger_id"], ModalContext(response_url=response_url), now)
    elif parsed.action == "resume":
        entries = services.list_resume(sf, workspace_of(context), user_id, parsed.year)
        reply(client, user_id, response_url, build_resume_message(t, entries, year=parsed.year))
    elif parsed.action == "export":
        send_export(client, context, user_id, response_url, now)
    elif parsed.action == "admin-export":
        send_shared_export(client, context, user_id, response_url, now)
    elif parsed.action == "settings":
        open_settings(client, context, command["trigger_id"], user_id)
    elif parsed.action == "help":
        reply(client, user_id, response_url, build_help_message(t))
    elif parsed.action == "typo":
        reply(client, user_id, response_url, build_typo_message(t, parsed.text, parsed.suggestion))
    else:
        reply(client, user_id, response_url, build_too_long_message(t, parsed.text, TEXT_MAX))


def register(app: App) -> None:
    app.command(Command.FAIL)(reported(handle_fail_command))
