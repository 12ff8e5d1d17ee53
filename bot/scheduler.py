"""The clock process: it decides what is due and enqueues it; workers do the work.

One clock acts at a time, holding a lease in the database (a second one, started by mistake or for
failover, stands by and takes over once the lease lapses). Every minute it enqueues the purge of
workspaces whose grace period after an uninstall has ended; every 15 minutes each workspace's digest
check and reflection prompts, one task per workspace, and a run of the entries still without a
meaning (bot/tasks/meanings.py); in OAuth mode, every hour, the check for
installs whose token Slack no longer takes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import trackers
from bot.slack.installations import Installations
from bot.tasks import Tasks
from storage.repository import housekeeping as housekeeping_store

log = logging.getLogger(__name__)

LEASE = "scheduler"
# A scheduler renews every minute; one that stops renewing is replaced after this long.
LEASE_TTL = timedelta(minutes=3)


def hold_lease(sf: sessionmaker[Session], holder: str, now: datetime) -> bool:
    """Take or renew the scheduler's lease; False while another scheduler holds it."""
    with sf.begin() as session:
        return housekeeping_store.acquire_lease(session, LEASE, holder, now, LEASE_TTL)


def beat(sf: sessionmaker[Session], holder: str, now: datetime, enqueue: Callable[[], object]) -> bool:
    """`enqueue()` if this process holds the lease; returns whether it did."""
    if not hold_lease(sf, holder, now):
        return False
    enqueue()
    return True


def tick(sf: sessionmaker[Session], tasks: Tasks, now: datetime, holder: str) -> bool:
    """The minute's beat: the purge of workspaces whose grace period has ended."""
    return beat(sf, holder, now, lambda: tasks.purge(now))


def workspace_tick(
    sf: sessionmaker[Session], installations: Installations, tasks: Tasks, now: datetime, holder: str
) -> bool:
    """Each installed workspace's digest check and reflection prompts; whether this process acted."""

    def enqueue() -> None:
        for each in installations():
            tasks.digest(each.workspace, now=now)
            tasks.prompts(each.workspace, now)

    return beat(sf, holder, now, enqueue)


def issues_tick(sf: sessionmaker[Session], tasks: Tasks, now: datetime, holder: str) -> bool:
    """The issues of each workspace with a tracker, looked at for those whose webhooks never reach us
    (a task for each such workspace, none for the others; one the app left is skipped by the task)."""

    def enqueue() -> None:
        for ws in trackers.connected_workspaces(sf):
            tasks.check_issues(ws, now=now)

    return beat(sf, holder, now, enqueue)


def meanings_tick(sf: sessionmaker[Session], tasks: Tasks, now: datetime, holder: str) -> bool:
    """The entries still without a meaning (imported ones, say), made by a worker with the encoder."""
    return beat(sf, holder, now, tasks.meanings)


def install_check_tick(sf: sessionmaker[Session], tasks: Tasks, now: datetime, holder: str) -> bool:
    return beat(sf, holder, now, lambda: tasks.check_installs(now))


def run_scheduler(
    sf: sessionmaker[Session],
    installations: Installations,
    tasks: Tasks,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    check_installs: bool = False,
) -> None:
    """check_installs: OAuth mode's hourly check for uninstalls whose event never reached us."""
    holder = f"{uuid.uuid4().hex[:12]}"
    scheduler = BlockingScheduler(timezone=UTC)

    def every(interval: timedelta, what: str, run: Callable[[datetime], bool]) -> None:
        def job() -> None:
            try:
                if not run(clock()):
                    log.info("Another scheduler holds the lease; standing by")
            except Exception as error:  # the clock keeps going; the next run tries again
                log.error("%s failed (%s)", what, type(error).__name__)

        scheduler.add_job(
            job, "interval", seconds=interval.total_seconds(), next_run_time=clock(), coalesce=True, name=what
        )

    every(timedelta(minutes=1), "Scheduler beat", lambda now: tick(sf, tasks, now, holder))
    # Members are listed once a run (Tier 2), so prompts are checked every quarter of an hour.
    every(timedelta(minutes=15), "Workspace beat", lambda now: workspace_tick(sf, installations, tasks, now, holder))
    every(timedelta(minutes=15), "Meanings beat", lambda now: meanings_tick(sf, tasks, now, holder))
    every(timedelta(hours=1), "Issue check", lambda now: issues_tick(sf, tasks, now, holder))
    if check_installs:
        every(timedelta(hours=1), "Install check", lambda now: install_check_tick(sf, tasks, now, holder))
    log.info("Scheduler %s started", holder)
    scheduler.start()
