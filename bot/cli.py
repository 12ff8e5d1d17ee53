"""`failure-resume` subcommands: serve, socket, migrate, scheduler, run-job."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime

from dotenv import find_dotenv, load_dotenv
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.app import create_app
from bot.settings import Settings
from bot.slack_io import build_web_client
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_to_head

log = logging.getLogger("failure_resume")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # At DEBUG these libraries print request bodies, and so entry text: keep them at INFO at most.
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "waitress"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLogger().level))
    # At INFO SQLAlchemy logs every statement: keep it at its own default.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)


def _explain(problems: list[str]) -> int:
    print("Failure Resume cannot start yet. Missing configuration:\n", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}\n", file=sys.stderr)
    print(
        "Put these in a .env file next to where you run the bot (see .env.example), "
        "or export them, then run the same command again. README.md has the whole walkthrough.",
        file=sys.stderr,
    )
    return 2


def _build(settings: Settings, mode: str):
    problems = settings.missing_for(mode)
    if problems:
        return None, None, _explain(problems)
    if settings.database_url.startswith("sqlite"):
        # The embedded default needs no manual step: bring the file up to date on every start.
        upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    client = build_web_client(settings.bot_token, settings.slack_api_url)
    try:
        app = create_app(settings, make_session_factory(engine), client, verify_requests=(mode == "serve"))
    except (BoltError, SlackApiError, SlackClientError, OSError) as error:
        print(
            f"Slack did not accept SLACK_BOT_TOKEN, or could not be reached ({error}). "
            "Check that you copied the Bot User OAuth Token (xoxb-…) of an app installed to your workspace, and that "
            f"{settings.slack_api_url} can be reached.",
            file=sys.stderr,
        )
        return None, None, 2
    return app, engine, 0


def serve(settings: Settings) -> int:
    from waitress import serve as waitress_serve

    from bot.web import make_wsgi_app

    app, engine, status = _build(settings, "serve")
    if app is None:
        return status
    log.info("Failure Resume listening on port %s (POST /slack/events, GET /healthz)", settings.port)
    waitress_serve(make_wsgi_app(app, engine), host="0.0.0.0", port=settings.port, threads=8)
    return 0


def socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app, _engine, status = _build(settings, "socket")
    if app is None:
        return status
    log.info("Failure Resume connected in Socket Mode")
    SocketModeHandler(app, settings.app_token).start()
    return 0


def migrate(settings: Settings) -> int:
    upgrade_to_head(settings.database_url)
    print("Database is up to date.")
    return 0


def _job_client(settings: Settings):
    problems = settings.missing_for("job")
    if problems:
        _explain(problems)
        return None, None
    if settings.database_url.startswith("sqlite"):
        upgrade_to_head(settings.database_url)
    session_factory = make_session_factory(make_engine(settings.database_url))
    return session_factory, build_web_client(settings.bot_token, settings.slack_api_url)


def scheduler(settings: Settings) -> int:
    from bot.scheduler import run_scheduler

    session_factory, client = _job_client(settings)
    if client is None:
        return 2
    run_scheduler(session_factory, client, settings.retro_channel)
    return 0


def run_job(settings: Settings, name: str) -> int:
    from bot.jobs import JOBS

    if name not in JOBS:
        print(f"Unknown or not yet available job {name!r}. Jobs: {', '.join(sorted(JOBS))}.", file=sys.stderr)
        return 2
    session_factory, client = _job_client(settings)
    if client is None:
        return 2
    try:
        outcomes = JOBS[name](session_factory, client, datetime.now(UTC), settings.retro_channel)
    except (SlackApiError, SlackClientError, OSError) as error:
        print(f"Slack did not answer as expected ({error}).", file=sys.stderr)
        return 2
    for team, outcome in outcomes.items():
        print(f"{name} for {team}: {outcome}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="failure-resume", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="HTTP mode: POST /slack/events on $PORT (default 3000)")
    commands.add_parser("socket", help="Socket Mode, for development without a public URL")
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser(
        "scheduler", help="the clock process: team digests on their cadence, reflection prompts when due"
    )
    job = commands.add_parser(
        "run-job", help="run one scheduled job now, for every workspace: team-digest or reflection-prompts"
    )
    job.add_argument("name")
    args = parser.parse_args(argv)

    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    handler = {
        "serve": serve,
        "socket": socket,
        "migrate": migrate,
        "scheduler": scheduler,
        "run-job": lambda settings: run_job(settings, args.name),
    }
    try:
        return handler[args.command](settings)
    except KeyboardInterrupt:
        return 0
    except SQLAlchemyError as error:
        print(
            f"The database at DATABASE_URL could not be used ({type(error).__name__}: "
            f"{getattr(error, 'orig', None) or 'see the log'}). Check that it is running and reachable.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
