"""GET /metrics, scraped after real signed requests: the samples of every gunicorn process and of the
worker child added up (prometheus_client's multiprocess mode), and no label that carries entry text, a
user ID, a workspace or a name."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.slack.api import build_web_client
from tests import payloads
from tests.harness.config import TOKEN
from tests.harness.processes import children_of, post, signed_command, start_serving, stop_serving

ENTRY = "Shipped the migration without a backup, note-5b1e"
DEADLINE = 60.0


def scrape(base: str) -> tuple[str, dict[tuple[str, tuple], float]]:
    """The text of /metrics, and each sample's value by its name and labels."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as answer:
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/plain")
        text = answer.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return text, samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_for_value(base: str, name: str, expected: float, **labels: str) -> dict:
    deadline = time.monotonic() + DEADLINE
    while value(samples := scrape(base)[1], name, **labels) < expected:
        assert time.monotonic() < deadline, f"{name}{labels} stayed at {value(samples, name, **labels)}"
        time.sleep(0.2)
    return samples


def assert_no_private_labels(text: str, samples: dict) -> None:
    assert ENTRY not in text and "note-5b1e" not in text and TOKEN not in text
    for _name, labels in samples:
        for _label, label_value in labels:
            assert label_value not in ("U1", payloads.TEAM) and not label_value.startswith(("U0", "T0", "xox"))


def test_metrics_add_up_every_web_process_and_the_worker_after_signed_requests(tmp_path, fake_slack):
    process, base = start_serving(
        tmp_path,
        WEB_CONCURRENCY="2",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="cli-secret",
        SLACK_API_URL=fake_slack.url,
    )
    try:
        sent = 6
        for n in range(sent):
            assert signed_command(base, f"{ENTRY} {n}", fake_slack.response_url(f"m{n}")) == 200
        unsigned = payloads.slash_command(ENTRY, response_url=fake_slack.response_url("x"))
        assert post(base + "/slack/events", unsigned, {"Content-Type": "application/x-www-form-urlencoded"}) == 401
        fake_slack.wait_for_responses(sent, timeout=DEADLINE)

        # The worker counts a follow-up once its work is done: just after its reply.
        samples = wait_for_value(base, "failure_resume_follow_ups_total", sent, task="nice_job", outcome="done")
        text, samples = scrape(base)
        # Acks from both gunicorn processes, added up: each request counted once.
        assert value(samples, "failure_resume_requests_total", kind="command", outcome="ok") == sent
        assert value(samples, "failure_resume_requests_total", kind="command", outcome="refused") == 1
        assert value(samples, "failure_resume_ack_seconds_count", kind="command") == sent
        assert value(samples, "failure_resume_ack_seconds_bucket", kind="command", le="+Inf") == sent
        # The worker's own samples: its tasks, and its calls to Slack.
        assert value(samples, "failure_resume_tasks_total", task="follow_up", outcome="done") >= sent
        assert value(samples, "failure_resume_slack_api_calls_total", method="auth.test", error="ok") >= 1
        # The queue, read when asked.
        assert ("failure_resume_follow_ups_waiting", ()) in samples
        assert ("failure_resume_oldest_follow_up_age_seconds", ()) in samples
        assert ("failure_resume_queued_tasks", ()) in samples
        assert_no_private_labels(text, samples)
        [worker] = [pid for pid, command in children_of(process.pid).items() if command[-1] == "worker"]
        environment = Path(f"/proc/{worker}/environ").read_bytes().decode().split("\0")
        [folder] = [Path(v.split("=", 1)[1]) for v in environment if v.startswith("PROMETHEUS_MULTIPROC_DIR=")]
        assert folder.is_dir() and any(folder.iterdir())  # the folder serve made, shared with its worker
    finally:
        stop_serving(process)
    assert not folder.exists()  # and removed when serve stopped


def test_slack_calls_are_counted_by_method_and_error_and_429s_by_method(bot):
    _text, before = scrape(bot.url)
    client = build_web_client(TOKEN, bot.fake.url)
    bot.fake.queue_failure("chat.postMessage", status=429, retry_after=0)
    client.chat_postMessage(channel="U1", text="a reply after a 429")
    bot.fake.queue_failure("users.info", error="user_not_found")
    try:
        client.users_info(user="U9")
    except Exception as error:
        assert type(error).__name__ == "SlackApiError"
    text, after = scrape(bot.url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("failure_resume_slack_api_retries_total", method="chat.postMessage", reason="ratelimited") == 1
    assert grew("failure_resume_slack_api_calls_total", method="chat.postMessage", error="ok") == 1
    assert grew("failure_resume_slack_api_calls_total", method="users.info", error="user_not_found") == 1
    assert_no_private_labels(text, after)


def test_the_calls_listeners_make_are_counted_too(bot):
    """Bolt gives each request a WebClient of its own: `/fail` alone opens the form with views.open."""
    _text, before = scrape(bot.url)
    assert bot.command("").status == 200
    bot.fake.wait_for_views()
    _text, after = scrape(bot.url)
    opened = ("failure_resume_slack_api_calls_total", (("error", "ok"), ("method", "views.open")))
    assert after.get(opened, 0) - before.get(opened, 0) == 1


def test_a_request_kind_is_one_of_a_fixed_list_whatever_the_body():
    from bot.ops.metrics import request_kind

    form, json_type = "application/x-www-form-urlencoded", "application/json"
    assert request_kind(payloads.slash_command(ENTRY, response_url="http://127.0.0.1:9/r"), form) == "command"
    assert request_kind(payloads.event_callback({"type": "app_home_opened", "user": "U1"}), json_type) == "event"
    for body, content_type in [
        (b'{"type": ["event_callback"]}', json_type),
        (b"[" * 100_000 + b"]" * 100_000, json_type),
        (b'payload={"type": {"a": 1}}', form),
        (b"\xff\xfe", form),
        (b'{"type": "U1 wrote something"}', json_type),
    ]:
        assert request_kind(body, content_type) == "other"


def test_a_follow_up_waiting_shows_in_the_queue_depth(bot):
    bot.stop_worker()  # the outbox keeps what an ack promised until a worker is back
    try:
        assert bot.command(ENTRY, key="waiting").status == 200
        _text, samples = scrape(bot.url)
        assert value(samples, "failure_resume_follow_ups_waiting") == 1
        assert value(samples, "failure_resume_oldest_follow_up_age_seconds") >= 0
    finally:
        bot.start_worker()
    bot.fake.wait_for_responses(1, timeout=DEADLINE)
