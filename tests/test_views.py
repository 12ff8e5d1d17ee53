"""Modal submissions over signed HTTP: record and edit an entry, delete it, change who sees it, settings."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.blocks.entry_modal import ModalContext
from storage.models import ActionItem, WorkspaceSettings
from tests import payloads
from tests.checks import assert_field_error, assert_no_failed_calls, shown
from tests.harness.bot import BotHarness
from tests.harness.clicks import choice, modal_ctx, settings_values, submit_dialog
from tests.payloads import ADMIN
from tests.rows import entries, seed, snapshot

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


# ---- helpers --------------------------------------------------------------------------


def action_item_rows(bot) -> list[tuple[int, int, str]]:
    with bot.session_factory() as session:
        return [(i.entry_id, i.position, i.text) for i in session.scalars(select(ActionItem).order_by(ActionItem.id))]


def settings_rows(bot) -> list[WorkspaceSettings]:
    with bot.session_factory() as session:
        return list(session.scalars(select(WorkspaceSettings)))


def visibility_values(value: str) -> dict:
    return {"visibility_block": choice("visibility_input", "radio_buttons", value)}


# ---- the record modal: validation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "block_id"),
    [
        pytest.param({"what": ""}, "what_block", id="empty-what"),
        pytest.param({"what": "   \n  "}, "what_block", id="blank-what"),
        pytest.param({"what": None}, "what_block", id="missing-what"),
        pytest.param({"what": "x" * 3001}, "what_block", id="what-3001"),
        pytest.param({"lesson": "y" * 3001}, "lesson_block", id="lesson-3001"),
        pytest.param({"action_items": "z" * 3001}, "action_items_block", id="action-items-3001"),
        pytest.param(
            {"action_items": "\n".join(f"Step {n}" for n in range(21))}, "action_items_block", id="21-action-items"
        ),
        pytest.param({"action_items": "a" * 501}, "action_items_block", id="action-item-501"),
        pytest.param({"category": "sabotage"}, "category_block", id="forged-category"),
        pytest.param({"visibility": "everyone"}, "visibility_block", id="forged-visibility"),
        pytest.param({"when": None}, "when_block", id="missing-date"),
        pytest.param({"when": "2024-13-45"}, "when_block", id="bad-date"),
        pytest.param({"when": "2024-06-03"}, "when_block", id="future-date"),
    ],
)
def test_invalid_submission_shows_the_error_on_the_field_and_stores_nothing(bot, values, block_id):
    bot.now = NOW
    answer = bot.submit_entry(metadata=modal_ctx(bot), **values)
    assert_field_error(answer, block_id)
    assert entries(bot) == []
    assert bot.fake.calls == [] and bot.fake.responses == []


@pytest.mark.parametrize("block_id", ["category_block", "visibility_block"])
def test_missing_choice_is_an_error_on_that_field(bot, block_id):
    values = payloads.record_values()
    del values[block_id]
    answer = bot.interact(payloads.view_submission(values))
    assert_field_error(answer, block_id)
    assert entries(bot) == []


def test_missing_state_reports_every_required_field(bot):
    answer = bot.interact(payloads.view_submission({}))
    assert answer.status == 200
    errors = answer.json()["errors"]
    assert set(errors) == {"what_block", "category_block", "when_block", "visibility_block"}
    assert entries(bot) == []


def test_limits_are_inclusive(bot):
    bot.now = NOW
    what = "w" * 3000
    items = "\n".join("i" * 500 if n == 0 else f"Step {n}" for n in range(20))
    # 2024-06-02 is already "today" at UTC+14 when it is noon in UTC.
    answer = bot.submit_entry(what=what, lesson="l" * 3000, action_items=items, when="2024-06-02")
    assert answer.status == 200 and answer.body == b""
    bot.fake.wait_for("views.publish")
    [entry] = entries(bot)
    assert entry.what_happened == what and len(entry.lesson) == 3000
    assert len(entry.action_items) == 20
    assert entry.happened_on == date(2024, 6, 2)
    assert_no_failed_calls(bot)


# ---- the record modal: a valid submission ---------------------------------------------------


def test_valid_submission_closes_the_modal_stores_the_entry_and_says_nice_job(bot):
    bot.now = NOW
    answer = bot.submit_entry(metadata=modal_ctx(bot, "modal"))
    assert answer.status == 200
    assert answer.body == b""  # an empty ack closes the modal

    key, message = bot.fake.wait_for_responses()[0]
    assert key == "modal"
    assert message["text"].startswith("Nice job")
    assert message["response_type"] == "ephemeral"
    assert "We deployed on a Friday" in shown(bot.open_home())

    [entry] = entries(bot)
    assert (entry.enterprise_id, entry.team_id, entry.user_id) == ("", "T0001", "U1")
    assert entry.what_happened == "We deployed on a Friday and the cache fell over."
    assert entry.lesson == "Deploy early in the week, behind a flag."
    assert entry.category == "engineering"
    assert entry.happened_on == date(2024, 3, 1)
    assert entry.safeguards == ["gradual_rollout", "kill_switch"]
    assert entry.visibility == "private" and entry.shared_at is None
    assert entry.source_link is None
    assert action_item_rows(bot) == [(entry.id, 0, "Add a kill switch"), (entry.id, 1, "Alert on cache misses")]
    assert bot.fake.calls_to("chat.postMessage", ok_only=False) == []
    assert_no_failed_calls(bot)


def test_without_a_response_url_the_acknowledgement_is_a_direct_message(bot):
    bot.submit_entry(user="U7", metadata="")
    post = bot.fake.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "U7"
    assert post.args["text"].startswith("Nice job")
    bot.fake.wait_for("views.publish")
    assert bot.fake.responses == []
    [entry] = entries(bot)
    assert entry.user_id == "U7"
    assert_no_failed_calls(bot)


def test_shared_entry_records_when_it_was_shared_and_drops_unknown_safeguards(bot):
    bot.now = NOW
    bot.submit_entry(visibility="anonymous", safeguards=("tests", "bribery"))
    bot.fake.wait_for("views.publish")
    [entry] = entries(bot)
    assert entry.team_id == "T0001"
    assert entry.visibility == "anonymous"
    assert entry.shared_at == NOW
    assert entry.safeguards == ["tests"]


def test_entry_from_1990_is_accepted_for_back_filling(bot):
    answer = bot.submit_entry(what="Lost the only copy of my thesis", when="1990-07-15")
    assert answer.status == 200 and answer.body == b""
    home = bot.fake.wait_for("views.publish")[0]
    headers = [b["text"]["text"] for b in home.args["view"]["blocks"] if b["type"] == "header"]
    assert any(h.startswith("1990") for h in headers)
    [entry] = entries(bot)
    assert entry.happened_on == date(1990, 7, 15)


def test_same_view_submitted_twice_stores_one_entry_and_acknowledges_once(bot):
    payload = payloads.view_submission(payloads.record_values(), private_metadata=modal_ctx(bot, "modal"))
    first = bot.interact(payload)
    second = bot.interact(payload)
    assert (first.status, second.status) == (200, 200)
    assert first.body == second.body == b""
    bot.drain()  # the replay promises nothing: its first copy's Nice job answers it
    assert len(bot.fake.calls_to("views.publish")) == 1  # a first entry: its Nice job publishes the Home
    assert len(entries(bot)) == 1
    assert len(action_item_rows(bot)) == 2
    assert len(bot.fake.responses) == 1
    assert bot.fake.calls_to("chat.postMessage", ok_only=False) == []


@pytest.mark.parametrize("reply_by", ["response_url", "direct_message"])
def test_same_view_submitted_concurrently_stores_one_entry_and_acknowledges_once(bot, reply_by):
    metadata = modal_ctx(bot, "modal") if reply_by == "response_url" else ""
    payload = payloads.view_submission(payloads.record_values(), private_metadata=metadata)
    start = threading.Barrier(2)
    answers = []

    def submit():
        start.wait()
        answers.append(bot.interact(payload))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert [a.status for a in answers] == [200, 200]
    bot.drain()
    assert len(entries(bot)) == 1
    assert len(action_item_rows(bot)) == 2
    sent = bot.fake.responses if reply_by == "response_url" else bot.fake.calls_to("chat.postMessage", ok_only=False)
    texts = [m["text"] for _key, m in sent] if reply_by == "response_url" else [c.args["text"] for c in sent]
    assert len(texts) == 1 and texts[0].startswith("Nice job")
    assert not any("could not be saved" in text for text in texts)


def test_unicode_and_mentions_round_trip_byte_for_byte(bot):
    what = "배포를 금요일에 했어요 🙈 <!channel> <@U999> & <https://x.example|link> 👩\u200d💻 🇰🇷"
    lesson = "다음엔 월요일에 배포 🚀 — <!here>"
    items = ("롤백 스크립트 준비 ✅", "알림 추가 🔔 <!everyone>")
    bot.submit_entry(what=what, lesson=lesson, action_items="\n".join(items))
    home = bot.fake.wait_for("views.publish")[0]
    [entry] = entries(bot)
    assert entry.what_happened.encode("utf-8") == what.encode("utf-8")
    assert entry.lesson.encode("utf-8") == lesson.encode("utf-8")
    assert tuple(i.text for i in entry.action_items) == items
    # Shown in the Home tab, the mentions are inert text.
    text = shown(home.args["view"])
    assert "배포를 금요일에 했어요 🙈 &lt;!channel&gt; &lt;@U999&gt; &amp;" in text
    assert "<!channel>" not in text and "<!here>" not in text and "<@U999>" not in text


# ---- the record modal: editing ---------------------------------------------------------------


def test_editing_through_private_metadata_updates_the_entry_in_place(bot):
    bot.now = NOW
    bot.submit_entry(metadata=modal_ctx(bot, "first"), lesson=None, action_items="Add a kill switch\nOld step")
    bot.drain()
    [before] = entries(bot)

    answer = bot.submit_entry(
        metadata=modal_ctx(bot, "edit", entry_id=before.id),
        what="We deployed on a Friday and the cache fell over.",
        lesson="Feature flags first.",
        action_items="Add a kill switch\nNew step",
        visibility="named",
        category="data",
        when="2024-02-29",
        safeguards=("monitoring",),
    )
    assert answer.status == 200 and answer.body == b""
    replies = dict(bot.fake.wait_for_responses(2))
    assert replies["edit"]["text"] == "Saved. Thank you for adding the lesson."
    bot.drain()

    [after] = entries(bot)
    assert after.id == before.id
    assert (after.team_id, after.user_id, after.created_at) == (before.team_id, before.user_id, before.created_at)
    assert after.lesson == "Feature flags first."
    assert (after.category, after.happened_on, after.safeguards) == ("data", date(2024, 2, 29), ["monitoring"])
    assert after.visibility == "named" and after.shared_at == NOW
    assert [(p, t) for _e, p, t in action_item_rows(bot)] == [(0, "Add a kill switch"), (1, "New step")]
    assert len(bot.fake.responses) == 2  # the first acknowledgement and the "Saved"


def test_editing_from_the_home_tab_sends_no_second_acknowledgement(bot):
    entry_id = seed(bot, lesson=None)
    bot.submit_entry(metadata=ModalContext(entry_id=entry_id).dump(), what="Reworded", lesson="Learned")
    bot.fake.wait_for("views.publish")
    [entry] = entries(bot)
    assert (entry.id, entry.what_happened, entry.lesson) == (entry_id, "Reworded", "Learned")
    assert bot.fake.calls_to("chat.postMessage", ok_only=False) == [] and bot.fake.responses == []


@pytest.mark.parametrize("owner", ["another_user", "another_workspace", "no_such_entry"])
def test_editing_an_entry_that_is_not_yours_is_refused_and_changes_nothing(bot, owner):
    other = {
        "another_user": lambda: seed(bot, user="U2", what="U2's private mistake"),
        "another_workspace": lambda: seed(bot, user="U1", team="T0002", what="Other workspace's mistake"),
        "no_such_entry": lambda: seed(bot, user="U1", what="Mine") + 1000,
    }[owner]()
    before = snapshot(bot)
    answer = bot.submit_entry(metadata=modal_ctx(bot, "edit", entry_id=other), what="Overwritten!", lesson="Hijacked")
    assert answer.status == 200
    _key, message = bot.fake.wait_for_responses()[0]
    assert "not on your resume" in message["text"]
    assert "Nice job" not in message["text"]
    assert snapshot(bot) == before
    assert "Overwritten!" not in shown(message)


@pytest.mark.parametrize("response_url", [True, False])
def test_database_down_keeps_the_modal_open_with_the_words_in_it(fake_slack, tmp_path, response_url):
    harness = BotHarness(fake_slack, f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        answer = harness.submit_entry(
            metadata=ModalContext(response_url=fake_slack.response_url("down")).dump() if response_url else "",
            what="The database was down",
            lesson="Keep a copy",
            action_items="Retry later\nTell the team",
        )
        # Slack keeps the modal, and so the person's words, open; nothing claims it was saved.
        assert answer.status == 200
        assert answer.json()["response_action"] == "errors"
        assert "could not be saved" in answer.json()["errors"]["what_block"]
        time.sleep(0.3)
        assert fake_slack.calls == []
    finally:
        harness.close()


def test_delete_modal_deletes_ones_own_entry_and_its_action_items(bot):
    mine = seed(bot, what="Mine to delete", items=("a", "b"))
    kept = seed(bot, what="Mine to keep", items=("c",))
    answer = submit_dialog(bot, "delete_entry_modal", {}, json.dumps({"entry_id": mine}))
    assert answer.status == 200 and answer.body == b""
    home = bot.fake.wait_for("views.publish")[0]
    assert "Mine to delete" not in shown(home.args["view"]) and "Mine to keep" in shown(home.args["view"])
    assert [e.id for e in entries(bot)] == [kept]
    assert [row[0] for row in action_item_rows(bot)] == [kept]


@pytest.mark.parametrize(
    "metadata",
    ["another_user", "another_workspace", '{"entry_id": "1"}', "{}", "not json", "[1]", ""],
)
def test_delete_modal_never_deletes_someone_elses_entry(bot, metadata):
    other_user = seed(bot, user="U2", what="U2's")
    other_team = seed(bot, user="U1", team="T0002", what="T2's")
    metadata = {
        "another_user": json.dumps({"entry_id": other_user}),
        "another_workspace": json.dumps({"entry_id": other_team}),
    }.get(metadata, metadata)
    before = snapshot(bot)
    answer = submit_dialog(bot, "delete_entry_modal", {}, metadata)
    assert answer.status == 200
    post = bot.fake.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "U1" and "not on your resume" in post.args["text"]
    assert snapshot(bot) == before
    assert bot.fake.calls_to("views.publish", ok_only=False) == []


def test_change_visibility_modal_shares_and_unshares(bot):
    bot.now = NOW
    mine = seed(bot, what="Shareable")
    answer = submit_dialog(bot, "change_visibility_modal", visibility_values("named"), json.dumps({"entry_id": mine}))
    assert answer.status == 200 and answer.body == b""
    bot.fake.wait_for("views.publish")
    [entry] = entries(bot)
    assert (entry.visibility, entry.shared_at) == ("named", NOW)

    submit_dialog(bot, "change_visibility_modal", visibility_values("private"), json.dumps({"entry_id": mine}))
    bot.fake.wait_for("views.publish", count=2)
    [entry] = entries(bot)
    assert (entry.visibility, entry.shared_at) == ("private", None)


@pytest.mark.parametrize("value", ["public", ""])
def test_change_visibility_modal_refuses_a_forged_choice(bot, value):
    mine = seed(bot)
    before = snapshot(bot)
    answer = submit_dialog(bot, "change_visibility_modal", visibility_values(value), json.dumps({"entry_id": mine}))
    assert_field_error(answer, "visibility_block")
    assert snapshot(bot) == before


@pytest.mark.parametrize("owner", ["another_user", "another_workspace"])
def test_change_visibility_of_someone_elses_entry_is_refused(bot, owner):
    other = seed(bot, user="U2") if owner == "another_user" else seed(bot, user="U1", team="T0002")
    before = snapshot(bot)
    submit_dialog(bot, "change_visibility_modal", visibility_values("named"), json.dumps({"entry_id": other}))
    post = bot.fake.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "U1" and "not on your resume" in post.args["text"]
    assert snapshot(bot) == before


# ---- settings ----------------------------------------------------------------------------------


def test_admin_saves_workspace_settings_and_new_modals_use_the_default(bot):
    bot.now = NOW
    bot.fake.users["U1"] = ADMIN
    answer = submit_dialog(bot, "settings_modal", settings_values())
    assert answer.status == 200 and answer.body == b""
    post = bot.fake.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "U1" and post.args["text"] == "Settings saved."
    [row] = settings_rows(bot)
    assert (row.enterprise_id, row.team_id) == ("", "T0001")
    assert (row.retro_channel, row.digest_cadence, row.prompt_day, row.default_visibility) == (
        "C0RETRO",
        "weekly",
        5,
        "anonymous",
    )
    assert (row.updated_by, row.updated_at) == ("U1", NOW)

    bot.command("")
    view = bot.fake.wait_for_views()[0]
    visibility = next(b for b in view["blocks"] if b.get("block_id") == "visibility_block")
    assert visibility["element"]["initial_option"]["value"] == "anonymous"


def test_admin_can_clear_the_retro_channel(bot):
    bot.fake.users["U1"] = ADMIN
    submit_dialog(bot, "settings_modal", settings_values())
    bot.fake.wait_for("chat.postMessage")
    submit_dialog(bot, "settings_modal", settings_values(channel=None, cadence="monthly", day="0"))
    bot.fake.wait_for("chat.postMessage", count=2)
    [row] = settings_rows(bot)
    assert (row.retro_channel, row.digest_cadence, row.prompt_day) == (None, "monthly", 0)


def test_non_admin_settings_submission_is_politely_refused(bot):
    answer = submit_dialog(bot, "settings_modal", settings_values(), user="U2")
    assert answer.status == 200
    # The modal itself says so, in place of the form.
    refusal = answer.json()
    assert refusal["response_action"] == "update" and refusal["view"]["callback_id"] == "notice_modal"
    assert "Only workspace admins" in json.dumps(refusal["view"])
    assert settings_rows(bot) == []
    assert bot.fake.calls_to("chat.postMessage", ok_only=False) == []


def test_settings_are_saved_by_the_time_the_modal_closes(bot):
    bot.fake.users["U1"] = ADMIN
    bot.fake.set_delay("chat.postMessage", 1.0)  # the "Settings saved." comes after the ack
    assert submit_dialog(bot, "settings_modal", settings_values()).status == 200
    assert len(settings_rows(bot)) == 1


@pytest.mark.parametrize("channel", ["D0123ABCD", "U0123ABCD", "C12; DROP"])
def test_settings_refuse_a_retro_channel_that_is_not_a_channel(bot, channel):
    bot.fake.users["U1"] = ADMIN
    answer = submit_dialog(bot, "settings_modal", settings_values(channel=channel))
    assert_field_error(answer, "retro_channel_block")
    assert settings_rows(bot) == []


@pytest.mark.parametrize(
    ("values", "block_id"),
    [
        pytest.param({"cadence": "hourly"}, "digest_cadence_block", id="cadence"),
        pytest.param({"day": "29"}, "prompt_day_block", id="day-29"),
        pytest.param({"day": "-1"}, "prompt_day_block", id="day-negative"),
        pytest.param({"visibility": "everyone"}, "default_visibility_block", id="visibility"),
    ],
)
def test_settings_refuse_forged_choices(bot, values, block_id):
    bot.fake.users["U1"] = ADMIN
    answer = submit_dialog(bot, "settings_modal", settings_values(**values))
    assert_field_error(answer, block_id)
    assert settings_rows(bot) == []
