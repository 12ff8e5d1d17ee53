"""Scheduled jobs run in the test's own process, as the scheduler and run-job run them."""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from datetime import UTC, datetime

from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.slack.api import build_web_client
from bot.tasks.reflection_prompts import send_reflection_prompts
from storage.db import make_engine, make_session_factory
from storage.types import Workspace
from tests.harness.config import TOKEN

WS = Workspace(enterprise_id="", team_id="T0001")
# Monday 2 November 2026, the first working day of the month (the 1st is a Sunday): due everywhere.
NOW = datetime(2026, 11, 2, 21, 0, tzinfo=UTC)


def no_pause() -> None:
    pass


def quick_client(url: str):
    """The job's client as production builds it (same retry counts), minus the 5xx back-off sleep."""
    client = build_web_client(TOKEN, url)
    for handler in client.retry_handlers:
        if isinstance(handler, ServerErrorRetryHandler):
            handler.interval_calculator = FixedValueRetryIntervalCalculator(0.0)
    return client


def prompted(fake) -> Counter:
    """How many prompts each person's DM received (the job posts to the user id)."""
    return Counter(c.args["channel"] for c in fake.calls_to("chat.postMessage"))


def run(job, now: datetime, **kwargs) -> Counter:
    sf, client = job
    return send_reflection_prompts(sf, client, WS, now, pace=no_pause, **kwargs)


class OwnProcess:
    """A second scheduler or run-job: its own engine and Web API client, connected before the race
    (two SQLite connections opened in the same instant can see `database is locked` from the
    connect-time PRAGMA; that start-up race is not what these tests are about)."""

    def __init__(self, database_url: str, fake) -> None:
        self.engine = make_engine(database_url)
        with self.engine.connect():
            pass
        self.sf = make_session_factory(self.engine)
        self.client = quick_client(fake.url)


def at_once(*calls) -> list:
    """Run the calls on threads released together; returns their results, raises their errors."""
    start = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run_one(n: int) -> None:
        try:
            start.wait()
            results[n] = calls[n]()
        except Exception:  # reported below, with where it happened
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=run_one, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], errors[0] if errors else None
    return results
