"""The one handler for errors no listener expected: log a correlation id, never the payload."""

from __future__ import annotations

import logging
import uuid

from slack_bolt import App

log = logging.getLogger("bot.errors")


def register(app: App) -> None:
    @app.error
    def handle_unexpected_error(error: Exception, body: dict) -> None:
        # Exception messages can quote SQL parameters or Slack payloads, so only the type is logged.
        correlation_id = uuid.uuid4().hex[:12]
        kind = body.get("type") if isinstance(body, dict) else None
        log.error(
            "Unhandled %s while handling a %s request (correlation id %s)",
            type(error).__name__, kind or "Slack", correlation_id,
        )
