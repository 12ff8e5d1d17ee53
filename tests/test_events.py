"""The Events API over signed HTTP: the App Home tab, URL verification and signatures."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.blocks.entry_modal import ModalContext
from bot.domain.home import HOME_LOOKED_AT
from tests import payloads
from tests.checks import assert_no_failed_calls, published_home
from tests.harness.config import SIGNING_SECRET
from tests.payloads import ADMIN, home_opened
from tests.rows import entries, person_row, seed


def headers(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def home_buttons(view: dict) -> list[str]:
    actions = next(b for b in view["blocks"] if b.get("block_id") == "home_actions_block")
    return [e["action_id"] for e in actions["elements"]]


def entry_sections(view: dict) -> list[dict]:
    return [b for b in view["blocks"] if str(b.get("block_id", "")).startswith("entry_")]


def publish_attempts(bot, timeout: float = 5.0) -> list:
    """views.publish calls, failed ones included, once there is at least one."""
    deadline = time.monotonic() + timeout
    while not bot.fake.calls_to("views.publish", ok_only=False) and time.monotonic() < deadline:
        time.sleep(0.02)
    return bot.fake.calls_to("views.publish", ok_only=False)


def test_home_tab_shows_the_persons_entries_by_year_with_the_lessons_count(bot):
    old = seed(bot, "Broke the 2021 release", date(2021, 5, 4))
    march = seed(bot, "Lost a customer's data export", date(2024, 3, 1), lesson="Verify restores")
    june = seed(bot, "Paged the wrong team", date(2024, 6, 1), lesson="Own the rota", items=("Fix the rota",))
    seed(bot, "U2's own secret", date(2024, 4, 1), user="U2", lesson="U2's lesson")
    seed(bot, "Another workspace's secret", date(2024, 4, 1), team="T0002", lesson="T2 lesson")

    answer = bot.event(home_opened())
    assert answer.status == 200
    view = published_home(bot)
    text = json.dumps(view, ensure_ascii=False)

    assert headers(view) == ["Your failure resume", "Open action items", "2024 · 2 entries", "2021 · 1 entry"]
    assert "3 entries · 2 lessons so far" in text
    assert [s["block_id"] for s in entry_sections(view)] == [f"entry_{june}", f"entry_{march}", f"entry_{old}"]
    assert "Paged the wrong team" in text and "Verify restores" in text and "Fix the rota" in text
    assert "secret" not in text and "U2's lesson" not in text and "T2 lesson" not in text
    menu = entry_sections(view)[0]["accessory"]
    assert menu["action_id"] == "entry_overflow"
    assert [o["value"] for o in menu["options"]] == [
        f"edit:{june}",
        f"action_items:{june}",
        f"visibility:{june}",
        f"delete:{june}",
    ]
    assert home_buttons(view) == ["record_button", "export_button", "import_button", "year_review_button"]
    assert_no_failed_calls(bot)


def test_home_tab_offers_settings_to_an_admin(bot):
    bot.fake.users["U1"] = ADMIN
    bot.event(home_opened())
    view = published_home(bot)
    assert home_buttons(view) == [
        "record_button",
        "export_button",
        "import_button",
        "year_review_button",
        "settings_button",
        "post_digest_button",
    ]
    assert_no_failed_calls(bot)


def test_empty_home_tab_invites_a_first_entry(bot):
    seed(bot, "Someone else's", date(2024, 1, 1), user="U2")
    bot.event(home_opened())
    view = published_home(bot)
    text = json.dumps(view, ensure_ascii=False)
    assert "Nothing here yet" in text
    assert "0 entries · 0 lessons so far" in text
    assert entry_sections(view) == []
    assert_no_failed_calls(bot)


def test_each_workspace_sees_only_its_own_entries(bot):
    seed(bot, "T0001 entry", date(2024, 1, 1), team="T0001")
    seed(bot, "T0002 entry", date(2024, 1, 1), team="T0002")
    bot.event(home_opened())
    text = json.dumps(published_home(bot))
    assert "T0001 entry" in text and "T0002 entry" not in text


def test_messages_tab_publishes_nothing(bot):
    seed(bot, "Not to be published", date(2024, 1, 1))
    answer = bot.event(home_opened(tab="messages"))
    assert answer.status == 200
    # A later Home visit by someone else is the marker that the first event has been handled.
    bot.event(home_opened(user="U2"))
    published_home(bot, user="U2")
    time.sleep(0.3)
    assert [c.args["user_id"] for c in bot.fake.calls_to("views.publish", ok_only=False)] == ["U2"]
    assert all(c.args.get("user") in (None, "U2") for c in bot.fake.calls)


# ---- when a new entry refreshes the Home ---------------------------------------------------------


def nice_job_then_done(bot, key: str) -> None:
    """Everything after a record's ack done, its Nice job among it."""
    bot.drain()
    [message] = [m for k, m in bot.fake.responses if k == key]
    assert "Nice job" in message["text"]


def published(bot) -> list[str]:
    return [json.dumps(call.args["view"], ensure_ascii=False) for call in bot.fake.calls_to("views.publish")]


def test_a_record_from_a_channel_publishes_no_home_nobody_opened(bot):
    seed(bot, "An earlier entry")
    assert bot.command("Deployed on a Friday", key="quick").status == 200
    nice_job_then_done(bot, "quick")
    assert bot.fake.calls_to("views.publish", ok_only=False) == []
    assert [e.what_happened for e in entries(bot)] == ["An earlier entry", "Deployed on a Friday"]


def test_a_record_from_a_channel_refreshes_a_home_opened_lately(bot):
    seed(bot, "An earlier entry")
    assert "Deployed on a Friday" not in json.dumps(bot.open_home())
    assert bot.command("Deployed on a Friday", key="quick").status == 200
    nice_job_then_done(bot, "quick")
    _opened, refreshed = published(bot)
    assert "Deployed on a Friday" in refreshed and "An earlier entry" in refreshed


def test_a_record_from_the_homes_record_button_publishes_it(bot):
    seed(bot, "An earlier entry")
    assert bot.interact(payloads.block_actions(payloads.button("record_button"), container="view")).status == 200
    [modal] = bot.fake.wait_for_views()
    assert ModalContext.load(modal["private_metadata"]).response_url is None  # App Home interactions carry none
    assert bot.submit_entry(metadata=modal["private_metadata"], what="Recorded from the Home").status == 200
    [home] = bot.fake.wait_for("views.publish")
    assert home.args["user_id"] == "U1" and "Recorded from the Home" in json.dumps(home.args["view"])
    [dm] = bot.fake.calls_to("chat.postMessage")  # the Nice job, by DM: there is no response_url to answer
    assert dm.args["channel"] == "U1" and "Nice job" in dm.args["text"]


def test_an_open_counts_for_half_an_hour(bot):
    opened_at = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    seed(bot, "An earlier entry")
    bot.now = opened_at
    bot.open_home()
    bot.now = opened_at + HOME_LOOKED_AT - timedelta(minutes=1)
    bot.command("Still looking", key="still")
    nice_job_then_done(bot, "still")
    assert len(published(bot)) == 2 and "Still looking" in published(bot)[-1]
    bot.now = opened_at + HOME_LOOKED_AT + timedelta(minutes=1)
    bot.command("Long gone", key="gone")
    nice_job_then_done(bot, "gone")
    assert len(published(bot)) == 2  # the open's and the record's within the half hour, no more
    assert "Long gone" in json.dumps(bot.open_home())  # the next open shows it


def test_a_first_entry_recorded_elsewhere_shows_in_the_home_opened_before_it(bot):
    """Someone the app keeps nothing of opens the Home: there is nowhere to note it, and no row is
    made for them. Their first entry, recorded in a channel, still refreshes the Home they see."""
    assert "Nothing here yet" in json.dumps(bot.open_home())
    assert person_row(bot) is None
    bot.command("My very first", key="first")
    nice_job_then_done(bot, "first")
    _opened, refreshed = published(bot)
    assert "My very first" in refreshed and "Nothing here yet" not in refreshed


def test_a_first_entry_publishes_the_home_once_opened_or_not(bot):
    """What a first entry costs someone who never opens the Home: one publish, not one per record."""
    bot.command("My very first", key="first")
    nice_job_then_done(bot, "first")
    bot.command("My second", key="second")
    nice_job_then_done(bot, "second")
    [home] = published(bot)
    assert "My very first" in home and "My second" not in home


def test_opening_the_home_does_not_bring_back_someone_who_deleted_all_their_data(bot):
    seed(bot, "Mine")
    bot.open_home()
    assert person_row(bot).home_opened_at is not None  # kept while they have an entry
    assert bot.interact(payloads.view_submission({}, callback_id="delete_all_data_modal")).status == 200
    [told] = bot.fake.wait_for("chat.postMessage")
    assert "all your data in this workspace is deleted" in told.args["text"]
    assert "Nothing here yet" in json.dumps(bot.open_home())
    assert person_row(bot) is None and entries(bot) == []


def test_many_entries_are_capped_within_block_kit_limits(bot):
    for n in range(35):
        seed(
            bot,
            f"Mistake {n} " + "m" * 800,
            date(1990 + n, 1, 1),
            lesson="l" * 800,
            items=tuple(f"Step {k} " + "s" * 140 for k in range(7)),
            safeguards=("tests", "kill_switch"),
        )
    bot.event(home_opened())
    call = bot.fake.wait_for("views.publish")[0]
    view = call.args["view"]
    assert len(view["blocks"]) <= 100
    # 35 years of one entry each: 3 blocks a year, after the open action items and the language
    # menu, fit 28 of the 30
    assert len(entry_sections(view)) == 28
    assert "Showing the 28 most recent of 35" in json.dumps(view)
    assert headers(view)[1:3] == ["Open action items", "2024 · 1 entry"]
    assert_no_failed_calls(bot)


def test_a_maximal_entry_still_fits_the_home_tab(bot):
    # The longest entry the record modal accepts: 3,000 characters of what happened, a lesson written
    # as a list of short lines, 20 action items of 500 characters, every safeguard.
    seed(
        bot,
        "W" * 3000,
        date(2024, 1, 1),
        lesson="- ok\n" * 600,
        items=tuple("A" * 500 for _ in range(20)),
        safeguards=("tests", "reviewers", "monitoring", "gradual_rollout", "kill_switch", "runbook"),
    )
    bot.event(home_opened())
    [call] = publish_attempts(bot)
    section_lengths = [len(s["text"]["text"]) for s in entry_sections(call.args["view"])]
    assert call.ok, (call.error, section_lengths)
    assert max(section_lengths) <= 3000


def test_url_verification_challenge_is_answered(bot):
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    answer = bot.post(body, content_type="application/json")
    assert answer.status == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert bot.fake.calls == []


@pytest.mark.parametrize("signature", ["forged", "stale", "unsigned", "other-secret"])
def test_event_with_a_bad_signature_is_refused(bot, signature):
    seed(bot, "Secret entry", date(2024, 1, 1))
    body = payloads.event_callback(home_opened())
    headers = {
        "forged": {"X-Slack-Signature": "v0=" + "0" * 64},
        "stale": payloads.sign(SIGNING_SECRET, body, timestamp=int(time.time()) - 600),
        "unsigned": {},
        "other-secret": payloads.sign("not-the-secret", body),
    }[signature]
    answer = bot.post(body, content_type="application/json", headers=headers, signed=signature == "forged")
    assert answer.status == 401
    time.sleep(0.2)
    assert bot.fake.calls == []


def test_url_verification_with_a_bad_signature_is_refused(bot):
    body = json.dumps({"token": "legacy", "challenge": "abc", "type": "url_verification"}).encode()
    answer = bot.post(body, content_type="application/json", headers={"X-Slack-Signature": "v0=" + "1" * 64})
    assert answer.status == 401
    assert b"abc" not in answer.body


def app_rate_limited(team: str = payloads.TEAM) -> bytes:
    """What Slack sends, unsubscribed, when a workspace passes 30,000 event deliveries an hour."""
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "type": "app_rate_limited",
            "team_id": team,
            "minute_rate_limited": 1518467820,
            "api_app_id": "A0001",
        }
    ).encode()


def test_app_rate_limited_is_answered_200_and_logged_without_text(bot, caplog):
    caplog.set_level(logging.DEBUG)
    answer = bot.post(app_rate_limited(), content_type="application/json")
    assert (answer.status, answer.body) == (200, b"")
    [logged] = [r.getMessage() for r in caplog.records if "rate-limited event deliveries" in r.getMessage()]
    assert payloads.TEAM in logged and "1518467820" in logged
    assert bot.fake.calls == []


def test_app_rate_limited_with_a_bad_signature_is_refused(bot):
    answer = bot.post(
        app_rate_limited(), content_type="application/json", headers={"X-Slack-Signature": "v0=" + "2" * 64}
    )
    assert answer.status == 401


@pytest.mark.parametrize("event_type", ["member_joined_channel", "app_mention", "message", "team_join"])
def test_an_event_the_app_does_not_handle_is_answered_200(bot, event_type):
    event = {"type": event_type, "user": "U2", "channel": payloads.CHANNEL, "event_ts": "1700000000.000100"}
    answer = bot.event(event)
    assert answer.status == 200
    time.sleep(0.2)
    assert bot.fake.calls == []


@pytest.mark.parametrize(
    "body",
    [{"type": "no_such_thing", "team_id": payloads.TEAM}, {"token": "x", "team_id": payloads.TEAM}],
)
def test_what_is_not_a_slack_request_is_still_refused(bot, body):
    answer = bot.post(json.dumps(body).encode(), content_type="application/json")
    assert answer.status == 404
