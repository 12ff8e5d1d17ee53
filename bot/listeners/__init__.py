"""Slack-surface code: one module per kind of request, each declaring its listeners (`listen`).

A listener asks for what it needs by name, as Bolt injects it: Bolt's own `ack`, `body`, `view`,
`command`, `event`, `shortcut`, `client` and `context`, and what bot.app's middleware puts on the
context: `user_id` (who acted), `workspace`, `session_factory`, `tasks`, `now` (the request's
moment), `t` (the person's translator, read on first use), `modals` (opening the app's modals),
`people`, `installation_store`, `uninstall_grace` and `token_keys` (which seal a tracker's token).
`context` itself is for `change(context)` and
`promise(context, ...)`, the units of work that promise follow-ups."""

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
    trackers,
    views,
)

log = logging.getLogger(__name__)
ANYTHING = re.compile(".*")


def handle_unknown_interaction(ack: Ack, body: dict) -> None:
    """A button from an older version of a message or Home tab: ack, so Slack shows no error."""
    ack()
    log.info("Ignored an interaction nothing listens for (%s)", body.get("type"))


def register(app: App) -> None:
    app.middleware(events.answer_app_rate_limited)
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
        shortcuts,
        trackers,
    )
    for surface in surfaces:
        surface.listen.register(app)
    # Registered last, so they only see what no listener above matched.
    app.action(ANYTHING)(handle_unknown_interaction)
    app.view(ANYTHING)(handle_unknown_interaction)
    app.event(ANYTHING)(events.handle_unsubscribed_event)
