"""Slack answering 429 or 500: the app retries, falls back, and tells the person; nothing is lost."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from storage.models import Entry
from tests.harness.waits import wait_a_while


def test_views_open_rate_limited_is_retried(bot):
    bot.fake.queue_failure("views.open", status=429, retry_after=0)
    bot.command("")
    [opened] = bot.fake.wait_for_views()
    assert opened["callback_id"] == "record_entry_modal"
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
    bot.fake.wait_for_responses(timeout=30)  # the Nice job
    bot.drain(timeout=30)  # and the Homes opened
    with bot.session_factory() as session:
        assert len(list(session.scalars(select(Entry)))) == 1


# -- nothing slow between a trigger and its views.open -------------------------------------


def test_settings_open_at_once_though_slack_is_slow_to_say_who_is_an_admin(bot):
    from tests.payloads import ADMIN

    bot.fake.users["U1"] = ADMIN
    bot.fake.set_delay("users.info", 3.5)  # longer than a trigger lives
    assert bot.command("settings").status == 200
    [shown] = bot.fake.wait_for_views(timeout=10)
    assert shown["callback_id"] == "settings_modal"
    assert [c.method for c in bot.fake.calls if c.method.startswith("views.")] == ["views.open", "views.update"]


def test_with_the_database_down_the_form_still_opens_and_an_entry_says_it_could_not_load(fake_slack, tmp_path):
    from tests import payloads
    from tests.checks import notice_shown
    from tests.harness.bot import BotHarness

    harness = BotHarness(fake_slack, f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        assert harness.command("").status == 200
        [form] = fake_slack.wait_for_views()
        assert form["callback_id"] == "record_entry_modal"  # a new entry needs nothing read
        fake_slack.reset()
        edit = payloads.block_actions(payloads.overflow("edit:1"), container="view")
        assert harness.interact(edit).status == 200
        notice_shown(harness, "could not be loaded just now")
        assert fake_slack.responses == []  # no apology on top: the modal says it
    finally:
        harness.close()


def test_a_loading_view_closed_before_it_is_filled_in_is_no_error(bot, caplog):
    bot.fake.queue_failure("views.update", error="not_found")
    assert bot.command("").status == 200
    wait_a_while(lambda: bot.fake.calls_to("views.update", ok_only=False))
    assert [c.error for c in bot.fake.calls_to("views.update", ok_only=False)] == ["not_found"]
    time.sleep(0.2)  # an apology, if there were one, would be on its way
    assert bot.fake.responses == [] and bot.fake.calls_to("chat.postMessage", ok_only=False) == []


def test_the_home_shows_a_new_entry_though_slack_would_not_say_who_its_author_is(bot):
    """users.info failing once is kept a few seconds: the date, the language and the Home's admin
    buttons make no more calls, and the Home still shows the entry (without admin buttons)."""
    for _ in range(3):  # the call and both of the client's retries
        bot.fake.queue_failure("users.info", status=500)
    bot.command("Recorded while Slack would not say who I am")
    [home] = bot.fake.wait_for("views.publish", timeout=15)  # a first entry publishes the Home
    assert "Recorded while Slack would not say who I am" in json.dumps(home.args["view"])
    assert [c.status for c in bot.fake.calls_to("users.info", ok_only=False)] == [500] * 3
