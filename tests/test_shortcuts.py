"""The message shortcut *Record as a lesson* over signed HTTP, through to the stored entry."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.blocks.entry_modal import ModalContext
from tests import payloads
from tests.checks import assert_no_failed_calls
from tests.rows import entries

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
PERMALINK = "https://fake-team.slack.com/archives/C0001/p1700000000000300"


def shortcut(bot, text: str, key: str = "shortcut"):
    return bot.interact(payloads.message_shortcut(text, response_url=bot.fake.response_url(key)))


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_shortcut_opens_the_record_modal_prefilled_with_the_message(bot):
    bot.now = NOW
    answer = shortcut(bot, "The nightly job deleted last week's backups & logs, <!here>")
    assert answer.status == 200
    [view] = bot.fake.wait_for_views()
    assert view["callback_id"] == "record_entry_modal"
    # Slack's entities are decoded: the form shows what was typed.
    assert (
        block(view, "what_block")["element"]["initial_value"]
        == "The nightly job deleted last week's backups & logs, <!here>"
    )
    assert block(view, "when_block")["element"]["initial_date"] == "2024-06-01"
    assert block(view, "category_block")["element"]["initial_option"]["value"] == "engineering"
    assert block(view, "visibility_block")["element"]["initial_option"]["value"] == "private"
    assert "From a message in <#C0001>." in json.dumps(view)
    meta = ModalContext.load(view["private_metadata"])
    assert meta == ModalContext(
        response_url=bot.fake.response_url("shortcut"), source_channel="C0001", source_ts="1700000000.000300"
    )
    assert view["title"]["text"] == "Record a failure"
    # Nothing but opening the modal (loading) happens inside Slack's 3-second trigger window; the
    # person's language is asked of Slack once it is spent.
    opening, asked, filling = bot.fake.calls
    assert asked.method == "users.info" and asked.args["include_locale"] in (True, "1", "true")
    assert (opening.method, opening.args["view"]["callback_id"], filling.method) == (
        "views.open",
        "loading_modal",
        "views.update",
    )
    assert opening.args["trigger_id"]
    assert entries(bot) == []
    assert_no_failed_calls(bot)


def test_a_5000_character_message_is_cut_to_fit_the_input(bot):
    text = "".join(f"{n:04d}한🙈" for n in range(834))[:5000]
    shortcut(bot, text)
    view = bot.fake.wait_for_views()[0]
    element = block(view, "what_block")["element"]
    assert element["initial_value"] == text[:3000]
    assert len(element["initial_value"]) <= element["max_length"] == 3000
    assert_no_failed_calls(bot)


def test_submitting_the_shortcut_modal_stores_the_source_link(bot):
    shortcut(bot, "Alert fatigue: nobody looked at the pager")
    view = bot.fake.wait_for_views()[0]

    answer = bot.submit_entry(
        metadata=view["private_metadata"],
        what="Alert fatigue: nobody looked at the pager",
        lesson="Fewer, better alerts",
        when="2024-01-15",
    )
    assert answer.status == 200 and answer.body == b""
    key, message = bot.fake.wait_for_responses()[0]
    assert key == "shortcut" and message["text"].startswith("Nice job")
    bot.drain()
    permalink = bot.fake.wait_for("chat.getPermalink")[0]
    assert (permalink.args["channel"], permalink.args["message_ts"]) == ("C0001", "1700000000.000300")
    [entry] = entries(bot)
    assert entry.source_link == PERMALINK
    assert (entry.team_id, entry.user_id, entry.happened_on) == ("T0001", "U1", date(2024, 1, 15))
    assert entry.lesson == "Fewer, better alerts"
    assert_no_failed_calls(bot)


def test_the_link_is_kept_when_the_entry_is_edited_later(bot):
    shortcut(bot, "Forgot the feature flag")
    view = bot.fake.wait_for_views()[0]
    bot.submit_entry(metadata=view["private_metadata"], what="Forgot the feature flag")
    bot.drain()
    [entry] = entries(bot)
    # Edit from the Home tab: the overflow menu reopens the modal, and its submission keeps the link.
    bot.interact(payloads.block_actions(payloads.overflow(f"edit:{entry.id}"), container="view"))
    edit = bot.fake.wait_for_views(count=2)[1]
    assert PERMALINK in json.dumps(edit)
    bot.submit_entry(metadata=edit["private_metadata"], what="Forgot the feature flag", lesson="Flags by default")
    bot.drain()
    [entry] = entries(bot)
    assert (entry.lesson, entry.source_link) == ("Flags by default", PERMALINK)


def test_the_modal_still_opens_when_the_permalink_cannot_be_fetched(bot):
    bot.fake.queue_failure("chat.getPermalink", status=200, retry_after=0, error="message_not_found")
    shortcut(bot, "A message Slack would not link to")
    view = bot.fake.wait_for_views()[0]
    assert block(view, "what_block")["element"]["initial_value"] == "A message Slack would not link to"
    assert ModalContext.load(view["private_metadata"]).source_link is None
    assert "this message" not in json.dumps(view)


def test_a_message_without_text_opens_an_empty_form(bot):
    shortcut(bot, "")
    view = bot.fake.wait_for_views()[0]
    assert "initial_value" not in block(view, "what_block")["element"]
    assert_no_failed_calls(bot)


def test_a_message_with_mentions_and_unicode_is_prefilled_verbatim(bot):
    text = "<!channel> 배포 실패 🙈 <@U999> & <https://example.com|docs>"
    shortcut(bot, text)
    view = bot.fake.wait_for_views()[0]
    assert block(view, "what_block")["element"]["initial_value"] == text
    bot.submit_entry(metadata=view["private_metadata"], what=text)
    bot.drain()
    assert entries(bot)[0].what_happened.encode() == text.encode()
