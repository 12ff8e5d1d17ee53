"""Events API: the App Home tab, and what Slack sends that the app never asked for."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltResponse

from bot.blocks.action_items import USER_ID
from bot.listeners.changes import promise
from bot.listeners.redelivery import once_per_event
from bot.listeners.registry import Listeners
from bot.tasks import follow_ups

log = logging.getLogger(__name__)
listen = Listeners()


@listen.event("app_home_opened")
@once_per_event
def handle_app_home_opened(event, context, now) -> None:
    """The Home, published by a worker. An event naming no Slack user promises nothing: its follow-up
    could only fail, again and again."""
    user_id = event.get("user")
    if event.get("tab") != "home":
        return
    if not (isinstance(user_id, str) and USER_ID.fullmatch(user_id)):
        log.info("Ignored an app_home_opened event that names no user")
        return
    promise(context, follow_ups.open_home, user_id=user_id, now=now)


def answer_app_rate_limited(body: dict, next: Callable[[], None]) -> BoltResponse | None:
    """Slack sends this, unsubscribed, once a workspace passes 30,000 event deliveries an hour. It is
    not an event_callback, so no listener matches it; answered 200 here, as Slack may turn off the
    events of an app that keeps failing its deliveries. Logged without anything a person wrote."""
    if body.get("type") != "app_rate_limited":
        next()
        return None
    log.warning(
        "Slack rate-limited event deliveries for workspace %s from minute %s",
        body.get("team_id"),
        body.get("minute_rate_limited"),
    )
    return BoltResponse(status=200, body="")


def handle_unsubscribed_event(event: dict) -> None:
    """Any other event callback (Bolt acks it once this returns): answered 200 so Slack keeps delivering ours."""
    log.info("Ignored an event nothing listens for (%s)", event.get("type"))
