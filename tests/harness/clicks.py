"""What a person does in Slack, sent to the bot under test as Slack sends it."""

from __future__ import annotations

from bot.blocks.entry_modal import ModalContext
from tests import payloads
from tests.rows import entries


def quick_entry(bot, text="I force-pushed to main") -> tuple[int, dict[str, str]]:
    """Record through `/fail <text>`; returns the entry id and the buttons of the acknowledgement."""
    bot.command(text, key="quick")
    _key, message = bot.fake.wait_for_responses()[0]
    bot.drain()
    buttons = {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    [entry] = [e for e in entries(bot) if e.what_happened == text]
    bot.fake.reset()
    return entry.id, buttons


def home_click(bot, action: dict, *, user="U1", team="T0001"):
    return bot.interact(payloads.block_actions(action, user=user, team=team, container="view"))


def modal_ctx(bot, key="modal", **kwargs) -> str:
    return ModalContext(response_url=bot.fake.response_url(key), **kwargs).dump()


def choice(action_id: str, kind: str, value: str) -> dict:
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    return {action_id: {"type": kind, "selected_option": option}}


def settings_values(
    channel: str | None = "C0RETRO",
    cadence="weekly",
    day="5",
    visibility="anonymous",
    crowd="5",
    guests=True,
    language="en",
) -> dict:
    return {
        "retro_channel_block": {
            "retro_channel_input": {"type": "conversations_select", "selected_conversation": channel},
        },
        "digest_cadence_block": choice("digest_cadence_input", "static_select", cadence),
        "prompt_day_block": choice("prompt_day_input", "static_select", day),
        "default_visibility_block": choice("default_visibility_input", "radio_buttons", visibility),
        "anonymity_crowd_block": choice("anonymity_crowd_input", "static_select", crowd),
        "workspace_language_block": choice("workspace_language_input", "static_select", language),
        "prompt_guests_block": {
            "prompt_guests_input": {
                "type": "checkboxes",
                "selected_options": [{"text": {"type": "plain_text", "text": "x"}, "value": "yes"}] if guests else [],
            }
        },
    }


def submit_dialog(bot, callback_id: str, values: dict, metadata: str = "", user="U1", team="T0001"):
    return bot.interact(
        payloads.view_submission(values, callback_id=callback_id, private_metadata=metadata, user=user, team=team)
    )
