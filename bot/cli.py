"""`failure-resume` subcommands: serve, socket, worker, scheduler, migrate, run-job, purge-workspace,
generate-key, rotate-keys, doctor, ready."""

from __future__ import annotations

import argparse
import logging
import sys

from dotenv import find_dotenv, load_dotenv
from sqlalchemy.exc import SQLAlchemyError

from bot.commands import doctor, maintenance, run_job, serve, worker
from bot.settings import Settings
from storage.tokens import VARIABLE, TokenKeyError

log = logging.getLogger("failure_resume")


def configure_logging(level: str, log_format: str = "text") -> None:
    from bot.ops.logs import handler

    logging.basicConfig(level=level, handlers=[handler(log_format)])
    # At DEBUG these libraries print request bodies, and so entry text: keep them at INFO at most.
    for noisy in ("slack_sdk", "slack_bolt", "bot.app", "urllib3", "gunicorn"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLogger().level))
    # At INFO SQLAlchemy logs every statement: keep it at its own default.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    # Huey logs two lines a task at INFO: its start-up and shutdown lines are enough.
    logging.getLogger("huey").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("huey.consumer").setLevel(max(logging.INFO, logging.getLogger().level))


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="failure-resume", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser("serve", help="HTTP mode: POST /slack/events on $PORT (default 3000)")
    serve_command.add_argument("--with-clock", action="store_true", help="start the clock process beside it")
    commands.add_parser("socket", help="Socket Mode, for development without a public URL")
    commands.add_parser("worker", help="the task queue's consumer: $WORKER_THREADS tasks at a time")
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser(
        "scheduler", help="the clock process: enqueues team digests on their cadence, reflection prompts when due"
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
    commands.add_parser("generate-key", help=f"print a new key for {VARIABLE}, which encrypts the stored tokens")
    commands.add_parser("rotate-keys", help=f"re-encrypt every stored token under the first key of {VARIABLE}")
    commands.add_parser(
        "ready", help="exit 0 when the database and the queue answer, 1 otherwise (a probe for worker and clock)"
    )
    commands.add_parser(
        "doctor",
        help="check the configuration (token and scopes, signing secret, database, queue, retro channel, keys); "
        "exits 1 if a check fails",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "generate-key":  # needs no configuration
        return maintenance.generate_key()

    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if args.command in ("serve", "socket", "worker", "scheduler", "run-job"):
        from bot.ops import error_tracking

        error_tracking.start(settings.sentry_dsn, args.command)
    handler = {
        "serve": lambda settings: serve.serve(settings, args.with_clock),
        "socket": serve.socket,
        "worker": worker.worker,
        "migrate": maintenance.migrate,
        "scheduler": worker.scheduler,
        "run-job": lambda settings: run_job.run_job(settings, args.name),
        "purge-workspace": lambda settings: maintenance.purge_workspace(
            settings, args.team_id, args.enterprise_id, args.yes
        ),
        "rotate-keys": maintenance.rotate_keys,
        "doctor": doctor.run,
        "ready": maintenance.ready,
    }
    try:
        return handler[args.command](settings)
    except KeyboardInterrupt:
        return 0
    except TokenKeyError as problem:  # keys that open no stored token, or a migration that needs one
        print(f"Failure Resume cannot go on: {problem}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(
            f"The database at DATABASE_URL could not be used ({type(error).__name__}: "
            f"{getattr(error, 'orig', None) or 'see the log'}). Check that it is running and reachable.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
