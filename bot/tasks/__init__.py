"""The work done off the request path, as tasks on the queue (bot.tasks.queue): listeners and the
clock enqueue them, workers run them.

`Tasks(huey, runtime)` registers every task on a Huey instance; calling one of its attributes
enqueues that task (a web process only enqueues; a worker's consumer runs them with `runtime`).
Arguments are plain values (IDs, dates, message dicts), never a person's client or session."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from huey import Huey
from huey.exceptions import TaskLockedException
from huey.signals import SIGNAL_INTERRUPTED
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import ENGLISH
from bot.slack import errors
from bot.tasks import after_ack, fanout, imports, reviews
from bot.tasks.runtime import Runtime
from storage.repository import Workspace

log = logging.getLogger(__name__)

# A fan-out task that fails (a busy database, Slack down past the client's own retries) runs again.
RETRIES = 3
RETRY_DELAY_SECONDS = 10


class TaskFailed(Exception):
    """What Huey sees of a failed task: the error's type alone, so that its log holds no entry text."""


class Tasks:
    def __init__(self, huey: Huey, runtime: Runtime) -> None:
        self.huey, self.runtime = huey, runtime
        # After an ack: each tells the person, in place or in their DM, if it fails unexpectedly.
        self.welcome_entry = self._for_workspace("welcome_entry", after_ack.welcome_entry)
        self.answer = self._for_workspace("answer", after_ack.send_answer)
        self.refresh_home = self._for_workspace("refresh_home", after_ack.refresh_home)
        self.resume = self._for_workspace("resume", after_ack.send_resume)
        self.search = self._for_workspace("search", after_ack.send_search)
        self.earlier_lessons = self._for_workspace("earlier_lessons", after_ack.show_earlier_lessons)
        self.export = self._for_workspace("export", after_ack.send_export)
        self.shared_export = self._for_workspace("shared_export", after_ack.send_shared_export)
        self.post_digest_now = self._for_workspace("post_digest_now", after_ack.post_digest_now)
        self.pass_on_nice_job = self._for_workspace("pass_on_nice_job", after_ack.pass_on_nice_job)
        # Slack's file host failing for a moment (a 500, no answer) is tried again before the person hears.
        self.read_shared_file = self._for_workspace("read_shared_file", imports.read_shared_file, retries=RETRIES)
        self.finish_import = self._for_workspace("finish_import", imports.finish_import)
        self.year_review = self._for_workspace("year_review", reviews.send_year_review_now)
        # The clock's: one workspace each, logged if they fail; the next beat tries again.
        self.digest = self._for_workspace("digest", fanout.digest_if_due)
        # A page is safe to run again (the ledger skips whoever had their prompt): Huey retries it.
        retried = dict(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
        self.prompts = self.huey.task(name="prompts", **retried)(_logged("prompts", self._prompts))
        purge = _logged("purge", lambda now: fanout.purge(runtime, now))
        self.purge = self.huey.task(name="purge", **retried)(purge)
        check = _logged("check_installs", lambda now: fanout.check_installs(runtime, now))
        self.check_installs = self.huey.task(name="check_installs", **retried)(check)

        @huey.signal(SIGNAL_INTERRUPTED)
        def free_the_workspace(signal, task, *args, **kwargs) -> None:
            # A prompt page cut off by a shutdown still holds its workspace's lock: let it go with it.
            if task.name == "prompts" and task.args:
                self.prompt_lock(task.args[0]).clear()

    def prompt_lock(self, ws: Workspace):
        return self.huey.lock_task(f"prompts:{ws.enterprise_id}:{ws.team_id}")

    def clear_prompt_locks(self) -> None:
        """At a worker's start: the locks of a worker that was killed would stop their fan-outs for good.
        Huey keeps locks in its key-value store, which holds nothing else here (no results are kept),
        so clearing it needs no list of workspaces. (One worker restarting beside others may so let
        two chains of one workspace overlap for a while; the delivery ledger still sends each prompt once.)"""
        self.huey.storage.flush_results()

    def _for_workspace(self, name: str, body: Callable, retries: int = 0) -> Callable:
        """A task run with the workspace's own Web API client; skipped once the app has left it. With
        `retries`, passing trouble is tried again (by Huey) before the person is told."""
        rt = self.runtime

        def run(ws: Workspace, task=None, **kwargs):
            client = rt.client_for(ws)
            if client is None:
                log.info("Task %s skipped: the app is no longer installed in %s", name, ws.team_id or ws.enterprise_id)
                return None
            try:
                return body(rt, client, ws, **kwargs)
            except Exception as error:
                if task is not None and task.retries and _passing(error):
                    log.warning("Task %s failed (%s); it is tried again", name, type(error).__name__)
                    raise TaskFailed(type(error).__name__) from None
                who = {"user_id": kwargs.get("user_id"), "response_url": kwargs.get("response_url")}
                t = rt.translator_for(client, ws, who["user_id"]) if who["user_id"] else ENGLISH
                errors.report(error, {"type": name, **who}, client if who["user_id"] else None, t)
                return None

        options = dict(retries=retries, retry_delay=RETRY_DELAY_SECONDS, context=True) if retries else {}
        return self.huey.task(name=name, **options)(run)

    def _prompts(self, ws: Workspace, now: datetime, force: bool = False, cursor: str | None = None) -> None:
        """One page of the workspace's prompts, then the next page enqueued: one page at a time per
        workspace (Huey's lock), so that the workspace's limit holds across workers. A page that finds
        the lock taken is dropped: the chain that holds it goes through every page itself."""
        client = self.runtime.client_for(ws)
        if client is None:
            return
        try:
            with self.prompt_lock(ws):
                _counts, next_cursor = fanout.prompt_page(self.runtime, client, ws, now, force, cursor)
        except TaskLockedException:
            log.info("Reflection prompts for %s are already being sent", ws.team_id)
            return
        if next_cursor:
            self.prompts(ws, now, force, next_cursor)


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
