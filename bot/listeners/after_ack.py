"""What a listener leaves for after its ack, on a thread of the web process: opening a modal on its
live trigger, telling the person of a failure. Listeners run on the request's own thread and Slack's
200 leaves when they return (Bolt's process_before_response), so nothing here may hold it up; work
that is slower still is a follow-up on the task queue, never this."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from slack_sdk import WebClient

from bot.i18n import Translator
from bot.slack.errors import report


class AfterAck:
    """One request's: `after_ack(work)` runs `work()` once the ack is on its way; a failure is reported
    as a listener's is (logged with a reference, and the person told)."""

    def __init__(self, executor: Executor, body: dict, client: WebClient, t: Translator) -> None:
        self.executor, self.body, self.client, self.t = executor, body, client, t

    def __call__(self, work: Callable[[], object]) -> None:
        def run() -> None:
            try:
                work()
            except Exception as error:
                report(error, self.body, self.client, self.t)

        self.executor.submit(run)
