"""Scheduled jobs as plain functions of (session factory, Web API client, now, default channel).

`failure-resume run-job NAME` and the scheduler run the same functions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.reflection_prompts import send_reflection_prompts
from bot.jobs.team_digest import post_team_digest
from storage.repository import Workspace


def installed_workspaces(client: WebClient) -> list[Workspace]:
    """The workspaces this app's token reaches (one, for a single-workspace install)."""
    auth = client.auth_test()
    return [Workspace(enterprise_id=auth.get("enterprise_id") or "", team_id=auth["team_id"])]


def run_team_digest(
    sf: sessionmaker[Session], client: WebClient, now: datetime, default_channel: str | None
) -> dict[str, str]:
    """Post the team digest now, for every workspace; returns each workspace's outcome."""
    return {ws.team_id: post_team_digest(sf, client, ws, now, default_channel) for ws in installed_workspaces(client)}


def run_reflection_prompts(
    sf: sessionmaker[Session], client: WebClient, now: datetime, default_channel: str | None
) -> dict[str, str]:
    """Prompt now everyone who has not had this month's prompt, for every workspace."""
    outcomes = {}
    for ws in installed_workspaces(client):
        counts = send_reflection_prompts(sf, client, ws, now, force=True)
        outcomes[ws.team_id] = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nobody to prompt"
    return outcomes


JOBS: dict[str, Callable[..., dict[str, str]]] = {
    "team-digest": run_team_digest,
    "reflection-prompts": run_reflection_prompts,
}
