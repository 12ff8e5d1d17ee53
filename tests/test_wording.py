"""Blameless wording before an entry is shared: the patterns, and the record modal, the visibility
modal and the Share anonymously button over signed HTTP."""

from __future__ import annotations

import json

import pytest

from bot.domain.wording import points_at_person
from tests import payloads
from tests.rows import entries, seed

POINTING = [
    "<@U123> broke prod",
    "@kim forgot the migration",
    "It was Bob's fault",
    "John broke the build",
    "because of Sarah we lost a day",
    "he forgot to run the tests",
    "Someone deleted the table",
    "민수 씨 때문에 배포가 늦어졌다",
    "김 대리가 DB를 날려서 장애가 났다",
    "그 사람 실수로 장애가 났다",
    "팀장님 탓에 일정이 밀렸다",
]
NOT_POINTING = [
    "We broke prod with a bad config",
    "I forgot to run migrations",
    "The deploy broke because of the cache",
    "Prod broke after the Friday deploy",
    "The migration failed because of a lock",
    "설정 때문에 배포가 늦어졌다",
    "우리가 테스트를 빠뜨렸다",
    "I emailed user@example.com about it",
    "",
]


@pytest.mark.parametrize("text", POINTING)
def test_words_that_point_at_a_person(text):
    assert points_at_person(text)


@pytest.mark.parametrize("text", NOT_POINTING)
def test_words_about_the_system_or_we(text):
    assert not points_at_person(text)


def keep_words() -> dict:
    option = {"text": {"type": "plain_text", "text": "keep"}, "value": "keep"}
    return {"keep_words_block": {"keep_words_input": {"type": "checkboxes", "selected_options": [option]}}}


def block_ids(view: dict) -> list[str]:
    return [b.get("block_id") for b in view["blocks"]]


def test_a_shared_entry_that_points_at_a_person_comes_back_with_a_suggestion_and_the_words_kept(bot):
    values = payloads.record_values(what="John broke the build on Friday", visibility="named")
    answer = bot.interact(payloads.view_submission(values))
    body = answer.json()
    assert body["response_action"] == "update" and entries(bot) == []
    view = body["view"]
    assert block_ids(view)[:2] == ["blameless_block", "keep_words_block"]
    assert "What module broke?" in view["blocks"][0]["text"]["text"]
    what = next(b for b in view["blocks"] if b.get("block_id") == "what_block")
    assert what["element"]["initial_value"] == "John broke the build on Friday"
    assert view["private_metadata"] == "" or json.loads(view["private_metadata"]) == {}

    kept = bot.interact(
        payloads.view_submission(
            payloads.record_values(what="John broke the build on Friday", visibility="named", keep_words=True)
        )
    )
    assert kept.status == 200 and not (kept.json() or {}).get("response_action")
    [entry] = entries(bot)
    assert entry.what_happened == "John broke the build on Friday" and entry.visibility == "named"


def test_reworded_or_private_entries_are_saved_at_once(bot):
    assert bot.submit_entry(what="The build broke on Friday: no test caught it", visibility="named").status == 200
    assert bot.submit_entry(what="John broke the build", visibility="private").status == 200
    assert [e.visibility for e in entries(bot)] == ["named", "private"]


def test_the_visibility_modal_asks_before_sharing_words_that_point_at_a_person(bot):
    mine = seed(bot, "팀장님 탓에 일정이 밀렸다")
    metadata = json.dumps({"entry_id": mine})
    choice = {
        "visibility_block": {
            "visibility_input": {
                "type": "radio_buttons",
                "selected_option": {"text": {"type": "plain_text", "text": "anonymous"}, "value": "anonymous"},
            }
        }
    }
    answer = bot.interact(
        payloads.view_submission(choice, callback_id="change_visibility_modal", private_metadata=metadata)
    )
    body = answer.json()
    assert body["response_action"] == "update" and "blameless_block" in block_ids(body["view"])
    radio = next(b for b in body["view"]["blocks"] if b.get("block_id") == "visibility_block")
    assert radio["element"]["initial_option"]["value"] == "anonymous"
    assert entries(bot)[0].visibility == "private"
    bot.interact(
        payloads.view_submission(
            {**choice, **keep_words()}, callback_id="change_visibility_modal", private_metadata=metadata
        )
    )
    assert entries(bot)[0].visibility == "anonymous"


def test_share_anonymously_on_a_quick_entry_that_points_at_a_person_asks_first(bot):
    bot.command("Kim forgot to renew the certificate")
    [entry] = entries(bot)
    bot.fake.wait_for_responses()
    press = payloads.block_actions(
        payloads.button("share_anonymously_button", str(entry.id)), response_url=bot.fake.response_url("share")
    )
    assert bot.interact(press).status == 200
    [(_, warning)] = [(k, b) for k, b in bot.fake.wait_for_responses(2) if k == "share"]
    assert "points at a person" in warning["text"] and entries(bot)[0].visibility == "private"
    buttons = [e["action_id"] for b in warning["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["add_lesson_button", "share_as_written_button", "undo_button"]
    as_written = payloads.block_actions(
        payloads.button("share_as_written_button", str(entry.id)), response_url=bot.fake.response_url("written")
    )
    assert bot.interact(as_written).status == 200
    assert entries(bot)[0].visibility == "anonymous"
