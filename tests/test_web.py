"""The WSGI front door over real HTTP: health check, routing, size limit, and signed garbage."""

from __future__ import annotations

import http.client
import json

import pytest
from sqlalchemy import func, select

from bot.slack.web import MAX_BODY_BYTES
from storage.models import ActionItem, Entry, WorkspaceSettings
from tests import payloads
from tests.harness.bot import BotHarness
from tests.harness.config import SIGNING_SECRET
from tests.harness.http import FORM, JSON


def row_counts(bot) -> tuple[int, int, int]:
    with bot.session_factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Entry)),
            session.scalar(select(func.count()).select_from(ActionItem)),
            session.scalar(select(func.count()).select_from(WorkspaceSettings)),
        )


def assert_still_serves(bot) -> None:
    """A good request after the bad one is answered and recorded as usual."""
    before = len(bot.fake.responses)
    answer = bot.command("The good request after the garbage", key="after")
    assert answer.status == 200
    [message] = [m for key, m in bot.fake.wait_for_responses(before + 1) if key == "after"]
    assert "Nice job" in message["text"]
    bot.drain()  # the work after the ack, done: nothing outlives the test
    with bot.session_factory() as session:
        texts = list(session.scalars(select(Entry.what_happened)))
    assert texts == ["The good request after the garbage"]


# -- health check and routing -------------------------------------------------------------


def test_healthz_answers_200_when_the_database_is_up(bot):
    answer = bot.get("/healthz")
    assert answer.status == 200
    assert answer.json() == {"ok": True, "database": "ok"}


def test_healthz_answers_503_when_the_database_is_down(fake_slack, tmp_path):
    harness = BotHarness(fake_slack, f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        answer = harness.get("/healthz")
        assert answer.status == 503
        assert answer.json() == {"ok": False, "database": "unreachable"}
    finally:
        harness.close()


@pytest.mark.parametrize("path", ["/", "/nope", "/slack/events/extra", "/slack", "/healthz/x"])
def test_unknown_path_is_404(bot, path):
    assert bot.get(path).status == 404


def test_post_to_an_unknown_path_is_404_and_not_dispatched(bot):
    body = payloads.slash_command("posted to the wrong place", response_url=bot.fake.response_url())
    answer = bot.post(body, path="/slack/other")
    assert answer.status == 404
    assert row_counts(bot) == (0, 0, 0)
    assert bot.fake.calls == []


def test_get_on_slack_events_is_405(bot):
    answer = bot.get("/slack/events")
    assert answer.status == 405
    assert answer.json()["ok"] is False


def test_body_over_one_megabyte_is_refused_with_413_and_nothing_stored(bot):
    body = payloads.slash_command("x" * MAX_BODY_BYTES, response_url=bot.fake.response_url())
    assert len(body) > MAX_BODY_BYTES == 1_000_000
    # Refused on its Content-Length, before the body is read: so only the headers are sent (sending the
    # whole body into a server that has already answered and closed would race with that close).
    connection = http.client.HTTPConnection("127.0.0.1", bot.server.server_port, timeout=10)
    try:
        connection.putrequest("POST", "/slack/events")
        for name, value in {
            "Content-Type": FORM,
            "Content-Length": str(len(body)),
            **payloads.sign(SIGNING_SECRET, body),
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        answer = connection.getresponse()
        status, reply = answer.status, json.loads(answer.read())
    finally:
        connection.close()
    assert status == 413
    assert reply["ok"] is False
    assert row_counts(bot) == (0, 0, 0)
    assert bot.fake.calls == []
    assert_still_serves(bot)


def test_a_body_of_exactly_one_megabyte_reaches_the_app(bot):
    # Text over 3,000 characters is refused politely by the command, not by the size limit.
    template = payloads.slash_command("TEXT", response_url=bot.fake.response_url("cmd"))
    body = template.replace(b"TEXT", b"y" * (MAX_BODY_BYTES - len(template) + len("TEXT")))
    assert len(body) == MAX_BODY_BYTES
    answer = bot.post(body)
    assert answer.status == 200
    _key, message = bot.fake.wait_for_responses()[0]
    assert "longer than" in message["text"]
    assert row_counts(bot) == (0, 0, 0)


# -- signed garbage: a 4xx or a 200 no-op, never a 500 --------------------------------------


def _view_submission_without(key: str) -> bytes:
    payload = payloads.view_submission(payloads.record_values())
    del payload[key]
    return payloads.interactive(payload)


def _block_actions_with(**changes) -> bytes:
    payload = payloads.block_actions(payloads.button("undo_button", "1"))
    payload.update(changes)
    return payloads.interactive(payload)


def _event(event: dict, **changes) -> bytes:
    body = json.loads(payloads.event_callback(event))
    body.update(changes)
    return json.dumps(body).encode()


GARBAGE = {
    "payload_not_json": (b"payload=notjson", FORM),
    "payload_truncated_json": (b"payload=" + b"%7B%22type%22%3A%22view_submission%22%2C%22user", FORM),
    "truncated_json_body": (payloads.event_callback({"type": "app_home_opened", "user": "U1"})[:40], JSON),
    "json_array_body": (b"[1, 2, 3]", JSON),
    "json_scalar_body": (b'"just a string"', JSON),
    "unknown_envelope_type": (json.dumps({"type": "no_such_type", "team_id": "T0001"}).encode(), JSON),
    "unknown_event_type": (_event({"type": "no_such_event", "user": "U1"}), JSON),
    "event_not_an_object": (_event("app_home_opened"), JSON),
    "app_home_opened_without_user": (_event({"type": "app_home_opened", "tab": "home"}), JSON),
    "non_utf8_form": (b"payload=\xff\xfe\xfa\x00garbage", FORM),
    "non_utf8_json": (b'{"type": "\xff\xfe"}', JSON),
    "empty_body": (b"", FORM),
    "form_without_payload": (b"foo=bar&baz=1", FORM),
    "view_submission_without_user": (_view_submission_without("user"), FORM),
    "view_submission_without_view": (_view_submission_without("view"), FORM),
    "view_submission_view_is_a_string": (
        payloads.interactive({**payloads.view_submission(payloads.record_values()), "view": "record_entry_modal"}),
        FORM,
    ),
    "view_submission_state_is_a_list": (
        payloads.interactive(payloads.view_submission([1, 2, 3])),  # type: ignore[arg-type]
        FORM,
    ),
    "block_actions_actions_is_a_string": (_block_actions_with(actions="undo_button"), FORM),
    "block_actions_actions_empty": (_block_actions_with(actions=[]), FORM),
    "block_actions_action_is_a_string": (_block_actions_with(actions=["undo_button"]), FORM),
    "block_actions_without_user": (_block_actions_with(user=None), FORM),
    "block_actions_user_is_a_string": (_block_actions_with(user="U1"), FORM),
    "slash_command_without_user": (
        b"command=%2Ffail&text=something+broke&team_id=T0001&trigger_id=1.2.abc",
        FORM,
    ),
    "shortcut_without_trigger": (
        payloads.interactive(
            {
                k: v
                for k, v in payloads.message_shortcut("a message", response_url="http://127.0.0.1:9/none").items()
                if k != "trigger_id"
            }
        ),
        FORM,
    ),
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_signed_garbage_is_refused_or_ignored_never_a_500(bot, name):
    body, content_type = GARBAGE[name]
    answer = bot.post(body, content_type=content_type)
    assert 200 <= answer.status < 500 and answer.status != 401, f"{name}: HTTP {answer.status} {answer.body[:200]!r}"
    assert row_counts(bot) == (0, 0, 0)
    assert_still_serves(bot)


def test_telling_the_person_of_a_failure_does_not_delay_the_ack(fake_slack, tmp_path):
    """A failure is told after the ack, on another thread: a slow response_url never makes Slack's 200 late."""
    harness = BotHarness(fake_slack, f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        fake_slack.delay_once("response", 2)
        status = harness.command("resume", key="resume-slow").status
        told_before_the_ack = fake_slack.calls_to("response")
        [(_key, message)] = fake_slack.wait_for_responses(1)
    finally:
        harness.close()
    assert status == 200
    assert told_before_the_ack == []
    assert "went wrong" in message["text"]


def test_a_listener_failing_before_its_ack_still_answers_slack_with_200(fake_slack, tmp_path):
    """The database is down, so `/fail resume` raises before its ack: Slack must still get its 200, every
    time, and the person hears that something went wrong."""
    harness = BotHarness(fake_slack, f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        statuses = [harness.command("resume", key=f"resume-{n}").status for n in range(4)]
        answers = fake_slack.wait_for_responses(4)
    finally:
        harness.close()
    assert statuses == [200] * 4
    assert all("went wrong" in message["text"] for _key, message in answers)
