"""`failure-resume run-job NAME`: one scheduled job done now, for every workspace, before the command
exits. The same task bodies as the queue's, run in this process, workspaces side by side."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bot.slack.installations import Installed
from bot.tasks import fanout
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


JOBS: dict[str, Callable[[Runtime, datetime], dict[str, str]]] = {
    "team-digest": run_team_digest,
    "reflection-prompts": run_reflection_prompts,
    "purge-uninstalled": run_purge,
}
