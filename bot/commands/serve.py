"""`failure-resume serve` (HTTP, with the worker and the clock as its children) and `socket`."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from bot import wiring
from bot.commands.setup import build_app
from bot.settings import Settings
from bot.tasks.queue import make_queue
from storage.db import make_session_factory

log = logging.getLogger("failure_resume")


def serve(settings: Settings, with_clock: bool = False) -> int:
    from bot.ops import metrics

    with metrics.directory_for_serve():  # before the children and the web processes start: they inherit it
        return _serve(settings, with_clock)


def _serve(settings: Settings, with_clock: bool) -> int:
    from bot.ops import metrics
    from bot.ops.readiness import Readiness
    from bot.slack.web import ProductionServer

    app, engine, status = build_app(settings, "serve")
    if app is None:
        return status
    log.info("Failure Resume listening on port %s (POST /slack/events, GET /healthz, /readyz, /metrics)", settings.port)
    if app.oauth_flow:
        log.info("OAuth mode: workspaces install the app from GET /slack/install")
    grace, processes = settings.shutdown_grace_seconds, settings.web_concurrency
    sf = make_session_factory(engine)
    probes = dict(
        readiness=Readiness.of(settings),
        read_queue=metrics.queue_state(sf, make_queue(settings)),
        webhooks=wiring.webhooks(settings, sf),
    )
    with _beside(settings, with_clock):
        ProductionServer(app, engine, settings.port, grace, processes, **probes).run()
    return 0


def socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app, _engine, status = build_app(settings, "socket")
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
