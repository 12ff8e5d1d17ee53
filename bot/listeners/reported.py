"""Every listener is registered through `reported` (in bot.listeners.register): its failures are
reported, Slack still gets its ack, and an entry that is not the person's gets the one refusal.

Bolt answers a listener that raises with a 500, even after it acked (Slack then shows the person an
error for a change that was made), so listeners are wrapped here instead of relying on @app.error alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from slack_bolt import Ack, BoltContext

from bot.blocks.entry_modal import ModalContext
from bot.blocks.messages import build_refusal_message
from bot.domain.entries import NotYourEntry
from bot.i18n import ENGLISH
from bot.listeners.changes import promise
from bot.listeners.wrapping import own_arguments, wrapping
from bot.slack.errors import report
from bot.tasks import follow_ups

log = logging.getLogger(__name__)


def reported(handler: Callable) -> Callable:
    @wrapping(handler, needs=("ack", "body", "client", "context"))
    def listener(**kwargs):
        ack, body, context = kwargs["ack"], kwargs["body"], kwargs["context"]
        try:
            try:
                if "user_id" in kwargs:
                    kwargs["user_id"] = acting_user_id(body)
                return handler(**own_arguments(handler, kwargs))
            except NotYourEntry:
                refuse(ack, context, body)
                return None
        except Exception as error:
            if ack is not None and ack.response is None:
                ack()
            # In the person's language, read now if the request did not need it (English with the
            # database down, which may be what failed); after the ack, which telling them must not delay.
            telling = partial(report, error, body, kwargs["client"], context.get("t") or ENGLISH)
            after_ack = context.get("after_ack") or (lambda work: work())
            after_ack(telling)
            return None

    return listener


def acting_user_id(body: dict) -> str:
    """Who acted, read as Slack writes it: a slash command's `user_id`, an interaction's `user.id`. A
    payload without it fails here, before anything is done (Bolt's own `user_id` reads more leniently)."""
    return body["user_id"] if "command" in body else body["user"]["id"]


def refuse(ack: Ack, context: BoltContext, body: dict) -> None:
    """Someone else's entry, or one already deleted: nothing changes, and the person hears why, in place
    of the message pressed (or of the one that opened the modal), else in their DM."""
    log.info("Refused: the entry is not the requester's")
    message = build_refusal_message(context.get("t"))
    where = body.get("response_url") or ModalContext.load((body.get("view") or {}).get("private_metadata")).response_url
    promise(context, follow_ups.answer, user_id=acting_user_id(body), response_url=where, message=message)
    ack()
