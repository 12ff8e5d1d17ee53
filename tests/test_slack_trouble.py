"""Slack answering 429 or 500: the app retries, falls back, and tells the person; nothing is lost."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Entry


def test_views_open_rate_limited_is_retried(bot):
    bot.fake.queue_failure("views.open", status=429, retry_after=0)
    bot.command("")
    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "record_entry_modal"
    statuses = [call.status for call in bot.fake.calls_to("views.open", ok_only=False)]
    assert statuses == [429, 200]


def test_server_error_on_post_message_is_retried(bot):
    bot.fake.queue_failure("chat.postMessage", status=500)
    bot.submit_entry(what="Retried acknowledgement")
    [sent] = bot.fake.wait_for("chat.postMessage")
    assert "Nice job" in sent.args["text"]
    assert [c.status for c in bot.fake.calls_to("chat.postMessage", ok_only=False)] == [500, 200]


def test_dead_response_url_falls_back_to_a_dm(bot):
    for _ in range(3):
        bot.fake.queue_failure("response", status=500)
    bot.command("Shipped the wrong build")
    [dm] = bot.fake.wait_for("chat.postMessage")
    assert dm.args["channel"] == "U1" and "Nice job" in dm.args["text"]
    with bot.session_factory() as session:
        assert len(list(session.scalars(select(Entry)))) == 1


def test_unexpected_failure_tells_the_person_with_a_reference(bot):
    # Slack keeps failing views.open past every retry: the person hears about it.
    for _ in range(4):
        bot.fake.queue_failure("views.open", status=500)
    bot.command("")
    [(_key, message)] = bot.fake.wait_for_responses()
    assert "something went wrong on our side" in message["text"]
    assert "reference" in message["text"]


def test_slow_slack_does_not_stop_new_requests_being_acked(bot):
    """Listeners waiting on a slow Web API must not hold up the ack of the next request."""
    bot.fake.set_delay("users.info", 4)
    for n in range(12):
        event = {"type": "app_home_opened", "user": f"U{n + 10}", "channel": "D1", "tab": "home", "event_ts": "1.1"}
        assert bot.event(event).status == 200
    assert bot.command("Slack was slow today").status == 200
    bot.fake.set_delay("users.info", 0)
    bot.fake.wait_for("views.publish", count=13, timeout=30)
    with bot.session_factory() as session:
        assert len(list(session.scalars(select(Entry)))) == 1
