"""The task queue in the test's process: Huey's immediate mode, or a real consumer on threads."""

from __future__ import annotations

import signal

from huey import MemoryHuey

from bot.slack.installations import single_client, single_workspace
from bot.tasks import Tasks
from bot.tasks.queue import make_consumer
from bot.tasks.runtime import Runtime


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
