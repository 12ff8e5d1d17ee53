"""Buttons around the team digest: a teammate's "Nice job", and an admin's "Post digest now"."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext

from bot.blocks.state import pressed_entry_id
from bot.domain.nice_jobs import say_nice_job
from bot.listeners.flows import change, promise, workspace_of
from bot.slack.errors import reported
from bot.slack.ids import Action
from bot.tasks import follow_ups

log = logging.getLogger(__name__)


def handle_nice_job(ack: Ack, body: dict, context: BoltContext) -> None:
    with change(context) as made:
        ws, user_id, now = workspace_of(context), body["user"]["id"], context["clock"]()
        result = say_nice_job(made.sf, ws, user_id, pressed_entry_id(body), now)
        if result is not None and result.added:  # a second press, or the author's own, changes nothing
            # Only the author hears who they are; the teammate who pressed learns nothing about them,
            # not even whether this message reached the author.
            made.promise(
                follow_ups.pass_on_nice_job,
                channel=(body.get("channel") or {}).get("id"),
                message=body.get("message") or {},
                author_id=result.author_id,
                count=result.count,
                happened_on=result.entry.happened_on,
            )
    if result is None:
        log.info("Ignored a Nice job on an entry that is not in a digest here")
    ack()  # after the write: Slack's 200 means the Nice job is counted


def handle_post_digest(ack: Ack, body: dict, context: BoltContext) -> None:
    promise(context, follow_ups.post_digest_now, user_id=body["user"]["id"], now=context["clock"]())
    ack()


def register(app: App) -> None:
    app.action(Action.NICE_JOB)(reported(handle_nice_job))
    app.action(Action.POST_DIGEST)(reported(handle_post_digest))
