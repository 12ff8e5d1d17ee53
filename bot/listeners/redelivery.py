"""Events API events handled once, though Slack may deliver one again (X-Slack-Retry-Num)."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.events import first_delivery
from bot.listeners.wrapping import own_arguments, wrapping


def once_per_event(handler: Callable) -> Callable:
    """Acked at once, then checked and handled after the ack: the database stays off an event's ack
    path (Slack wants events answered within 3 s, and counts a late one as failed)."""

    @wrapping(handler, needs=("ack", "body", "session_factory", "now", "after_ack"))
    def listener(**kwargs):
        body = kwargs["body"]

        def handle() -> None:
            if first_delivery(kwargs["session_factory"], body.get("event_id"), kwargs["now"]):
                handler(**own_arguments(handler, kwargs))

        kwargs["ack"]()
        kwargs["after_ack"](handle)

    return listener
