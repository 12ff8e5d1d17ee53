"""The message shortcut *Record as a lesson*."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.listeners.flows import open_record_modal
from bot.slack.errors import reported
from bot.slack.ids import Shortcut
from bot.slack.text import decode_slack_text
from storage.types import EntryFields


def handle_record_lesson_shortcut(ack: Ack, shortcut: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    now = context["clock"]()
    message = shortcut.get("message") or {}
    fields = EntryFields(
        what_happened=decode_slack_text(message.get("text") or "")[:TEXT_MAX],
        lesson=None,
        category="engineering",
        happened_on=now.date(),
        safeguards=(),
        action_items=(),
        visibility=None,  # the workspace's default, which the modal looks up
    )
    modal = ModalContext(
        response_url=shortcut.get("response_url"),
        source_channel=(shortcut.get("channel") or {}).get("id"),
        source_ts=message.get("ts"),
    )
    open_record_modal(client, context, shortcut["trigger_id"], modal, now, fields=fields)


def register(app: App) -> None:
    app.shortcut(Shortcut.RECORD_LESSON)(reported(handle_record_lesson_shortcut))
