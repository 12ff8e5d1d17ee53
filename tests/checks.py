"""Assertions that many test modules share."""

from __future__ import annotations


def assert_no_failed_calls(bot) -> None:
    """Every Web API call the app made was one the fake Slack accepted."""
    failed = [(c.method, c.status, c.error) for c in bot.fake.calls if not c.ok]
    assert failed == []
