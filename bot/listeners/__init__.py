"""Slack-surface code: one module per kind of request, each exposing register(app)."""

import logging
import re

from slack_bolt import Ack, App

from bot.listeners import (
    actions,
    commands,
    data_rights,
    digest_actions,
    events,
    imports,
    installs,
    prompt_actions,
    search_actions,
    shortcuts,
    views,
)

log = logging.getLogger(__name__)
ANYTHING = re.compile(".*")


def handle_unknown_interaction(ack: Ack, body: dict) -> None:
    """A button from an older version of a message or Home tab: ack, so Slack shows no error."""
    ack()
    log.info("Ignored an interaction nothing listens for (%s)", body.get("type"))


def register(app: App) -> None:
    surfaces = (
        commands,
        views,
        actions,
        digest_actions,
        prompt_actions,
        search_actions,
        imports,
        data_rights,
        events,
        installs,
    )
    for surface in (*surfaces, shortcuts):
        surface.register(app)
    # Registered last, so they only see what no listener above matched.
    app.action(ANYTHING)(handle_unknown_interaction)
    app.view(ANYTHING)(handle_unknown_interaction)
    app.event(ANYTHING)(events.handle_unsubscribed_event)
