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
