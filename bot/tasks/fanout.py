"""Scheduled work, a task per workspace (and per page of 200 people for the prompts), so that workers
serve different workspaces side by side, each within its own rate limit."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from bot.domain.digest import digest_period
from bot.domain.prompts import prompt_is_due
from bot.ops import metrics
from bot.tasks.deliveries import deliver_once
from bot.tasks.reflection_prompts import send_reflection_prompts_page
from bot.tasks.retention import purge_due
from bot.tasks.runtime import Runtime
from bot.tasks.team_digest import post_team_digest
from bot.tasks.year_review import REVIEW_MONTH, post_team_year_review_once
from storage.repository import workspaces as workspace_store
from storage.types import Workspace

log = logging.getLogger(__name__)

# A digest run claimed this long ago and never confirmed was left by a worker that died.
STALE_RUN = timedelta(minutes=30)
# Scheduled digests go out from 09:00 UTC on the first day of their period.
DIGEST_HOUR = 9


def prompt_page(
    rt: Runtime, client: WebClient, ws: Workspace, now: datetime, force: bool, cursor: str | None
) -> tuple[Counter, str | None]:
    """One page of a workspace's reflection prompts; the next page's cursor, or None."""
    counts, next_cursor = send_reflection_prompts_page(rt.session_factory, client, ws, now, cursor, force)
    if cursor is None and team_review_due(rt.session_factory, ws, now):
        outcome = post_team_year_review_once(rt.session_factory, client, ws, now.year, now, rt.default_retro_channel)
        log.info("Team year in review for %s: %s", ws.team_id, outcome)
    if counts:
        log.info("Reflection prompts for %s: %s", ws.team_id, dict(counts))
    return counts, next_cursor


def team_review_due(sf, ws: Workspace, now: datetime) -> bool:
    """From the workspace's December prompt day (10:00 UTC) on: the team's year goes with the prompts."""
    if now.month != REVIEW_MONTH:
        return False
    with sf() as session:
        prompt_day = workspace_store.get_settings(session, ws).prompt_day
    return prompt_is_due(now, UTC, prompt_day)


def digest_due(cadence: str, now: datetime) -> bool:
    start = now - timedelta(days=now.weekday()) if cadence == "weekly" else now.replace(day=1)
    return now >= start.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)


def digest_if_due(rt: Runtime, client: WebClient, ws: Workspace, now: datetime, force: bool = False) -> str:
    """The workspace's scheduled digest, once a period (with `force`, now). A claim whose worker died
    is taken over after STALE_RUN, so a killed run is done again by a later beat."""
    sf = rt.session_factory
    if force:
        return post_team_digest(sf, client, ws, now, rt.default_retro_channel)
    with sf() as session:
        cadence = workspace_store.get_settings(session, ws).digest_cadence
    if not digest_due(cadence, now):
        return "not due"
    period = digest_period(cadence, now)
    outcomes = []  # what the run did, once it ran

    def run() -> None:
        outcomes.append(post_team_digest(sf, client, ws, now, rt.default_retro_channel))

    # A claim on the whole run: given back if it fails, taken over after STALE_RUN if its worker died.
    claimed = deliver_once(
        sf, ws, "team", "digest_run", period, now, run, stale_after=STALE_RUN, give_back_and_raise=True, counted=False
    )
    if claimed == "already":
        return "already"
    outcome = outcomes[0]
    log.info("Scheduled digest for %s, period %s: %s", ws.team_id, period, outcome)
    metrics.delivery("digest", outcome)
    return outcome


def purge(rt: Runtime, now: datetime) -> dict[str, str]:
    """Delete the data of workspaces whose grace period after an uninstall has ended."""
    outcomes = purge_due(rt.session_factory, rt.installations, now)
    for outcome in outcomes.items():
        log.info("Data retention: %s %s", *outcome)
    return outcomes


def check_installs(rt: Runtime, now: datetime) -> list[str]:
    """OAuth mode: installs whose token Slack no longer takes, though no uninstall event reached us."""
    lost = rt.notice_lost(now) if rt.notice_lost else []
    for name in lost:
        log.warning("Workspace %s no longer takes its token: treated as uninstalled", name)
    return lost
