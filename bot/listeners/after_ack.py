"""What a listener leaves for after its ack, on a thread of the web process: opening a modal on its
live trigger, handling an event, telling the person of a failure. Listeners run on the request's own
thread and Slack's 200 leaves when they return (Bolt's process_before_response), so nothing here may
hold it up; work that is slower still is a follow-up on the task queue, never this."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor

from slack_sdk import WebClient

from bot.i18n import Translator
from bot.slack.errors import report

log = logging.getLogger(__name__)


class AfterAck:
    """One request's: `after_ack(work)` runs `work()` on a pool thread, beside the ack rather than before
    it; a failure is reported as a listener's is (logged with a reference, and the person told)."""

    def __init__(self, executor: Executor, body: dict, client: WebClient, t: Translator) -> None:
        self.executor, self.body, self.client, self.t = executor, body, client, t

    def __call__(self, work: Callable[[], object]) -> None:
        try:
            self.executor.submit(self._run, work)
        except RuntimeError:  # the process is stopping: its pool takes no more work
            log.warning("Not done after the ack: the web process is stopping")

    def _run(self, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception as error:
            try:
                report(error, self.body, self.client, self.t)
            except Exception as failure:  # never silent, never the request's words
                log.error("A failure after the ack could not be reported (%s)", type(failure).__name__)
