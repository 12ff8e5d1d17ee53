"""Errors no listener expected: log a reference, never the payload, and tell the person something
went wrong on our side where Slack gave us a way to answer them."""

from __future__ import annotations

import logging
import traceback
import uuid

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.i18n import ENGLISH, Translator
from bot.ops import error_tracking
from bot.slack import api

log = logging.getLogger("bot.slack.errors")


def report(error: Exception, body: object, client: WebClient | None = None, t: Translator = ENGLISH) -> None:
    """Log the failure with a reference, and tell the person (in `t`'s language): in place if Slack
    gave us a response_url, else in their DM with the app."""
    reference = uuid.uuid4().hex[:12]
    body = body if isinstance(body, dict) else {}
    kind = body.get("type") or ("slash_command" if "command" in body else "Slack")
    # Exception messages can quote SQL parameters or Slack payloads: log the type and where it
    # happened, never the message.
    where = "".join(traceback.format_tb(error.__traceback__))
    log.error(
        "Unhandled %s while handling a %s request (reference %s)\n%s",
        type(error).__name__,
        kind,
        reference,
        where,
        extra={"reference": reference},
    )
    error_tracking.report(error, reference)
    text = t(
        "Sorry, something went wrong on our side (reference {reference}). Nothing you saved "
        "was lost; please try again in a moment.",
        reference=reference,
    )
    response_url = body.get("response_url")
    user = body.get("user")
    user_id = body.get("user_id") or (user.get("id") if isinstance(user, dict) else None)
    try:
        if isinstance(response_url, str) and response_url:
            WebhookClient(response_url, timeout=api.TIMEOUT_SECONDS).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        elif client is not None and isinstance(user_id, str) and user_id:
            client.chat_postMessage(channel=user_id, text=text)
    except Exception as reply_error:  # Slack itself may be what failed
        log.warning("Could not tell the person about reference %s (%s)", reference, type(reply_error).__name__)


def register(app: App) -> None:
    @app.error
    def handle_unexpected_error(error: Exception, body: dict, response: BoltResponse | None):
        # Reached for requests Bolt could not even route, such as signed but malformed payloads.
        report(error, body)
        if response is not None:
            return BoltResponse(status=400, body="")
        return None
