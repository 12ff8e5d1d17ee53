"""Scheduled jobs as plain functions of (session factory, installed workspaces, now, default channel).

`failure-resume run-job NAME` and the scheduler run the same functions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.domain.retention import purge_due
from bot.jobs.reflection_prompts import send_reflection_prompts
from bot.jobs.team_digest import post_team_digest
from bot.slack.installations import Installations


def run_team_digest(
    sf: sessionmaker[Session], installations: Installations, now: datetime, default_channel: str | None
) -> dict[str, str]:
    """Post the team digest now, for every workspace; returns each workspace's outcome."""
    return {
        each.workspace.team_id: post_team_digest(sf, each.client, each.workspace, now, default_channel)
        for each in installations()
    }


def run_reflection_prompts(
    sf: sessionmaker[Session], installations: Installations, now: datetime, default_channel: str | None
) -> dict[str, str]:
    """Prompt now everyone who has not had this month's prompt, for every workspace."""
    outcomes = {}
    for each in installations():
        counts = send_reflection_prompts(sf, each.client, each.workspace, now, force=True)
        outcomes[each.workspace.team_id] = (
            ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nobody to prompt"
        )
    return outcomes


def run_purge(
    sf: sessionmaker[Session], installations: Installations, now: datetime, default_channel: str | None
) -> dict[str, str]:
    """Delete the data of workspaces that removed the app and whose grace period has ended."""
    return purge_due(sf, installations, now)


JOBS: dict[str, Callable[..., dict[str, str]]] = {
    "team-digest": run_team_digest,
    "reflection-prompts": run_reflection_prompts,
    "purge-uninstalled": run_purge,
}
