"""The clock process: one scheduler acts at a time, holding a lease in the database.

Every minute it renews the lease, deletes the data of workspaces whose grace period after an uninstall
has ended, and posts digests that are due; every 15 minutes it sends the reflection prompts that are due.
Each installed workspace is served with its own token; in OAuth mode, every hour it looks for installs
whose token Slack no longer takes. A second scheduler stands by and takes over once the lease lapses."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.digest import digest_period
from bot.domain.retention import purge_due
from bot.jobs.reflection_prompts import send_reflection_prompts
from bot.jobs.team_digest import post_team_digest
from bot.slack.installations import Installations
from storage import repository as repo
from storage.repository import Workspace

log = logging.getLogger(__name__)

LEASE = "scheduler"
# A scheduler renews every minute; one that stops renewing is replaced after this long.
LEASE_TTL = timedelta(minutes=3)
STALE_RUN = timedelta(minutes=30)
# Scheduled digests go out from 09:00 UTC on the first day of their period.
DIGEST_HOUR = 9


def digest_due(cadence: str, now: datetime) -> bool:
    start = now - timedelta(days=now.weekday()) if cadence == "weekly" else now.replace(day=1)
    return now >= start.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)


def hold_lease(sf: sessionmaker[Session], holder: str, now: datetime) -> bool:
    """Take or renew the scheduler's lease; False while another scheduler holds it."""
    with sf.begin() as session:
        return repo.acquire_lease(session, LEASE, holder, now, LEASE_TTL)


def tick(
    sf: sessionmaker[Session], installations: Installations, now: datetime, holder: str, default_channel: str | None
) -> bool:
    """One beat of the clock; returns whether this process held the lease and so acted."""
    if not hold_lease(sf, holder, now):
        return False
    installed = installations()
    try:
        for outcome in purge_due(sf, lambda: installed, now).items():
            log.info("Data retention: %s %s", *outcome)
    except Exception as error:  # the digests still go out; the purge is tried again next beat
        log.error("Data retention run failed (%s)", type(error).__name__)
    for each in installed:
        with each_workspace_alone(each.workspace):
            post_digest_if_due(sf, each.client, each.workspace, now, default_channel)
    return True


def post_digest_if_due(
    sf: sessionmaker[Session], client: WebClient, ws: Workspace, now: datetime, default_channel: str | None
) -> None:
    with sf() as session:
        cadence = repo.get_settings(session, ws).digest_cadence
    if not digest_due(cadence, now):
        return
    period = digest_period(cadence, now)
    with sf.begin() as session:
        # A claim its process never confirmed (it died mid-run) is taken over after a while.
        if not repo.claim_delivery(session, ws, "team", "digest_run", period, now, stale_after=STALE_RUN):
            return
    try:
        outcome = post_team_digest(sf, client, ws, now, default_channel)
    except Exception:
        with sf.begin() as session:
            repo.forget_delivery(session, ws, "team", "digest_run", period)
        raise
    with sf.begin() as session:
        repo.confirm_delivery(session, ws, "team", "digest_run", period, now)
    log.info("Scheduled digest for period %s: %s", period, outcome)


def prompt_tick(sf: sessionmaker[Session], installations: Installations, now: datetime, holder: str) -> bool:
    """Send the reflection prompts that are due; returns whether this process held the lease."""
    if not hold_lease(sf, holder, now):
        return False

    def still_in_charge() -> bool:
        return hold_lease(sf, holder, datetime.now(UTC))

    for each in installations():
        with each_workspace_alone(each.workspace):
            counts = send_reflection_prompts(sf, each.client, each.workspace, now, still_in_charge=still_in_charge)
            if counts:
                log.info("Reflection prompts: %s", dict(counts))
    return True


@contextmanager
def each_workspace_alone(ws: Workspace) -> Iterator[None]:
    """One workspace's trouble (a revoked token, a Slack error) must not stop the others' digests and prompts."""
    try:
        yield
    except Exception as error:
        log.error("Scheduled work for workspace %s failed (%s)", ws.team_id, type(error).__name__)


def install_check_tick(
    sf: sessionmaker[Session], notice_lost: Callable[[datetime], list[str]], now: datetime, holder: str
) -> bool:
    """Look for installs Slack no longer honours though we heard of no uninstall; returns whether this
    process held the lease."""
    if not hold_lease(sf, holder, now):
        return False
    for name in notice_lost(now):
        log.warning("Workspace %s no longer takes its token: treated as uninstalled", name)
    return True


def run_scheduler(
    sf: sessionmaker[Session],
    installations: Installations,
    default_channel: str | None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    notice_lost: Callable[[datetime], list[str]] | None = None,
) -> None:
    """notice_lost: OAuth mode's hourly check for uninstalls whose event never reached us."""
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

    every(timedelta(minutes=1), "Scheduler beat", lambda now: tick(sf, installations, now, holder, default_channel))
    # Members are listed once a run (Tier 2), so prompts are checked every quarter of an hour.
    every(timedelta(minutes=15), "Reflection prompt run", lambda now: prompt_tick(sf, installations, now, holder))
    if notice_lost is not None:
        every(timedelta(hours=1), "Install check", lambda now: install_check_tick(sf, notice_lost, now, holder))
    log.info("Scheduler %s started", holder)
    scheduler.start()
