"""The one handler for errors no listener expected: log a correlation id, never the payload, and
tell the person something went wrong on our side where Slack gave us a way to answer them."""

from __future__ import annotations

import logging
import uuid

from slack_bolt import App
from slack_sdk.webhook import WebhookClient

from bot.i18n import ENGLISH

log = logging.getLogger("bot.errors")


def register(app: App) -> None:
    @app.error
    def handle_unexpected_error(error: Exception, body: dict) -> None:
        # Exception messages can quote SQL parameters or Slack payloads, so only the type is logged.
        correlation_id = uuid.uuid4().hex[:12]
        body = body if isinstance(body, dict) else {}
        kind = body.get("type") or ("slash_command" if "command" in body else "Slack")
        log.error("Unhandled %s while handling a %s request (reference %s)", type(error).__name__, kind, correlation_id)
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not response_url:
            return
        text = ENGLISH(
            "Sorry, something went wrong on our side (reference {reference}). Nothing you saved "
            "was lost; please try again in a moment.",
            reference=correlation_id,
        )
        try:
            WebhookClient(response_url, timeout=5).send(text=text, response_type="ephemeral", replace_original=False)
        except Exception as reply_error:  # Slack itself may be what failed
            log.warning("Could not tell the person about reference %s (%s)", correlation_id, type(reply_error).__name__)
