"""`failure-resume` subcommands: serve, socket, migrate, scheduler, run-job, purge-workspace."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from dotenv import find_dotenv, load_dotenv
from slack_bolt.error import BoltError
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.app import create_app
from bot.settings import Settings
from bot.slack.api import build_web_client
from bot.slack.installations import Installations, every_install, oauth_settings, single_workspace
from storage import repository as repo
from storage.db import make_engine, make_session_factory
from storage.installations import InstallationStore, forget_tokens
from storage.migrate import upgrade_to_head
from storage.repository import Workspace

log = logging.getLogger("failure_resume")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # At DEBUG these libraries print request bodies, and so entry text: keep them at INFO at most.
    for noisy in ("slack_sdk", "slack_bolt", "bot.app", "urllib3", "gunicorn"):
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


def _database(settings: Settings):
    if settings.database_url.startswith("sqlite"):
        # The embedded default needs no manual step: bring the file up to date on every start.
        upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    return engine, make_session_factory(engine)


class _Slack(NamedTuple):
    client: WebClient
    oauth: OAuthSettings | None
    installations: Installations
    store: InstallationStore | None  # OAuth mode's installs


def _slack(settings: Settings, mode: str, engine, sf) -> _Slack:
    """The Web API client, OAuth settings and installed workspaces of one or every workspace."""
    if settings.oauth and mode != "socket":
        store = InstallationStore(settings.client_id, engine)
        oauth = oauth_settings(settings, store) if mode == "serve" else None
        return _Slack(build_web_client(None, settings.slack_api_url), oauth, every_install(settings, store, sf), store)
    client = build_web_client(settings.bot_token, settings.slack_api_url)
    return _Slack(client, None, single_workspace(client), None)


def _build(settings: Settings, mode: str):
    problems = settings.missing_for(mode)
    if problems:
        return None, None, _explain(problems)
    engine, sf = _database(settings)
    client, oauth, _installations, _store = _slack(settings, mode, engine, sf)
    try:
        app = create_app(settings, sf, client, verify_requests=(mode == "serve"), oauth=oauth)
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
    from bot.slack.web import ProductionServer

    app, engine, status = _build(settings, "serve")
    if app is None:
        return status
    log.info("Failure Resume listening on port %s (POST /slack/events, GET /healthz)", settings.port)
    if app.oauth_flow:
        log.info("OAuth mode: workspaces install the app from GET /slack/install")
    ProductionServer(app, engine, settings.port, settings.shutdown_grace_seconds).run()
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


def _job_setup(settings: Settings):
    problems = settings.missing_for("job")
    if problems:
        _explain(problems)
        return None, None, None
    engine, sf = _database(settings)
    slack = _slack(settings, "job", engine, sf)
    return sf, slack.installations, slack.store


def scheduler(settings: Settings) -> int:
    from bot.domain.retention import notice_lost_uninstalls
    from bot.scheduler import run_scheduler

    session_factory, installations, store = _job_setup(settings)
    if installations is None:
        return 2
    notice_lost = None
    if store is not None:
        grace = timedelta(days=settings.uninstall_grace_days)

        def notice_lost(now: datetime) -> list[str]:
            return notice_lost_uninstalls(session_factory, store, settings.slack_api_url, now, grace)

    run_scheduler(session_factory, installations, settings.retro_channel, notice_lost=notice_lost)
    return 0


def run_job(settings: Settings, name: str) -> int:
    from bot.jobs import JOBS

    if name not in JOBS:
        print(f"Unknown or not yet available job {name!r}. Jobs: {', '.join(sorted(JOBS))}.", file=sys.stderr)
        return 2
    session_factory, installations, _store = _job_setup(settings)
    if installations is None:
        return 2
    try:
        outcomes = JOBS[name](session_factory, installations, datetime.now(UTC), settings.retro_channel)
    except (SlackApiError, SlackClientError, OSError) as error:
        print(f"Slack did not answer as expected ({error}).", file=sys.stderr)
        return 2
    for team, outcome in outcomes.items():
        print(f"{name} for {team}: {outcome}")
    if not outcomes:
        print(f"{name}: nothing to do (no installed workspace, or none due).")
    return 0


def purge_workspace(settings: Settings, team_id: str, enterprise_id: str, confirmed: bool) -> int:
    from bot.domain.retention import purge_workspace as purge

    if not team_id and not enterprise_id:
        print('Name the workspace: its team ID (T…), or "" with --enterprise-id E… for a whole org.', file=sys.stderr)
        return 2
    engine, sf = _database(settings)
    if team_id and not enterprise_id:
        with sf() as session:
            known = repo.enterprises_of_team(session, team_id)
        if len(known) > 1:
            print(
                f"Workspace {team_id} is known in several orgs ({', '.join(known)}): add --enterprise-id.",
                file=sys.stderr,
            )
            return 2
        enterprise_id = known[0] if known else ""
    who = f"workspace {team_id or '(every one)'}" + (f" of enterprise {enterprise_id}" if enterprise_id else "")
    if not confirmed:
        print(f"This deletes for good everything stored for {who}. Run it again with --yes to do it.", file=sys.stderr)
        return 2
    if settings.client_id:
        forget_tokens(InstallationStore(settings.client_id, engine), enterprise_id, team_id)
    deleted = sum(purge(sf, Workspace(enterprise_id, team_id)).values())
    if not deleted:
        print(f"Nothing is stored for {who}: nothing deleted. Check the team ID.", file=sys.stderr)
        return 1
    print(f"Deleted the data of {who}: {deleted} rows.")
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
        "run-job",
        help="run one scheduled job now, for every workspace: team-digest, reflection-prompts or purge-uninstalled",
    )
    job.add_argument("name", help="team-digest, reflection-prompts or purge-uninstalled")
    purge = commands.add_parser(
        "purge-workspace", help="delete a workspace's data now, instead of after the grace period of an uninstall"
    )
    purge.add_argument("team_id")
    purge.add_argument("--enterprise-id", default="", help="the Enterprise Grid org of the workspace, if any")
    purge.add_argument("--yes", action="store_true", help="really delete")
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
        "purge-workspace": lambda settings: purge_workspace(settings, args.team_id, args.enterprise_id, args.yes),
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
