"""The message shortcut *Record as a lesson*."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.errors import reported
from bot.ids import Shortcut
from bot.listeners.flows import open_record_modal
from storage.repository import EntryFields


def handle_record_lesson_shortcut(ack: Ack, shortcut: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    now = context["clock"]()
    message = shortcut.get("message") or {}
    channel_id = (shortcut.get("channel") or {}).get("id")
    link = None
    if channel_id and message.get("ts"):
        try:
            link = client.chat_getPermalink(channel=channel_id, message_ts=message["ts"]).get("permalink")
        except SlackApiError:
            link = None  # the form still opens; only the link back is missing
    fields = EntryFields(
        what_happened=(message.get("text") or "")[:TEXT_MAX],
        lesson=None,
        category="engineering",
        happened_on=now.date(),
        safeguards=(),
        action_items=(),
        visibility=None,
        source_link=link,
    )
    modal = ModalContext(response_url=shortcut.get("response_url"), source_link=link)
    open_record_modal(client, context, shortcut["trigger_id"], modal, now, fields=fields)


def register(app: App) -> None:
    app.shortcut(Shortcut.RECORD_LESSON)(reported(handle_record_lesson_shortcut))
