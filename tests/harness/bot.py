"""The bot under test: the app, its worker and relay, served on loopback against the fake Slack."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime
from wsgiref.simple_server import make_server

from bot import wiring
from bot.ops import metrics
from bot.ops.readiness import Readiness
from bot.settings import Settings
from bot.slack.web import make_wsgi_app
from bot.tasks.outbox import Relay, pending_follow_ups
from storage.db import make_engine, make_session_factory
from tests import payloads
from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET
from tests.fakes.server import FakeSlack
from tests.harness.config import RELAY_POLL, SIGNING_SECRET, STATE_SECRET, TOKEN, TOKEN_KEYS
from tests.harness.http import QuietHandler, SlackSide, ThreadingWSGIServer
from tests.harness.queue import start_consumer


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
            similar_by_meaning=encoder is not None,
            **{**(credentials if oauth else {}), **settings},
        )
        self.engine = engine or make_engine(database_url)
        self.session_factory = make_session_factory(self.engine)
        slack = wiring.slack(self.settings, "serve", self.engine, self.session_factory)
        self.store = slack.store  # OAuth mode's installs, their tokens sealed in the database
        self.installations = slack.installations
        self.queue_dir = tempfile.mkdtemp(prefix="failure-resume-queue-")
        queue_settings = dataclasses.replace(self.settings, queue_path=f"{self.queue_dir}/queue.db")
        runtime = wiring.runtime(self.settings, self.session_factory, slack, clock=self.clock, encoder=encoder)
        self.tasks = wiring.tasks(queue_settings, runtime)
        app = wiring.app(self.settings, self.session_factory, slack, self.tasks, "serve", clock=self.clock)
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
                wiring.webhooks(self.settings, self.session_factory, self.clock),
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
