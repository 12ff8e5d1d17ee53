"""Assertions that many test modules share."""

from __future__ import annotations

import json


def assert_no_failed_calls(bot) -> None:
    """Every Web API call the app made was one the fake Slack accepted."""
    failed = [(c.method, c.status, c.error) for c in bot.fake.calls if not c.ok]
    assert failed == []


def notice_shown(bot, words: str) -> dict:
    """The one modal opened: a notice (no submit button) that says `words`."""
    [view] = bot.fake.wait_for_views()
    assert view["callback_id"] == "notice_modal" and "submit" not in view
    assert words in json.dumps(view, ensure_ascii=False)
    return view


def shown(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def assert_field_error(answer, block_id: str) -> None:
    assert answer.status == 200
    body = answer.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [block_id]
    assert isinstance(body["errors"][block_id], str) and body["errors"][block_id].strip()


MENTION_TOKENS = ("<!", "<@", "<#")


def text_objects(node, kind: str):
    if isinstance(node, dict):
        if node.get("type") == kind and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from text_objects(value, kind)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value, kind)


def assert_inert(node, top_level_text: str | None = None) -> None:
    """No mrkdwn a person sees can notify anyone: user text is always escaped."""
    texts = list(text_objects(node, "mrkdwn")) + ([top_level_text] if top_level_text else [])
    for text in texts:
        for token in MENTION_TOKENS:
            assert token not in text, f"unescaped {token!r} in mrkdwn: {text[:200]!r}"


def published_home(bot, user="U1") -> dict:
    call = bot.fake.wait_for("views.publish")[0]
    assert call.args["user_id"] == user
    assert call.args["view"]["type"] == "home"
    return call.args["view"]
