"""Events API events handled once, though Slack may deliver one again (X-Slack-Retry-Num)."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.events import first_delivery
from bot.listeners.wrapping import own_arguments, wrapping


def once_per_event(handler: Callable) -> Callable:
    """Checked here, after Bolt's automatic ack, to keep the database off the ack path."""

    @wrapping(handler, needs=("body", "session_factory", "now"))
    def listener(**kwargs):
        body = kwargs["body"]
        if first_delivery(kwargs["session_factory"], body.get("event_id"), kwargs["now"]):
            return handler(**own_arguments(handler, kwargs))
        return None

    return listener
