"""The fake Slack Web API, driven by the real slack_sdk clients the bot uses."""

import json
import os
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ServerErrorRetryHandler,  # not re-exported by http_retry
)
from slack_sdk.webhook import WebhookClient

from tests import payloads
from tests.fakes.server import FakeSlack

REPO = Path(__file__).resolve().parents[1]
METHODS_DIR = Path(os.environ.get("SLACK_REFERENCE_DIR", REPO.parent / "shared" / "slack")) / "methods"
BOT_SCOPES = ["commands", "chat:write", "im:write", "users:read", "files:write"]


def section(text="Hello"):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(title="Record a failure"):
    return {
        "type": "modal",
        "callback_id": "record_modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [section()],
    }


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "manifest.yml"
    manifest = {
        "display_information": {"name": "Failure Resume"},
        "features": {"bot_user": {"display_name": "Failure Resume"}},
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
    }
    path.write_text(yaml.safe_dump(manifest))
    return path


@pytest.fixture
def reference():
    if not METHODS_DIR.is_dir():
        pytest.skip("Slack reference data not found at ../shared/slack (a clone outside the team)")
    return METHODS_DIR


@pytest.fixture
def fake(manifest):
    with FakeSlack(manifest, METHODS_DIR if METHODS_DIR.is_dir() else None) as running:
        yield running


@pytest.fixture
def client(fake):
    return WebClient(token="xoxb-test", base_url=fake.url)


def slack_error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def test_auth_test_answers_what_bolt_reads(client):
    response = client.auth_test()

    assert (response["team_id"], response["user_id"], response["bot_id"]) == ("T0001", "UBOT", "BBOT")
    # Bolt looks this header up in a plain dict, so its name must be lowercase.
    assert response.headers["x-oauth-scopes"] == ",".join(BOT_SCOPES)


def test_unknown_method_is_refused(reference, fake, client):
    error = slack_error(lambda: client.api_call("chat.postMesage", json={"channel": "C1", "text": "hi"}))

    assert error.response["error"] == "unknown_method"
    assert fake.calls_to("chat.postMesage", ok_only=False)[0].error == "unknown_method"


def test_without_reference_data_any_method_answers_ok(manifest):
    with FakeSlack(manifest, None) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)

        assert client.api_call("anything.atAll")["ok"] is True
        assert client.chat_postMessage(channel="C1", text="hi")["ts"]
        refused = slack_error(lambda: client.chat_postMessage(channel="C1", text="t", blocks=[section("")]))
        assert refused.response["error"] == "invalid_blocks"


def test_missing_required_argument_is_refused(reference, fake, client):
    error = slack_error(lambda: client.api_call("chat.postMessage", json={"text": "hi", "channel": None}))

    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == ["[ERROR] missing required field: channel"]


def test_empty_required_argument_is_refused(reference, client):
    error = slack_error(lambda: client.chat_postEphemeral(channel="C1", user="", text="hi"))

    assert error.response["error"] == "invalid_arguments"
    assert "user" in error.response["response_metadata"]["messages"][0]


def test_scope_missing_from_manifest_is_refused(reference, client):
    error = slack_error(lambda: client.reactions_add(channel="C1", name="tada", timestamp="1700000000.1"))

    assert error.response["error"] == "missing_scope"
    assert error.response["needed"] == "reactions:write"
    assert error.response["provided"] == ",".join(BOT_SCOPES)


def test_any_one_listed_scope_suffices(reference, client):
    # conversations.open lists channels:manage, groups:write, im:write and mpim:write.
    assert client.conversations_open(users="U123")["channel"]["id"] == "DU123"


def test_bad_or_missing_token_is_refused(fake):
    wrong = WebClient(token="xoxb-wrong", base_url=fake.url)
    anonymous = WebClient(base_url=fake.url)

    assert slack_error(wrong.auth_test).response["error"] == "invalid_auth"
    assert slack_error(anonymous.auth_test).response["error"] == "not_authed"
    assert [c.ok for c in fake.calls] == [False, False]


def test_form_body_with_token_argument_and_json_string_blocks(fake):
    blocks = [section("From a form")]
    body = f"token=xoxb-test&channel=C1&text=hi&blocks={urllib.parse.quote(json.dumps(blocks))}"
    request = urllib.request.Request(fake.url + "chat.postMessage", data=body.encode(), method="POST")

    with urllib.request.urlopen(request) as response:
        assert json.load(response)["ok"] is True
    (call,) = fake.calls_to("chat.postMessage")
    assert call.args == {"channel": "C1", "text": "hi", "blocks": blocks}


def test_post_message_answers_and_records(fake, client):
    first = client.chat_postMessage(channel="C1", text="one", blocks=[section("one")])
    second = client.chat_postMessage(channel="C1", text="two")

    assert first["ts"] == "1700000000.000100" and second["ts"] == "1700000000.000200"
    assert first["message"]["blocks"] == [section("one")]
    calls = fake.wait_for("chat.postMessage", count=2)
    # slack_sdk sends messages as JSON; the fake records the decoded arguments, token aside.
    assert calls[0].args == {"channel": "C1", "text": "one", "blocks": [section("one")]}


def test_51_message_blocks_are_refused_and_recorded(fake, client):
    client.chat_postMessage(channel="C1", text="fifty", blocks=[section()] * 50)
    error = slack_error(lambda: client.chat_postMessage(channel="C1", text="many", blocks=[section()] * 51))

    assert error.response["error"] == "invalid_blocks"
    (refused,) = [c for c in fake.calls_to("chat.postMessage", ok_only=False) if not c.ok]
    assert len(refused.args["blocks"]) == 51 and refused.error == "invalid_blocks"


@pytest.mark.parametrize(
    "block",
    [
        section(""),
        section("x" * 3001),
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        {"type": "no_such_block"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ""}]},
    ],
    ids=["empty text", "long section", "long header", "unknown type", "empty context"],
)
def test_blocks_slack_would_refuse(client, block):
    error = slack_error(lambda: client.chat_update(channel="C1", ts="1700000000.1", text="t", blocks=[block]))

    assert error.response["error"] == "invalid_blocks"


def test_message_without_text_or_blocks_is_refused(client):
    with pytest.warns(UserWarning, match="text"):
        assert slack_error(lambda: client.chat_postMessage(channel="C1")).response["error"] == "no_text"


def test_modal_title_of_25_characters_is_refused(fake, client):
    opened = client.views_open(trigger_id=payloads.trigger_id(), view=modal("x" * 24))
    error = slack_error(lambda: client.views_open(trigger_id=payloads.trigger_id(), view=modal("x" * 25)))

    assert opened["view"]["id"].startswith("V") and opened["view"]["callback_id"] == "record_modal"
    assert error.response["error"] == "invalid_arguments"
    assert "title" in error.response["response_metadata"]["messages"][0]
    assert [c.ok for c in fake.calls_to("views.open", ok_only=False)] == [True, False]


def old_trigger_id(seconds_ago: float) -> str:
    return f"1.{int((time.time() - seconds_ago) * 1000)}.abcdef0123"


@pytest.mark.parametrize("method", ["views_open", "views_push"])
def test_a_fresh_trigger_id_opens_one_view(client, fake, method):
    open_view = getattr(client, method)
    trigger = payloads.trigger_id()

    assert open_view(trigger_id=trigger, view=modal())["ok"]
    error = slack_error(lambda: open_view(trigger_id=trigger, view=modal()))

    assert error.response["error"] == "exchanged_trigger_id"
    assert [c.error for c in fake.calls_to(method.replace("_", "."), ok_only=False)] == [None, "exchanged_trigger_id"]


def test_a_trigger_id_spent_by_open_cannot_push(client):
    trigger = payloads.trigger_id()
    client.views_open(trigger_id=trigger, view=modal())

    assert slack_error(lambda: client.views_push(trigger_id=trigger, view=modal())).response["error"] == (
        "exchanged_trigger_id"
    )


def test_a_refused_view_does_not_spend_its_trigger_id(client):
    trigger = payloads.trigger_id()

    assert slack_error(lambda: client.views_open(trigger_id=trigger, view=modal("x" * 25))).response["error"] == (
        "invalid_arguments"
    )
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_a_trigger_id_over_3_seconds_old_has_expired(client, fake):
    assert client.views_open(trigger_id=old_trigger_id(2.5), view=modal())["ok"]

    for method in (client.views_open, client.views_push):
        error = slack_error(lambda method=method: method(trigger_id=old_trigger_id(3.5), view=modal()))
        assert error.response["error"] == "expired_trigger_id"
    # Slack's own, e.g. from a recorded payload, are long expired too.
    error = slack_error(lambda: client.views_open(trigger_id="13345224609.738474920.8088930838d88f008e0", view=modal()))
    assert error.response["error"] == "expired_trigger_id"


@pytest.mark.parametrize("trigger", ["t1", "12345", "1.2", "1.abc.def", "1.2.3.4", "1.2.ab-cd", " 1.2.abc"])
def test_a_trigger_id_the_fake_cannot_parse_is_invalid(client, trigger):
    assert slack_error(lambda: client.views_open(trigger_id=trigger, view=modal())).response["error"] == (
        "invalid_trigger_id"
    )


@pytest.mark.parametrize("method", ["views_open", "views_push"])
def test_a_view_without_trigger_id_is_refused(client, fake, method):
    error = slack_error(lambda: getattr(client, method)(view=modal()))

    assert error.response["error"] == "invalid_arguments"
    assert "trigger_id" in error.response["response_metadata"]["messages"][0]
    assert fake.calls_to(method.replace("_", "."), ok_only=False)[0].ok is False


def test_an_interactivity_pointer_stands_in_for_a_trigger_id(client):
    pointer = payloads.trigger_id()

    assert client.views_open(interactivity_pointer=pointer, view=modal())["ok"]
    assert slack_error(lambda: client.views_push(trigger_id=pointer, view=modal())).response["error"] == (
        "exchanged_trigger_id"
    )


def test_views_update_and_publish_need_no_trigger_id(client):
    opened = client.views_open(trigger_id=payloads.trigger_id(), view=modal())["view"]
    assert client.views_update(view_id=opened["id"], view=modal())["ok"]
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [section()]})["ok"]


def test_views_update_changes_only_a_modal_that_was_opened_and_only_its_latest_version(client, fake):
    assert slack_error(lambda: client.views_update(view_id="V404", view=modal())).response["error"] == "not_found"
    opened = client.views_open(trigger_id=payloads.trigger_id(), view={**modal(), "callback_id": "first"})["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view={**modal(), "callback_id": "second"})
    stale = slack_error(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal()))
    assert stale.response["error"] == "hash_conflict"
    assert [view["callback_id"] for view in fake.wait_for_views()] == ["second"]
    assert updated["view"]["hash"] != opened["hash"]


def test_view_limits(client):
    too_many = {"type": "home", "blocks": [section()] * 101}
    long_metadata = {**modal(), "private_metadata": "x" * 3001}

    for view in (too_many, long_metadata):
        assert slack_error(lambda: client.views_publish(user_id="U1", view=view)).response["error"] == (
            "invalid_arguments"
        )
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [section()] * 100})["ok"]


def test_queued_429_raises_and_a_retry_handler_recovers(fake):
    plain = WebClient(token="xoxb-test", base_url=fake.url)
    patient = WebClient(
        token="xoxb-test", base_url=fake.url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    fake.queue_failure("chat.postMessage", status=429, retry_after=0)
    fake.queue_failure("chat.postMessage", status=429, retry_after=0)

    error = slack_error(lambda: plain.chat_postMessage(channel="C1", text="hi"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "0"
    assert patient.chat_postMessage(channel="C1", text="hi")["ok"]
    assert [c.status for c in fake.calls_to("chat.postMessage", ok_only=False)] == [429, 429, 200]


def test_queued_500_raises_and_a_retry_handler_recovers(fake):
    plain = WebClient(token="xoxb-test", base_url=fake.url)
    quick = FixedValueRetryIntervalCalculator(0.01)
    patient = WebClient(
        token="xoxb-test",
        base_url=fake.url,
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=1, interval_calculator=quick)],
    )
    fake.queue_failure("users.info", status=500)
    fake.queue_failure("users.info", status=500)

    assert slack_error(lambda: plain.users_info(user="U1")).response.status_code == 500
    assert patient.users_info(user="U1")["user"]["id"] == "U1"


def test_queued_error_answers_ok_false(client, fake):
    fake.queue_failure("chat.postMessage", error="channel_not_found")

    error = slack_error(lambda: client.chat_postMessage(channel="C1", text="hi"))
    assert (error.response.status_code, error.response["error"]) == (200, "channel_not_found")
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]  # one-shot


def test_users_info_known_and_default(fake, client):
    fake.users["UADMIN"] = {"id": "UADMIN", "name": "boss", "is_admin": True, "tz": "Asia/Tokyo"}

    assert client.users_info(user="UADMIN")["user"]["is_admin"] is True
    default = client.users_info(user="U9")["user"]
    assert (default["team_id"], default["tz"], default["is_admin"], default["is_bot"]) == (
        "T0001",
        "Europe/London",
        False,
        False,
    )


def test_permalink(client):
    permalink = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")["permalink"]

    assert permalink.endswith("/archives/C1/p1700000000000100")


def test_files_upload_v2_end_to_end(fake, client):
    data = bytes(range(256)) * 3  # not UTF-8: proves the bytes are stored raw

    response = client.files_upload_v2(channel="C1", file=data, filename="resume.bin", title="Resume")

    file_id = response["file"]["id"]
    assert fake.uploads == {file_id: data}
    assert response["file"]["size"] == len(data)
    methods = [c.method for c in fake.calls]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert fake.calls[-1].args["files"][0]["id"] == file_id


def test_multipart_upload_is_stored(fake, client):
    upload = client.files_getUploadURLExternal(filename="a.txt", length=5)
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(upload["upload_url"], data=body, headers=headers, method="POST")

    with urllib.request.urlopen(request) as response:
        assert response.read() == b"OK - 5"
    assert fake.uploads == {upload["file_id"]: b"hello"}


def test_completing_an_upload_that_never_arrived_is_refused(client):
    client.files_getUploadURLExternal(filename="a.txt", length=5)

    error = slack_error(lambda: client.files_completeUploadExternal(files=[{"id": "F1", "title": "a"}]))
    assert error.response["error"] == "file_not_found"


def test_response_url_post_is_recorded(fake):
    webhook = WebhookClient(fake.response_url("r7"))

    sent = webhook.send(text="Saved", blocks=[section("Saved")], response_type="ephemeral")

    assert (sent.status_code, sent.body) == (200, "ok")
    assert fake.wait_for_responses() == [
        ("r7", {"text": "Saved", "blocks": [section("Saved")], "response_type": "ephemeral"})
    ]


def test_response_url_refuses_bad_blocks_and_queued_failures(fake):
    webhook = WebhookClient(fake.response_url())
    fake.queue_failure("response", error="expired_url")

    assert webhook.send(text="late").status_code == 400
    refused = webhook.send(text="x", blocks=[section()] * 51)
    assert (refused.status_code, refused.body) == (400, "invalid_blocks")
    assert fake.responses == []
    assert [c.error for c in fake.calls_to("response", ok_only=False)] == ["expired_url", "invalid_blocks"]


def test_response_url_takes_five_posts_then_answers_404_used_url(fake):
    webhook = WebhookClient(fake.response_url("r5"))
    assert fake.response_url("r5") == fake.response_url("r5")
    webhook.send(text="bad", blocks=[section()] * 51)  # refused posts don't count

    sent = [webhook.send(text=f"post {n}") for n in range(1, 7)]

    assert [(s.status_code, s.body) for s in sent] == [(200, "ok")] * 5 + [(404, "used_url")]
    assert [payload["text"] for _, payload in fake.responses] == [f"post {n}" for n in range(1, 6)]
    (last,) = fake.calls_to("response", ok_only=False)[-1:]
    assert (last.status, last.ok, last.error, last.args) == (404, False, "used_url", {"text": "post 6"})
    # Each key is its own URL, and reset() doesn't revive a used one.
    assert WebhookClient(fake.response_url("other")).send(text="first").status_code == 200
    fake.reset()
    assert webhook.send(text="again").status_code == 404


@pytest.mark.parametrize("method", ["chat_postMessage", "chat_postEphemeral", "chat_update"])
def test_message_text_over_40000_characters_is_refused(client, fake, method):
    send = getattr(client, method)
    args = {"channel": "C1", "user": "U1"} if method == "chat_postEphemeral" else {"channel": "C1"}
    if method == "chat_update":
        args["ts"] = "1700000000.000100"

    assert send(text="x" * 40_000, **args)["ok"]
    error = slack_error(lambda: send(text="x" * 40_001, **args))

    assert error.response["error"] == "msg_too_long"
    assert [c.error for c in fake.calls_to(method.replace("_", "."), ok_only=False)] == [None, "msg_too_long"]


def test_wait_for_lists_what_it_saw(client, fake):
    client.auth_test()

    with pytest.raises(AssertionError, match=r"chat.postMessage.*saw: auth.test -> 200 ok"):
        fake.wait_for("chat.postMessage", timeout=0.05)


def test_delay_and_reset(client, fake):
    fake.set_delay("auth.test", 0.2)
    fake.queue_failure("chat.postMessage", status=500)
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2

    fake.reset()

    assert fake.calls == [] and fake.responses == [] and fake.uploads == {}
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]  # the queued 500 is gone


def test_an_enforced_rate_limit_answers_429_with_retry_after_past_the_burst(fake, client):
    fake.enforce_rate_limit("auth.test", per_minute=0.001, burst=2)
    client.auth_test()
    client.auth_test()
    error = slack_error(lambda: client.auth_test())
    assert error.response.status_code == 429
    assert error.response.headers.get("Retry-After") == "1"


def test_random_failures_are_repeatable_for_a_seed(fake, client):
    def statuses(seed: int) -> list[int]:
        fake.reset()
        fake.fail_randomly("auth.test", 0.5, statuses=(500, 429), seed=seed)
        for _ in range(20):
            try:
                client.auth_test()
            except SlackApiError:
                pass
        return [c.status for c in fake.calls_to("auth.test", ok_only=False)]

    first = statuses(3)
    assert first == statuses(3)
    assert {500, 429} <= set(first) and 200 in first
