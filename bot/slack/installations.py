"""Which workspaces the app is installed in, each with a Web API client holding that workspace's bot token.

Single-workspace mode has one: the workspace of SLACK_BOT_TOKEN. OAuth mode has every install stored in
the database. Bolt refreshes rotating tokens only on incoming requests, so scheduled work refreshes them
here, and a little earlier than Bolt would, so that the two rarely race for the same refresh."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.slack.api import build_oauth_client, build_web_client
from storage.installations import InstallationStore, SignedStateStore
from storage.repository import workspaces as workspace_store
from storage.types import Workspace

log = logging.getLogger(__name__)

# What the features need, and nothing more: the README says why each one. A test keeps it equal to manifest.yml.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "files:write",
    "files:read",
    "im:history",
    "users:read",
    "channels:join",
)
# Asked for, but a workspace may decline it (manifest.yml's bot_optional): nothing may require it.
OPTIONAL_BOT_SCOPES = ("canvases:write",)  # the lessons canvas in the retro channel
# Bolt refreshes a token that expires within 120 minutes; scheduled work does it from 180.
REFRESH_MINUTES_BEFORE_EXPIRY = 180
# Slack's answers for a token of a workspace that removed the app.
GONE = frozenset({"invalid_auth", "token_revoked", "account_inactive", "team_not_found"})


@dataclass(frozen=True)
class Installed:
    workspace: Workspace
    client: WebClient
    org_wide: bool = False  # served by an org-wide install of its enterprise


Installations = Callable[[], list[Installed]]


def still_installed(client: WebClient) -> dict | None:
    """Slack's auth.test answer for the client's token, or None once the app is gone from its workspace."""
    try:
        return client.auth_test().data
    except SlackApiError as error:
        if error.response.get("error") in GONE:
            return None
        raise


def single_workspace(client: WebClient) -> Installations:
    def installed() -> list[Installed]:
        auth = still_installed(client)
        if auth is None:
            log.warning("SLACK_BOT_TOKEN no longer works: the app was removed")
            return []
        return [Installed(Workspace(auth.get("enterprise_id") or "", auth["team_id"]), client)]

    return installed


def oauth_settings(settings: Settings, store: InstallationStore) -> OAuthSettings:
    """Bolt's OAuth flow: the Add to Slack page, the redirect back, and each request's token from `store`."""
    oauth = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=[*BOT_SCOPES, *OPTIONAL_BOT_SCOPES],
        # Slack's authorize page lives beside its Web API (slack.com, or slack-gov.com for GovSlack).
        authorization_url=settings.slack_api_url.removesuffix("api/") + "oauth/v2/authorize",
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SignedStateStore(settings.state_secret, expiration_seconds=600, engine=store.engine),
    )
    # Bolt's default authorize refreshes tokens with a client of its own: use ours (SLACK_API_URL, retries).
    oauth.authorize = InstallationStoreAuthorize(
        logger=logging.getLogger("bot.authorize"),
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        installation_store=store,
        bot_only=True,
        client=build_oauth_client(settings.slack_api_url),
    )
    return oauth


def every_install(settings: Settings, store: InstallationStore, sf: sessionmaker[Session]) -> Installations:
    rotator = TokenRotator(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        client=build_oauth_client(settings.slack_api_url),
    )
    # The scheduler's jobs run on threads of their own: one refresh of a token at a time.
    refreshing = threading.Lock()

    def installed() -> list[Installed]:
        found = []
        for bot in store.installed_bots():
            try:
                with refreshing:  # read again under the lock, as client_for does
                    again = store.find_bot(
                        enterprise_id=bot.enterprise_id,
                        team_id=bot.team_id,
                        is_enterprise_install=bot.is_enterprise_install,
                    )
                    bot = _refreshed(store, rotator, again or bot)
            except (SlackApiError, SlackTokenRotationError) as error:
                # This workspace waits for the next run; the others go ahead.
                answer = (error.api_error if isinstance(error, SlackTokenRotationError) else error).response
                log.error(
                    "Could not refresh the token of %s (%s)", bot.team_id or bot.enterprise_id, answer.get("error")
                )
                continue
            found += _workspaces_of(bot, settings.slack_api_url, sf)
        return found

    return installed


def _refreshed(store: InstallationStore, rotator: TokenRotator, bot: Bot) -> Bot:
    rotated = rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=REFRESH_MINUTES_BEFORE_EXPIRY)
    if rotated is None:
        return bot
    store.save_bot(rotated)
    return rotated


def _workspaces_of(bot: Bot, api_url: str, sf: sessionmaker[Session]) -> list[Installed]:
    enterprise_id = bot.enterprise_id or ""
    if not bot.is_enterprise_install:
        return [Installed(Workspace(enterprise_id, bot.team_id), build_web_client(bot.bot_token, api_url))]
    # An org-wide token acts in each workspace of the org that has used the app, naming it in every call.
    with sf() as session:
        teams = workspace_store.known_teams(session, enterprise_id, served_only=True)
    return [
        Installed(Workspace(enterprise_id, team), build_web_client(bot.bot_token, api_url, team_id=team), org_wide=True)
        for team in teams
    ]


ClientFor = Callable[[Workspace], WebClient | None]


def single_client(client: WebClient) -> ClientFor:
    """Single-workspace mode: SLACK_BOT_TOKEN's client, for the one workspace it serves."""
    return lambda ws: client


def install_clients(settings: Settings, store: InstallationStore) -> ClientFor:
    """OAuth mode: a client with the workspace's own bot token (an org-wide install's, naming the
    workspace), refreshed if it is about to expire; None once the app is gone from the workspace."""
    rotator = TokenRotator(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        client=build_oauth_client(settings.slack_api_url),
    )
    refreshing = threading.Lock()

    def client_for(ws: Workspace) -> WebClient | None:
        enterprise = ws.enterprise_id or None
        # Read under the lock too: a token another thread has just refreshed is read as it now is, not
        # refreshed again with the refresh token that refresh spent.
        with refreshing:
            bot, team = store.find_bot(enterprise_id=enterprise, team_id=ws.team_id), None
            if bot is None and enterprise:
                bot = store.find_bot(enterprise_id=enterprise, team_id=None, is_enterprise_install=True)
                team = ws.team_id
            if bot is None:
                return None
            bot = _refreshed(store, rotator, bot)
        return build_web_client(bot.bot_token, settings.slack_api_url, team_id=team)

    return client_for
