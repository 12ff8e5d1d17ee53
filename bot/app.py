"""The composition root: builds the Bolt app from settings, a session factory and a Web API client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from slack_bolt import App, BoltContext
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot import errors, listeners
from bot.settings import Settings
from storage.models import utcnow


class _NoRequestBodies(logging.Filter):
    """Bolt logs the raw body of a request that fails verification, and at DEBUG the body of each ack
    (which can give a person's words back): both can hold entry text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if ", body: " in message:
            record.msg, record.args = message.split(", body: ")[0] + ", body not logged)", ()
        elif message.startswith("Responding with status") and " body: " in message:
            record.msg, record.args = message.split(" body: ")[0] + " (body not logged)", ()
        return True


class _NoClientWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client (which holds it) wins: true, and no news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


NO_REQUEST_BODIES = _NoRequestBodies()
NO_CLIENT_WARNING = _NoClientWarning()


def create_app(
    settings: Settings,
    session_factory: sessionmaker[Session],
    client: WebClient,
    clock: Callable[[], datetime] = utcnow,
    verify_requests: bool = True,
    oauth: OAuthSettings | None = None,
) -> App:
    """Single-workspace mode uses `client`'s token; with `oauth`, every request uses its workspace's own."""
    logging.getLogger("slack_bolt.RequestVerification").addFilter(NO_REQUEST_BODIES)
    logging.getLogger("bot.app").addFilter(NO_CLIENT_WARNING)
    logging.getLogger("bot.app").addFilter(NO_REQUEST_BODIES)
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=verify_requests,
        # Ack first, then the slow work on Bolt's thread pool. The pool is large because an ack
        # waits for a free thread: slow Slack or database calls must not hold up new requests.
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=64, thread_name_prefix="listener"),
        logger=logging.getLogger("bot.app"),
        oauth_settings=oauth,
    )

    @app.middleware
    def provide_dependencies(context: BoltContext, body: dict, next: Callable[[], None]) -> None:
        if context.is_enterprise_install:
            # An org-wide install: Bolt leaves team_id empty for many requests, and the org token
            # must name the workspace it acts in.
            context["team_id"] = context.team_id or _acting_team(body)
            if context.team_id:
                context.client.default_params["team_id"] = context.team_id
        context["session_factory"] = session_factory
        context["clock"] = clock
        context["default_retro_channel"] = settings.retro_channel
        context["installation_store"] = oauth.installation_store if oauth else None
        context["uninstall_grace"] = timedelta(days=settings.uninstall_grace_days)
        next()

    listeners.register(app)
    errors.register(app)
    return app


def _acting_team(body: dict) -> str | None:
    """The workspace an org-wide install's request comes from (an ID starting with T; E is the org)."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    view = event.get("view") if isinstance(event.get("view"), dict) else {}
    for candidate in (user.get("team_id"), view.get("team_id"), event.get("team"), body.get("team_id")):
        if isinstance(candidate, str) and candidate.startswith("T"):
            return candidate
    return None
