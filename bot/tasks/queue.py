"""The task queue (Huey): a SQLite file beside the database by default, Redis with REDIS_URL.

Huey takes a task off the queue when a worker starts it. A worker stopped by SIGTERM finishes what it
runs, within the grace time, and puts back what it could not finish; every task is safe to run
twice (the delivery ledger and the digest claims see to that for the fan-outs). A worker killed
with SIGKILL loses the tasks it was running: what an ack promised is still in the outbox
(bot.tasks.outbox) and handed over again, and the clock's next beat enqueues the fan-outs again."""

from __future__ import annotations

import logging

from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.signals import SIGNAL_INTERRUPTED

from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "failure-resume"
# How often an idle worker looks at a SQLite queue: at most half a second late (Redis waits on the queue).
POLL_SECONDS = (0.05, 0.5)


def make_queue(settings: Settings) -> Huey:
    # No results are kept: nothing reads them, and they would pile up in the store for good.
    if settings.redis_url:
        # Priorities (what a person waits for first) need Redis 5 or newer.
        huey: Huey = PriorityRedisHuey(NAME, url=settings.redis_url, utc=True, results=False)
    else:
        huey = SqliteHuey(NAME, filename=settings.queue_file, utc=True, timeout=10, results=False)

    @huey.signal(SIGNAL_INTERRUPTED)
    def run_again_later(signal, task, *args, **kwargs) -> None:
        # Stopped by a deploy before it finished: back on the queue for the next worker.
        log.info("Task %s interrupted by shutdown: queued again", task.name)
        huey.enqueue(task)

    return huey


def make_consumer(huey: Huey, threads: int, grace_seconds: float, poll: tuple[float, float] = POLL_SECONDS) -> Consumer:
    """SIGTERM (a deploy) is the graceful stop: the tasks running get `grace_seconds` to finish."""
    initial, most = poll
    return huey.create_consumer(
        workers=threads,
        worker_type="thread",
        initial_delay=initial,
        backoff=1.5,
        max_delay=most,
        graceful_signal="TERM",
        shutdown_timeout=grace_seconds,
    )
