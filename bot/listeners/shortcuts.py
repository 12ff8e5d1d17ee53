"""The message shortcut *Record as a lesson*."""

from __future__ import annotations

from bot.blocks.entry_modal import TEXT_MAX, ModalContext
from bot.listeners.registry import Listeners
from bot.slack.ids import Shortcut
from bot.slack.text import decode_slack_text
from storage.types import EntryFields

listen = Listeners()


@listen.shortcut(Shortcut.RECORD_LESSON)
def handle_record_lesson_shortcut(ack, shortcut, modals, now) -> None:
    ack()
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
    modals.open_record(shortcut["trigger_id"], modal, now, fields=fields)
