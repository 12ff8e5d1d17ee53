"""Fixtures that run the real app the way Slack reaches it: signed HTTP in, a fake Web API out."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from cryptography.fernet import Fernet
from huey import MemoryHuey
from sqlalchemy import text

from bot.app import create_app
from bot.domain.retention import notice_lost_uninstalls
from bot.ops import metrics
from bot.ops.readiness import Readiness
from bot.settings import Settings
from bot.slack.api import build_web_client
from bot.slack.installations import every_install, install_clients, oauth_settings, single_client, single_workspace
from bot.slack.web import make_wsgi_app
from bot.tasks import Tasks
from bot.tasks.outbox import Relay, pending_follow_ups
from bot.tasks.queue import make_consumer, make_queue
from bot.tasks.runtime import Runtime
from storage.db import make_engine, make_session_factory
from storage.installations import InstallationStore
from storage.migrate import upgrade_to_head
from storage.models import Base
from storage.tokens import sealer
from tests import payloads
from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET
from tests.fakes.server import FakeSlack

REPO = Path(__file__).resolve().parents[1]
SLACK_REFERENCE = Path(os.environ.get("SLACK_REFERENCE_DIR", REPO.parent / "shared" / "slack"))
SIGNING_SECRET = "test-signing-secret"
TOKEN = "xoxb-test"
RELAY_POLL = (0.005, 0.02)
STATE_SECRET = "test-state-secret"
TOKEN_KEYS = Fernet.generate_key().decode()


def reference_methods() -> Path | None:
    methods = SLACK_REFERENCE / "methods"
    return methods if methods.is_dir() else None


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("SLACK_") and name != "SLACK_REFERENCE_DIR":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """SQLite: one migrated file, copied for every test. PostgreSQL: migrated once, emptied per test."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        engine = make_engine(server_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade_to_head(server_url)
        return server_url
    template = tmp_path_factory.mktemp("db") / "template.db"
    upgrade_to_head(f"sqlite:///{template}")
    return template


@pytest.fixture
def database_url(migrated_template, tmp_path) -> str:
    if isinstance(migrated_template, str):
        engine = make_engine(migrated_template)
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return migrated_template
    path = tmp_path / "test.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fake_slack():
    with FakeSlack(REPO / "manifest.yml", reference_methods(), tokens=(TOKEN,)) as fake:
        yield fake


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


class Response:
    def __init__(self, status: int, body: bytes, headers=None) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(self.body) if self.body else None


def tasks_now(sf, client, installations=None, retro_channel: str | None = None) -> Tasks:
    """The queue's tasks run as they are enqueued (Huey's immediate mode), for tests of the clock and
    the fan-outs on their own; the app's own tests run a real consumer (BotHarness)."""
    runtime = Runtime(
        session_factory=sf,
        client_for=single_client(client),
        installations=installations or single_workspace(client),
        default_retro_channel=retro_channel,
    )
    return Tasks(MemoryHuey("failure-resume-test", immediate=True), runtime)


def start_consumer(huey, threads: int = 1, poll: tuple[float, float] = (0.005, 0.02)):
    """A real Huey consumer in this process, its workers on threads. One thread by default, so that a
    test's tasks run in the order it enqueued them. Its signal handlers are the test run's, not Huey's."""
    consumer = make_consumer(huey, threads, grace_seconds=5, poll=poll)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer.start()
    for number, handler in handlers.items():
        signal.signal(number, handler)
    return consumer


class SlackSide:
    """What Slack sends to the app served at `url`, signed, and what a browser asks of its install pages."""

    def __init__(self, fake: FakeSlack, url: str) -> None:
        self.fake = fake
        self.url = url

    # -- raw HTTP ---------------------------------------------------------------------------
    def post(
        self,
        body: bytes,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict | None = None,
        signed: bool = True,
        path: str = "/slack/events",
    ) -> Response:
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers.update(payloads.sign(SIGNING_SECRET, body))
        all_headers.update(headers or {})
        request = urllib.request.Request(self.url + path, data=body, headers=all_headers, method="POST")
        return self._send(request)

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self._send(urllib.request.Request(self.url + path, headers=headers or {}))

    @staticmethod
    def _send(request) -> Response:
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return Response(answer.status, answer.read(), answer.headers)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), error.headers)

    # -- what Slack sends -------------------------------------------------------------------
    def command(
        self, text: str, user: str = "U1", team: str = payloads.TEAM, key: str = "cmd", **workspace
    ) -> Response:
        """workspace: enterprise and org_wide, for Enterprise Grid."""
        body = payloads.slash_command(text, user=user, team=team, response_url=self.fake.response_url(key), **workspace)
        return self.post(body)

    def interact(self, payload: dict) -> Response:
        return self.post(payloads.interactive(payload))

    def event(self, event: dict, team: str = payloads.TEAM, headers: dict | None = None, **identity) -> Response:
        """identity: event_id, enterprise and org_wide."""
        body = payloads.event_callback(event, team=team, **identity)
        return self.post(body, content_type="application/json", headers=headers)

    def submit_entry(self, user: str = "U1", team: str = payloads.TEAM, metadata: str = "", **values) -> Response:
        payload = payloads.view_submission(
            payloads.record_values(**values), user=user, team=team, private_metadata=metadata
        )
        return self.interact(payload)


class BotHarness(SlackSide):
    """The running app on loopback, sent what Slack sends through SlackSide's helpers."""

    def __init__(
        self, fake: FakeSlack, database_url: str, engine=None, oauth: bool = False, encoder=None, **settings
    ) -> None:
        """oauth: any workspace installs through /slack/install, instead of the one of SLACK_BOT_TOKEN.
        encoder: the worker's sentence encoder (similar lessons by meaning and words; words alone without).
        settings: other Settings fields."""
        self.fake = fake
        self.now = None  # a fixed datetime, or None for the real clock
        credentials = dict(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, state_secret=STATE_SECRET, token_keys=TOKEN_KEYS
        )
        self.settings = Settings(
            bot_token=None if oauth else TOKEN,
            signing_secret=SIGNING_SECRET,
            database_url=database_url,
            slack_api_url=fake.url,
            **{**(credentials if oauth else {}), **settings},
        )
        self.engine = engine or make_engine(database_url)
        self.session_factory = make_session_factory(self.engine)
        client = build_web_client(None if oauth else TOKEN, fake.url)
        store = InstallationStore(CLIENT_ID, self.engine, sealer(self.settings.token_keys)) if oauth else None
        self.store = store  # OAuth mode's installs, their tokens sealed in the database
        oauth_config = oauth_settings(self.settings, store) if store else None
        self.installations = (
            every_install(self.settings, store, self.session_factory) if store else single_workspace(client)
        )
        self.queue_dir = tempfile.mkdtemp(prefix="failure-resume-queue-")
        queue_settings = dataclasses.replace(self.settings, queue_path=f"{self.queue_dir}/queue.db")
        runtime = Runtime(
            session_factory=self.session_factory,
            client_for=install_clients(self.settings, store) if store else single_client(client),
            installations=self.installations,
            default_retro_channel=self.settings.retro_channel,
            clock=self.clock,
            notice_lost=self._notice_lost(store) if store else None,
            encoder=encoder,
        )
        self.tasks = Tasks(make_queue(queue_settings), runtime, embed_entries=encoder is not None)
        app = create_app(self.settings, self.session_factory, client, self.tasks, clock=self.clock, oauth=oauth_config)
        self.listener_pool = app.listener_runner.listener_executor
        metrics.count_tasks(self.tasks.huey)
        self.consumer = start_consumer(self.tasks.huey)
        self.tasks.relay.start(threads=1, poll=RELAY_POLL)
        self.server = make_server(
            "127.0.0.1",
            0,
            make_wsgi_app(
                app,
                self.engine,
                Readiness.of(queue_settings),
                metrics.queue_state(self.session_factory, self.tasks.huey),
            ),
            server_class=ThreadingWSGIServer,
            handler_class=QuietHandler,
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        fake.reset()  # forget the auth.test Bolt made at start-up

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def _notice_lost(self, store: InstallationStore):
        grace = timedelta(days=self.settings.uninstall_grace_days)
        return lambda at: notice_lost_uninstalls(self.session_factory, store, self.fake.url, at, grace)

    def drain(self, timeout: float = 10) -> None:
        """Wait until the outbox and the queue are empty and the worker idle (seen so twice in a row)."""
        huey, deadline, idle = self.tasks.huey, time.monotonic() + timeout, 0
        while idle < 2:
            assert time.monotonic() < deadline, f"tasks still queued after {timeout}s"
            busy = pending_follow_ups(self.session_factory) or huey.pending_count() or huey.scheduled_count()
            busy = busy or huey._tasks_in_flight
            idle = 0 if busy else idle + 1
            time.sleep(0.05)

    def stop_worker(self) -> None:
        """As if its worker process were gone: no relay, no consumer (the outbox keeps what is owed)."""
        self.tasks.relay.stop()
        self.consumer.stop(graceful=True)

    def start_worker(self) -> None:
        self.tasks.relay = Relay(self.session_factory, self.tasks.huey, self.tasks._hand_over)
        self.tasks.relay.start(threads=1, poll=RELAY_POLL)
        self.consumer = start_consumer(self.tasks.huey)

    def open_home(self, user: str = "U1", **where) -> dict:
        """The person opens their App Home, as Slack tells the app (a signed `app_home_opened`), once
        the work already promised is done: the Home published for this open. where: team, enterprise."""
        self.drain()
        before = len(self.fake.calls_to("views.publish"))
        assert self.event(payloads.home_opened(user), **where).status == 200
        published = self.fake.wait_for("views.publish", count=before + 1, timeout=10)[before]
        assert published.args["user_id"] == user and published.args["view"]["type"] == "home"
        return published.args["view"]

    def drain_quietly(self, timeout: float = 5) -> None:
        """What the test's acks promised, done before the test's fake Slack goes away."""
        deadline = time.monotonic() + timeout
        while pending_follow_ups(self.session_factory) and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        # The work after the test's acks ends here, while the fake Slack still answers it.
        self.listener_pool.shutdown(wait=True)
        self.drain_quietly()
        self.tasks.relay.stop()
        self.consumer.stop(graceful=True)
        self.engine.dispose()
        shutil.rmtree(self.queue_dir, ignore_errors=True)


@pytest.fixture
def bot(fake_slack, database_url):
    harness = BotHarness(fake_slack, database_url)
    yield harness
    harness.close()


@pytest.fixture(scope="session")
def encoder():
    """The sentence encoder, loaded once for the whole run (as a worker loads it once): 1 to 2 s."""
    from bot.domain.meaning import Encoder

    return Encoder()


@pytest.fixture
def meaning_bot(fake_slack, database_url, encoder):
    """The running app whose worker has the sentence encoder: similar lessons by meaning and words."""
    harness = BotHarness(fake_slack, database_url, encoder=encoder)
    yield harness
    harness.close()
