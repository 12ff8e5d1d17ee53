"""Follow-ups at least once, shown once: the transactional outbox.

What an ack promises is a row in the app's own database, written in the same transaction as the
change (`promise`). A relay in each worker process hands due rows to the task queue under a lease
and renews the leases of the rows it is running; a row is deleted only once its work is done, so a
worker killed at any moment leaves its rows to be handed over again when their lease runs out.
Each message a follow-up shows is claimed on its row just before it is sent (`once`): a follow-up
run again never shows one twice (a run cut off during the call itself may have shown it: at most once)."""

from __future__ import annotations

import contextvars
import copy
import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

from huey import Huey
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import utcnow
from storage.repository import outbox as outbox_store
from storage.types import Workspace

log = logging.getLogger(__name__)

# What a person just asked for goes first (a backlog of Nice jobs after a restart never holds up a
# resume), then what a person waits for; refreshing a Home tab after a change, last.
ASKED, WAITING, BACKGROUND = 20, 10, 0
LEASE_SECONDS = 30.0
# How often an idle relay looks for new rows: at most half a second late.
POLL_SECONDS = (0.02, 0.5)

T = TypeVar("T")


def encode(arguments: dict) -> dict:
    """A task's arguments as JSON: dates and times tagged, tuples as lists."""

    def value(v):
        if isinstance(v, datetime):
            return {"$datetime": v.isoformat()}
        if isinstance(v, date):
            return {"$date": v.isoformat()}
        if isinstance(v, list | tuple):
            return [value(each) for each in v]
        if isinstance(v, dict):
            return {key: value(each) for key, each in v.items()}
        return v

    return value(arguments)


def decode(arguments: dict) -> dict:
    def value(v):
        if isinstance(v, dict):
            if v.keys() == {"$datetime"}:
                return datetime.fromisoformat(v["$datetime"])
            if v.keys() == {"$date"}:
                return date.fromisoformat(v["$date"])
            return {key: value(each) for key, each in v.items()}
        if isinstance(v, list):
            return [value(each) for each in v]
        return v

    return value(arguments)


def promise(session: Session, ws: Workspace, task: str, priority: int, **arguments) -> None:
    """A follow-up written in the caller's transaction: it exists exactly when the change does."""
    outbox_store.add_follow_up(session, ws, task, encode(arguments), priority)


# -- shown once ------------------------------------------------------------------------------


class _Run:
    """One run of one outbox row, on the thread that runs it."""

    def __init__(self, sf: sessionmaker[Session], row_id: int) -> None:
        self.sf, self.row_id, self.sends = sf, row_id, 0

    def claim_next_send(self) -> bool:
        self.sends += 1
        with self.sf.begin() as session:
            return outbox_store.claim_send(session, self.row_id, self.sends)


_current_run: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("follow_up_run", default=None)


def once(send: Callable[[], T]) -> T | None:
    """`send()`, unless an earlier run of this follow-up already claimed this message (then None).
    Outside a follow-up (the clock's work, tests of a task's logic) it simply sends."""
    run = _current_run.get()
    if run is not None and not run.claim_next_send():
        log.info("Follow-up %s: message %s was already sent by an earlier run", run.row_id, run.sends)
        return None
    return send()


class _AlreadyShown(Exception):
    """An earlier run of this follow-up already shared these files."""


def upload_once(client: WebClient, **upload) -> None:
    """`client.files_upload_v2(**upload)`, with only its last call claimed by `once`: getting upload
    addresses and sending the bytes show nothing, and a run cut off there uploads again when the
    follow-up runs again; files.completeUploadExternal shows the files, so it is the one claimed.
    (Claimed around the whole upload, a timeout in its first call lost the files for good.)"""

    def complete_once(**arguments):
        completion = once(lambda: client.files_completeUploadExternal(**arguments))
        if completion is None:
            raise _AlreadyShown
        return completion

    uploading = copy.copy(client)  # this run's own: the shared client keeps its own method
    uploading.files_completeUploadExternal = complete_once
    try:
        uploading.files_upload_v2(**upload)
    except _AlreadyShown:
        pass


# -- the relay -------------------------------------------------------------------------------


class Relay:
    """Hands due outbox rows to the queue, a few more than the workers can take at once (so that a
    row waits on the queue for seconds, never for its whole lease), and keeps the leases of the rows
    this process runs. One per worker process; several relays share the rows without overlap."""

    def __init__(
        self,
        sf: sessionmaker[Session],
        huey: Huey,
        hand_over: Callable[[int, int, int], None],
    ) -> None:
        self.sf, self.huey, self.hand_over = sf, huey, hand_over
        self.batch = 2
        self.lease = timedelta(seconds=LEASE_SECONDS)
        self.poll = POLL_SECONDS
        self._running: dict[int, int] = {}  # row id -> lease, of the rows this process runs now
        self._done: set[int] = set()  # rows whose work is done, deleted by the next pass
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # What the task running a row tells the relay.
    def started(self, row_id: int, lease: int) -> None:
        with self._lock:
            self._running[row_id] = lease

    def finished(self, row_id: int, done: bool) -> None:
        """The run of `row_id` ended; with `done`, its work is done and the row goes with the next
        pass (one commit for all the rows done since, not one each: a row a killed worker did not
        delete yet is run again, and what it already showed is not shown again)."""
        with self._lock:
            self._running.pop(row_id, None)
            if done:
                self._done.add(row_id)

    def run_with(self, row_id: int, work: Callable[[], T]) -> T:
        """`work()` as the run of `row_id`, for `once`."""
        token = _current_run.set(_Run(self.sf, row_id))
        try:
            return work()
        finally:
            _current_run.reset(token)

    def release_all(self) -> None:
        """At the start of the embedded queue's one worker: whatever was leased was leased by a worker
        that is gone, so it is due at once (copies still on the queue find a newer lease and skip)."""
        with self.sf.begin() as session:
            released = outbox_store.release_leases(session)
        if released:
            log.info("%s follow-ups of a stopped worker are due again", released)

    def pass_once(self, renew: bool = True) -> int:
        """Delete the rows done, renew the running rows' leases, then hand over what is due. Returns
        how many were handed."""
        now = utcnow()
        with self._lock:
            running = dict(self._running) if renew else {}
        room = self.batch - self.huey.pending_count()
        with self.sf.begin() as session:
            done = self._delete_done(session)
            if running:
                outbox_store.renew_leases(session, running, now + self.lease)
            won = outbox_store.lease_due(session, now, now + self.lease, room) if room > 0 else []
        with self._lock:
            self._done -= done
        for row_id, lease, priority in won:
            self.hand_over(row_id, lease, priority)
        return len(won)

    def run(self) -> None:
        delay, renewed, paused = self.poll[0], utcnow(), False
        while not self._stop.is_set():
            renew = utcnow() - renewed >= self.lease / 3
            try:
                handed = self.pass_once(renew)
                renewed = utcnow() if renew else renewed
                if paused:
                    log.warning("Outbox relay running again")
                paused = False
            except Exception as error:  # the database or the queue away for a while: the rows wait
                if not paused:
                    log.warning("Outbox relay paused (%s): the follow-ups wait", type(error).__name__)
                paused, handed = True, 0
            delay = self.poll[0] if handed else min(delay * 1.5, self.poll[1])
            self._stop.wait(delay)

    def start(self, threads: int, lease_seconds: float = LEASE_SECONDS, poll: tuple[float, float] = POLL_SECONDS):
        """In a worker process, beside a consumer of `threads` threads."""
        self.batch = max(2, 2 * threads)
        self.lease, self.poll = timedelta(seconds=lease_seconds), poll
        self._thread = threading.Thread(target=self.run, daemon=True, name="outbox-relay")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with self.sf.begin() as session:
                self._delete_done(session)
        except SQLAlchemyError:
            left = len(self._done)
            log.warning("%s follow-ups done but not deleted will run again (showing nothing twice)", left)

    def _delete_done(self, session: Session) -> set[int]:
        """The rows whose work is done, deleted in the caller's transaction; returns which."""
        with self._lock:
            done = set(self._done)
        outbox_store.delete_follow_ups(session, done)
        return done


def pending_follow_ups(sf: sessionmaker[Session]) -> int:
    try:
        with sf() as session:
            return outbox_store.count_follow_ups(session)
    except SQLAlchemyError:
        return 0
