"""The work done off the request path, as tasks on the queue (bot.tasks.queue): listeners and the
clock enqueue them, workers run them.

`Tasks(huey, runtime)` registers every task on a Huey instance; calling one of its attributes
enqueues that task (a web process only enqueues; a worker's consumer runs them with `runtime`).
Arguments are plain values (IDs, dates, message dicts), never a person's client or session. What an
ack promises goes through the outbox instead (bot.tasks.follow_ups): the relay hands its rows to the
`follow_up` task here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from huey import Huey
from huey.exceptions import TaskLockedException
from huey.signals import SIGNAL_INTERRUPTED
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.i18n import ENGLISH
from bot.ops import metrics
from bot.slack import errors
from bot.tasks import fanout, follow_ups, meanings, trackers
from bot.tasks.follow_ups import FOLLOW_UPS
from bot.tasks.outbox import Relay, decode
from bot.tasks.runtime import Runtime
from storage.models import utcnow
from storage.repository import outbox as outbox_store
from storage.types import Workspace

log = logging.getLogger(__name__)

# A fan-out task that fails (a busy database, Slack down past the client's own retries) runs again.
RETRIES = 3
RETRY_DELAY_SECONDS = 10
# A follow-up that meets passing trouble waits, then is handed over again, up to this many times in
# all; then the person is told (the database, Slack or its file host down for minutes).
FOLLOW_UP_TRIES = 6


class TaskFailed(Exception):
    """What Huey sees of a failed task: the error's type alone, so that its log holds no entry text."""


class Tasks:
    def __init__(self, huey: Huey, runtime: Runtime, embed_entries: bool = False) -> None:
        """embed_entries: a save promises its entry's meaning (SIMILAR_BY_MEANING), for a worker to make."""
        self.huey, self.runtime, self.embed_entries = huey, runtime, embed_entries
        self.relay = Relay(runtime.session_factory, huey, self._hand_over)
        self.follow_up = huey.task(name="follow_up")(self._run_follow_up)
        # The clock's: one workspace each, logged if they fail; the next beat tries again.
        self.digest = self.huey.task(name="digest")(self._in_workspace("digest", fanout.digest_if_due))
        self.check_issues = self.huey.task(name="check_issues")(
            self._in_workspace("check_issues", trackers.check_issues)
        )
        # A page is safe to run again (the ledger skips whoever had their prompt): Huey retries it.
        retried = dict(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
        self.prompts = self.huey.task(name="prompts", **retried)(_logged("prompts", self._prompts))
        purge = _logged("purge", lambda now: fanout.purge(runtime, now))
        self.purge = self.huey.task(name="purge", **retried)(purge)
        check = _logged("check_installs", lambda now: fanout.check_installs(runtime, now))
        self.check_installs = self.huey.task(name="check_installs", **retried)(check)
        # Enqueued at a worker's start and by the clock; one run at a time, each enqueues the next.
        self.meanings = self.huey.task(name="meanings", **retried)(_logged("meanings", self._meanings))

        @huey.signal(SIGNAL_INTERRUPTED)
        def free_the_workspace(signal, task, *args, **kwargs) -> None:
            # A prompt page cut off by a shutdown still holds its workspace's lock: let it go with it.
            if task.name == "prompts" and task.args:
                self.prompt_lock(task.args[0]).clear()

    def promise_meaning(self, session: Session, ws: Workspace, entry_id: int) -> None:
        """After a save of an entry's words: its meaning, made by a worker (with SIMILAR_BY_MEANING)."""
        if self.embed_entries:
            follow_ups.embed_entry(session, ws, entry_id=entry_id)

    def _hand_over(self, row_id: int, lease: int, priority: int) -> None:
        self.follow_up(row_id, lease, priority=priority)

    def _run_follow_up(self, row_id: int, lease: int) -> None:
        """One outbox row's work; the row is deleted once it is done (or reported as failed). A copy
        of an older hand-off, or of a row already done, does nothing. Passing trouble (the database,
        Slack or its file host away for a moment) leaves the row to be handed over again."""
        sf = self.runtime.session_factory
        with sf() as session:
            row = outbox_store.get_leased(session, row_id, lease)
            if row is None:
                return
            ws, name, arguments = Workspace(row.enterprise_id, row.team_id), row.task, decode(row.arguments)
        follow_up = FOLLOW_UPS.get(name)
        if follow_up is None:  # written by a newer version of the app: left for a worker that knows it
            log.error("Follow-up %s has an unknown task %s", row_id, name)
            return
        failed = []
        run = self._in_workspace(name, follow_up.body, retry_passing=lease < FOLLOW_UP_TRIES, reported=failed.append)
        self.relay.started(row_id, lease)
        done = False
        try:
            self.relay.run_with(row_id, lambda: run(ws, **arguments))
            done = True
            metrics.follow_up(name, "failed" if failed else "done")
        except TaskFailed:
            metrics.follow_up(name, "retried")
            with sf.begin() as session:  # handed over again once this wait is over
                outbox_store.renew_leases(session, {row_id: lease}, utcnow() + timedelta(seconds=RETRY_DELAY_SECONDS))
        finally:
            self.relay.finished(row_id, done)  # a row done is deleted by the relay's next pass

    def prompt_lock(self, ws: Workspace):
        return self.huey.lock_task(f"prompts:{ws.enterprise_id}:{ws.team_id}")

    def clear_prompt_locks(self) -> None:
        """At a worker's start: the locks of a worker that was killed would stop their fan-outs for good.
        Huey keeps locks in its key-value store, which holds nothing else here (no results are kept),
        so clearing it needs no list of workspaces. (One worker restarting beside others may so let
        two chains of one workspace overlap for a while; the delivery ledger still sends each prompt once.)"""
        self.huey.storage.flush_results()

    def _in_workspace(
        self, name: str, body: Callable, retry_passing: bool = False, reported: Callable = lambda _error: None
    ) -> Callable:
        """`body` run with the workspace's own Web API client; skipped once the app has left it. With
        `retry_passing`, passing trouble is raised as TaskFailed, to be tried again, not reported.
        `reported` is told of a failure that was reported to the person."""
        rt = self.runtime

        def run(ws: Workspace, **kwargs):
            client = rt.client_for(ws)
            if client is None:
                log.info("Task %s skipped: the app is no longer installed in %s", name, ws.team_id or ws.enterprise_id)
                return None
            try:
                return body(rt, client, ws, **kwargs)
            except Exception as error:
                if retry_passing and _passing(error):
                    log.warning("Task %s failed (%s); it is tried again", name, type(error).__name__)
                    raise TaskFailed(type(error).__name__) from None
                who = {"user_id": kwargs.get("user_id"), "response_url": kwargs.get("response_url")}
                t = rt.translator_for(client, ws, who["user_id"]) if who["user_id"] else ENGLISH
                errors.report(error, {"type": name, **who}, client if who["user_id"] else None, t)
                reported(error)
                return None

        return run

    def _prompts(self, ws: Workspace, now: datetime, force: bool = False, cursor: str | None = None) -> None:
        """One page of the workspace's prompts, then the next page enqueued: one page at a time per
        workspace (Huey's lock), so that the workspace's limit holds across workers. A page that finds
        the lock taken is dropped: the chain that holds it goes through every page itself."""
        client = self.runtime.client_for(ws)
        if client is None:
            return
        try:
            with self.prompt_lock(ws):
                counts, next_cursor = fanout.prompt_page(self.runtime, client, ws, now, force, cursor)
        except TaskLockedException:
            log.info("Reflection prompts for %s are already being sent", ws.team_id)
            return
        for outcome, count in counts.items():  # the year's reviews sent with them count themselves
            if not outcome.startswith("year_review"):
                metrics.delivery("reflection_prompt", outcome, count)
        if next_cursor:
            self.prompts(ws, now, force, next_cursor)

    def _meanings(self) -> None:
        """A backlog run of entries without a meaning; the next is enqueued while some remain. A run that
        finds another under way leaves the backlog to it."""
        try:
            with self.huey.lock_task("meanings"):
                more = meanings.embed_backlog(self.runtime)
        except TaskLockedException:
            return
        if more:
            self.meanings()


def _logged(name: str, work: Callable) -> Callable:
    """A failure logged by its type alone (its message may quote a Slack answer or a query), then
    handed to Huey as TaskFailed, to be retried."""

    def run(*args, **kwargs):
        try:
            return work(*args, **kwargs)
        except Exception as error:
            if not _passing(error):  # a revoked token, say: the next beat sees whether it still is
                log.error("Task %s failed (%s)", name, type(error).__name__)
                return None
            log.error("Task %s failed (%s); it is tried again", name, type(error).__name__)
            raise TaskFailed(type(error).__name__) from None

    return run


def _passing(error: Exception) -> bool:
    """Trouble that may be gone in a few seconds: a busy or unreachable database, Slack not answering."""
    if isinstance(error, SlackApiError):
        return error.response.status_code >= 500 or error.response.status_code == 429
    return isinstance(error, SQLAlchemyError | OSError)
