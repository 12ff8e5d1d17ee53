"""`failure-resume run-job NAME`: one scheduled job done now, for every workspace, before the command
exits. The same task bodies as the queue's, run in this process, workspaces side by side."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError, SlackClientError

from bot import wiring
from bot.commands.setup import job_setup
from bot.settings import Settings
from bot.slack.installations import Installed
from bot.tasks import fanout, trackers
from bot.tasks.runtime import Runtime

# Workspaces served at once; each keeps within its own rate limit.
PARALLEL_WORKSPACES = 16


def each_workspace(rt: Runtime, work: Callable[[Installed], str]) -> dict[str, str]:
    installed = rt.installations()
    with ThreadPoolExecutor(max_workers=PARALLEL_WORKSPACES, thread_name_prefix="job") as pool:
        outcomes = list(pool.map(work, installed))
    return {each.workspace.team_id: outcome for each, outcome in zip(installed, outcomes, strict=True)}


def run_team_digest(rt: Runtime, now: datetime) -> dict[str, str]:
    """Post the team digest now, for every workspace; returns each workspace's outcome."""
    return each_workspace(rt, lambda each: fanout.digest_if_due(rt, each.client, each.workspace, now, force=True))


def run_reflection_prompts(rt: Runtime, now: datetime) -> dict[str, str]:
    """Prompt now everyone who has not had this month's prompt, for every workspace, page after page."""

    def prompt_everyone(each: Installed) -> str:
        counts: Counter = Counter()
        cursor = None
        while True:
            page, cursor = fanout.prompt_page(rt, each.client, each.workspace, now, True, cursor)
            counts.update(page)
            if not cursor:
                return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nobody to prompt"

    return each_workspace(rt, prompt_everyone)


def run_purge(rt: Runtime, now: datetime) -> dict[str, str]:
    """Delete the data of workspaces that removed the app and whose grace period has ended."""
    return fanout.purge(rt, now)


def run_issue_check(rt: Runtime, now: datetime) -> dict[str, str]:
    """Look at every tracker issue of an action item now: a closed one makes its item done."""
    return each_workspace(rt, lambda each: trackers.check_issues(rt, each.client, each.workspace, now))


JOBS: dict[str, Callable[[Runtime, datetime], dict[str, str]]] = {
    "team-digest": run_team_digest,
    "reflection-prompts": run_reflection_prompts,
    "purge-uninstalled": run_purge,
    "check-issues": run_issue_check,
}


def run_job(settings: Settings, name: str) -> int:
    if name not in JOBS:
        print(f"Unknown or not yet available job {name!r}. Jobs: {', '.join(sorted(JOBS))}.", file=sys.stderr)
        return 2
    session_factory, slack = job_setup(settings)
    if slack is None:
        return 2
    try:
        outcomes = JOBS[name](wiring.runtime(settings, session_factory, slack), datetime.now(UTC))
    except (SlackApiError, SlackClientError, OSError) as error:
        print(f"Slack did not answer as expected ({error}).", file=sys.stderr)
        return 2
    for team, outcome in outcomes.items():
        print(f"{name} for {team}: {outcome}")
    if not outcomes:
        print(f"{name}: nothing to do (no installed workspace, or none due).")
    return 0
