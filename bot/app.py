"""The composition root: builds the Bolt app from settings, a session factory and a Web API client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy.orm import Session, sessionmaker

from bot import listeners
from bot.blocks.messages import NOT_INSTALLED, build_not_installed_modal, build_text_message
from bot.i18n import ENGLISH
from bot.listeners.after_ack import AfterAck
from bot.listeners.language import PersonTranslator
from bot.listeners.modals import Modals
from bot.settings import Settings
from bot.slack import errors
from bot.slack.api import counted
from bot.slack.people import People
from bot.slack.tenancy import acting_team, served_here
from bot.tasks import Tasks
from storage.models import utcnow
from storage.types import Workspace

log = logging.getLogger(__name__)


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
    tasks: Tasks,
    clock: Callable[[], datetime] = utcnow,
    verify_requests: bool = True,
    oauth: OAuthSettings | None = None,
) -> App:
    """Single-workspace mode uses `client`'s token; with `oauth`, every request uses its workspace's own.
    What a request leaves for after its ack goes to `tasks`, enqueued before the ack."""
    _quiet_logs()
    people = People()
    token_keys = settings.sealing_keys
    app = _bolt_app(settings, client, verify_requests, oauth)

    @app.middleware
    def provide_dependencies(context: BoltContext, body: dict, next: Callable[[], None]) -> BoltResponse | None:
        counted(context.client)
        team = acting_team(body) or context.team_id
        ws = Workspace(context.enterprise_id or "", team or "") if team or context.enterprise_id else None
        if ws is not None and not served_here(context.authorize_result, ws, bool(context.is_enterprise_install)):
            log.info("Refused a request from a workspace this installation does not serve")
            return not_installed_answer(body, context.client)
        if context.is_enterprise_install:
            # An org-wide install's token must name the workspace it acts in.
            context.update(team_id=team)
            if team:
                context.client.default_params["team_id"] = team
        # What listeners ask for by name. Nothing here reads the database: the person's language is
        # read when `t` is first used, and units of work are opened by the listeners.
        t = PersonTranslator(session_factory, people, ws, context.user_id, clock)
        after_ack = AfterAck(app.listener_runner.listener_executor, body, context.client, t)
        modals = Modals(
            context.client, t, session_factory, ws, people, clock, settings.retro_channel, after_ack, bool(token_keys)
        )
        context.update(
            workspace=ws,  # None for a request that names no workspace: nothing is stored or shown for it
            session_factory=session_factory,
            people=people,
            tasks=tasks,
            now=clock(),
            t=t,
            modals=modals,
            after_ack=after_ack,
            installation_store=oauth.installation_store if oauth else None,
            uninstall_grace=timedelta(days=settings.uninstall_grace_days),
            token_keys=token_keys,  # they seal a tracker's token as an admin connects it
        )
        next()
        return None

    listeners.register(app)
    errors.register(app)
    return app


def _bolt_app(settings: Settings, client: WebClient, verify_requests: bool, oauth: OAuthSettings | None) -> App:
    return App(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=verify_requests,
        # Listeners store and promise, then ack, on the request's own thread (no hand-over to a pool
        # and back: the ack path's CPU is what bounds a web process); Slack's 200 leaves when they
        # return. The pool then opens the modals whose trigger lasts 3 s, handles events and tells of
        # failures (bot.listeners.after_ack).
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=64, thread_name_prefix="listener"),
        logger=logging.getLogger("bot.app"),
        oauth_settings=oauth,
        user_facing_authorize_error_message=ENGLISH(NOT_INSTALLED),
    )


def _quiet_logs() -> None:
    logging.getLogger("slack_bolt.RequestVerification").addFilter(NO_REQUEST_BODIES)
    logging.getLogger("bot.app").addFilter(NO_CLIENT_WARNING)
    logging.getLogger("bot.app").addFilter(NO_REQUEST_BODIES)


def not_installed_answer(body: dict, client: WebClient) -> BoltResponse:
    """The clear answer to a person whose workspace the app is not installed in; nothing is stored."""
    t = ENGLISH
    if "command" in body:
        return BoltResponse(status=200, body=build_text_message(t(NOT_INSTALLED)))
    view = build_not_installed_modal(t)
    if body.get("type") == "view_submission":
        # Pushed over the form, which keeps the person's words underneath.
        return BoltResponse(status=200, body={"response_action": "push", "view": view})
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        try:
            client.views_open(trigger_id=trigger, view=view)  # a live trigger: the one call before the ack
        except (SlackClientError, OSError) as error:
            log.warning("Could not show the not-installed answer (%s)", type(error).__name__)
    return BoltResponse(status=200, body="")
