"""The composition root: builds the Bolt app from settings, a session factory and a Web API client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot import errors, listeners
from bot.settings import Settings
from storage.models import utcnow


class _NoRequestBodies(logging.Filter):
    """Bolt logs the raw body of a request that fails verification; that body can hold entry text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if ", body: " in message:
            record.msg, record.args = message.split(", body: ")[0] + ", body not logged)", ()
        return True


NO_REQUEST_BODIES = _NoRequestBodies()


def create_app(
    settings: Settings,
    session_factory: sessionmaker[Session],
    client: WebClient,
    clock: Callable[[], datetime] = utcnow,
    verify_requests: bool = True,
) -> App:
    logging.getLogger("slack_bolt.RequestVerification").addFilter(NO_REQUEST_BODIES)
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=verify_requests,
        # Ack first, then the slow work on Bolt's thread pool. The pool is large because an ack
        # waits for a free thread: slow Slack or database calls must not hold up new requests.
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=64, thread_name_prefix="listener"),
        logger=logging.getLogger("bot.app"),
    )

    @app.middleware
    def provide_dependencies(context: BoltContext, next: Callable[[], None]) -> None:
        context["session_factory"] = session_factory
        context["clock"] = clock
        context["default_retro_channel"] = settings.retro_channel
        next()

    listeners.register(app)
    errors.register(app)
    return app
