"""SENTRY_DSN: errors of the processes reach a local endpoint that takes Sentry's envelopes, scrubbed of
entry text and tokens."""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.ops.error_tracking import scrub, scrub_breadcrumb
from storage.db import make_engine, make_session_factory
from storage.repository import outbox as outbox_store
from storage.types import Workspace
from tests.harness.config import TOKEN
from tests.harness.processes import signed_command, start_serving, stop_serving

ENTRY = "Told the customer the wrong refund amount, memo-91c2"
DEADLINE = 60.0


class Envelopes:
    """A local stand-in for Sentry: every envelope POSTed to /api/<project>/envelope/, decoded."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.cond = threading.Condition()
        envelopes = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                with envelopes.cond:
                    envelopes.raw.append(body)
                    envelopes.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://public-key@127.0.0.1:{self.server.server_address[1]}/1"

    def events(self) -> list[dict]:
        found = []
        with self.cond:
            raw = list(self.raw)
        for envelope in raw:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def wait_for_event(self, process: str | None = None, timeout: float = DEADLINE) -> list[dict]:
        """The events received, once one of them (from `process`, if named) is."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.events()
            if [e for e in found if process in (None, e.get("tags", {}).get("process"))]:
                return found
            assert time.monotonic() < deadline, "no event reached the endpoint"
            time.sleep(0.1)

    def __enter__(self) -> Envelopes:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_with_sentry(tmp_path, fake_slack, sentry: Envelopes):
    return start_serving(
        tmp_path,
        SENTRY_DSN=sentry.dsn,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="cli-secret",
        SLACK_API_URL=fake_slack.url,
    )


@pytest.fixture
def sentry():
    with Envelopes() as envelopes:
        yield envelopes


def test_a_web_error_reaches_the_endpoint_with_its_reference_and_without_its_message(tmp_path, fake_slack, sentry):
    # `/fail` opens the form; Slack refuses the modal in a way the app does not expect.
    fake_slack.queue_failure("views.open", error="invalid_arguments")
    process, base = serve_with_sentry(tmp_path, fake_slack, sentry)
    try:
        assert signed_command(base, "", fake_slack.response_url("sorry")) == 200
        [event] = sentry.wait_for_event()
        [(_key, apology)] = fake_slack.wait_for_responses()
    finally:
        stop_serving(process)
    [exception] = event["exception"]["values"]
    assert exception["type"] == "SlackApiError" and exception["value"] == ""
    assert exception["stacktrace"]["frames"] and all("vars" not in f for f in exception["stacktrace"]["frames"])
    assert event["tags"]["process"] == "serve"
    assert f"reference {event['tags']['reference']}" in apology["text"]  # the one the person was shown
    assert "request" not in event and "user" not in event
    everything = b"".join(sentry.raw).decode(errors="replace")
    for secret in (TOKEN, "cli-secret", "U1"):
        assert secret not in everything


def test_a_worker_error_reaches_the_endpoint_tagged_with_its_process(tmp_path, fake_slack, sentry):
    process, _base = serve_with_sentry(tmp_path, fake_slack, sentry)
    engine = make_engine(f"sqlite:///{tmp_path}/failure_resume.db")
    try:
        # A follow-up written by a newer version of the app, with what a person wrote in it: the worker
        # logs an error (and leaves the row for a worker that knows the task).
        with make_session_factory(engine).begin() as session:
            outbox_store.add_follow_up(session, Workspace("", "T0001"), "from_a_newer_version", {"text": ENTRY}, 0)
        events = sentry.wait_for_event("worker")
    finally:
        stop_serving(process)
        engine.dispose()
    event = next(e for e in events if e["tags"]["process"] == "worker")  # more may follow: the row stays
    assert "unknown task from_a_newer_version" in event["logentry"]["message"]
    everything = b"".join(sentry.raw).decode(errors="replace")
    for secret in (ENTRY, "memo-91c2", TOKEN, "cli-secret"):
        assert secret not in everything


def test_scrubbing_keeps_types_and_frames_and_drops_messages_data_and_tokens():
    event = {
        "event_id": "e1",
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"INSERT INTO entries VALUES ({ENTRY!r}) with {TOKEN}",
                    "stacktrace": {
                        "frames": [{"filename": "bot/domain/entries.py", "lineno": 3, "vars": {"text": ENTRY}}]
                    },
                }
            ]
        },
        "request": {"data": f"text={ENTRY}", "headers": {"Authorization": f"Bearer {TOKEN}"}},
        "extra": {"body": ENTRY},
        "user": {"id": "U1"},
        "logentry": {"message": "Saving %s", "params": [ENTRY], "formatted": "Saving an entry"},
        "breadcrumbs": {
            "values": [
                {"type": "log", "category": "bot.tasks", "message": "Task answer failed (OSError)", "data": {"x": 1}},
                {"type": "http", "category": "httplib", "data": {"url": f"https://slack.com/api/x?token={TOKEN}"}},
                {"type": "log", "category": "slack_sdk", "message": f"token {TOKEN} refused"},
            ]
        },
    }
    scrubbed = scrub(event)
    text = json.dumps(scrubbed)
    assert ENTRY not in text and TOKEN not in text and "U1" not in text
    [exception] = scrubbed["exception"]["values"]
    assert exception["type"] == "IntegrityError" and exception["value"] == ""
    assert exception["stacktrace"]["frames"] == [{"filename": "bot/domain/entries.py", "lineno": 3}]
    assert scrubbed["logentry"] == {"message": "Saving an entry"}
    assert [b.get("message") for b in scrubbed["breadcrumbs"]["values"]] == [
        "Task answer failed (OSError)",
        "token [token] refused",
    ]
    assert scrub_breadcrumb({"type": "query", "category": "query", "message": "SELECT …"}) is None
