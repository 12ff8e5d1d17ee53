"""What every command that runs the bot does first: the configuration checked, the process built
by bot.wiring, and a plain answer on stderr when it cannot be."""

from __future__ import annotations

import sys

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import wiring
from bot.settings import Settings


def explain(problems: list[str]) -> int:
    print("Failure Resume cannot start yet. Missing configuration:\n", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}\n", file=sys.stderr)
    print(
        "Put these in a .env file next to where you run the bot (see .env.example), "
        "or export them, then run the same command again. README.md has the whole walkthrough.",
        file=sys.stderr,
    )
    return 2


def build_app(settings: Settings, mode: str) -> tuple[App | None, Engine | None, int]:
    """The app of `serve` or `socket` and its engine, or None and the exit status."""
    problems = settings.missing_for(mode)
    if problems:
        return None, None, explain(problems)
    engine, sf = wiring.database(settings)
    slack = wiring.slack(settings, mode, engine, sf)
    try:
        tasks = wiring.tasks(settings, wiring.runtime(settings, sf, slack))
        app = wiring.app(settings, sf, slack, tasks, mode)
    except (BoltError, SlackApiError, SlackClientError, OSError) as error:
        print(
            f"Slack did not accept SLACK_BOT_TOKEN, or could not be reached ({error}). "
            "Check that you copied the Bot User OAuth Token (xoxb-…) of an app installed to your workspace, and that "
            f"{settings.slack_api_url} can be reached.",
            file=sys.stderr,
        )
        return None, None, 2
    return app, engine, 0


def job_setup(
    settings: Settings, acknowledges: bool = True
) -> tuple[sessionmaker[Session] | None, wiring.Slack | None]:
    """The session factory and Slack side of a process without HTTP (worker, clock, run-job)."""
    problems = settings.missing_for("job")
    if problems:
        explain(problems)
        return None, None
    engine, sf = wiring.database(settings, acknowledges)
    return sf, wiring.slack(settings, "job", engine, sf)
