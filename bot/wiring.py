"""The one place that builds a process: the database, the Slack side, the runtime a task needs, the
queue's tasks and the Bolt app, for `serve`, `socket`, `worker` and `scheduler`, the tests and the
benchmarks alike. Everything comes in explicitly (settings, a session factory, a client, a clock):
nothing here reads the environment or prints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from huey import Huey
from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.app import create_app
from bot.listeners.webhooks import TrackerWebhooks
from bot.settings import Settings
from bot.slack.api import build_web_client
from bot.slack.installations import (
    Installations,
    every_install,
    install_clients,
    oauth_settings,
    single_client,
    single_workspace,
)
from bot.tasks import Tasks
from bot.tasks.queue import make_queue
from bot.tasks.retention import notice_lost_uninstalls
from bot.tasks.runtime import Runtime
from storage.db import make_engine, make_session_factory
from storage.installations import InstallationStore
from storage.migrate import upgrade_to_head
from storage.models import utcnow
from storage.tokens import check_keys, sealer

if TYPE_CHECKING:
    from bot.domain.meaning import Encoder


def database(settings: Settings, acknowledges: bool = True) -> tuple[Engine, sessionmaker[Session]]:
    """The engine and the session factory; the embedded SQLite default is brought up to date first."""
    if settings.database_url.startswith("sqlite"):
        # The embedded default needs no manual step: bring the file up to date on every start.
        upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url, acknowledges)
    return engine, make_session_factory(engine)


class Slack(NamedTuple):
    """One process's Slack side: one workspace's (SLACK_BOT_TOKEN), or every installed one's (OAuth)."""

    client: WebClient
    oauth: OAuthSettings | None
    installations: Installations
    store: InstallationStore | None  # OAuth mode's installs


def slack(settings: Settings, mode: str, engine: Engine, sf: sessionmaker[Session]) -> Slack:
    """The Web API client, OAuth settings and installed workspaces of one or every workspace."""
    if settings.oauth and mode != "socket":
        keys = sealer(settings.token_keys)
        with engine.connect() as connection:
            check_keys(connection, keys)
        store = InstallationStore(settings.client_id, engine, keys)
        oauth = oauth_settings(settings, store) if mode == "serve" else None
        return Slack(build_web_client(None, settings.slack_api_url), oauth, every_install(settings, store, sf), store)
    return one_workspace(build_web_client(settings.bot_token, settings.slack_api_url))


def one_workspace(client: WebClient) -> Slack:
    """The Slack side of SLACK_BOT_TOKEN's one workspace, reached through `client` (a test's points at its fake)."""
    return Slack(client, None, single_workspace(client), None)


def runtime(
    settings: Settings,
    sf: sessionmaker[Session],
    slack: Slack,
    clock: Callable[[], datetime] = utcnow,
    encoder: Encoder | None = None,
) -> Runtime:
    """What a task needs, with a worker's sentence encoder (None elsewhere)."""
    notice_lost = None
    if slack.store is not None:
        store, grace = slack.store, timedelta(days=settings.uninstall_grace_days)

        def notice_lost(now: datetime) -> list[str]:
            return notice_lost_uninstalls(sf, store, settings.slack_api_url, now, grace)

    return Runtime(
        session_factory=sf,
        client_for=install_clients(settings, slack.store) if slack.store else single_client(slack.client),
        installations=slack.installations,
        default_retro_channel=settings.retro_channel,
        clock=clock,
        notice_lost=notice_lost,
        encoder=encoder,
        token_keys=settings.sealing_keys,
        tracker_endpoints=settings.tracker_endpoints,
    )


def tasks(settings: Settings, runtime: Runtime, huey: Huey | None = None) -> Tasks:
    """The queue's tasks on `huey` (by default the queue the settings name)."""
    return Tasks(huey or make_queue(settings), runtime, embed_entries=settings.similar_by_meaning)


def app(
    settings: Settings,
    sf: sessionmaker[Session],
    slack: Slack,
    tasks: Tasks,
    mode: str,
    clock: Callable[[], datetime] = utcnow,
) -> App:
    """The Bolt app; only HTTP (`serve`) verifies Slack's signatures, Socket Mode has none to verify."""
    return create_app(
        settings, sf, slack.client, tasks, clock=clock, verify_requests=(mode == "serve"), oauth=slack.oauth
    )


def webhooks(settings: Settings, sf: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> TrackerWebhooks:
    """The trackers' webhooks (POST /webhooks/github, /webhooks/jira, /webhooks/linear) on the HTTP port."""
    return TrackerWebhooks(sf, settings.sealing_keys, settings.webhook_secrets, clock)
