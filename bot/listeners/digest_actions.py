"""Buttons around the team digest: a teammate's "Nice job", and an admin's "Post digest now"."""

from __future__ import annotations

import logging

from bot.blocks.state import pressed_entry_id
from bot.domain.nice_jobs import say_nice_job
from bot.listeners.changes import change, promise
from bot.listeners.registry import Listeners
from bot.slack.ids import Action
from bot.tasks import follow_ups

log = logging.getLogger(__name__)
listen = Listeners()


@listen.action(Action.NICE_JOB)
def handle_nice_job(ack, body, context, user_id, workspace, now) -> None:
    with change(context) as made:
        result = say_nice_job(made.sf, workspace, user_id, pressed_entry_id(body), now)
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


@listen.action(Action.POST_DIGEST)
def handle_post_digest(ack, context, user_id, now) -> None:
    promise(context, follow_ups.post_digest_now, user_id=user_id, now=now)
    ack()
