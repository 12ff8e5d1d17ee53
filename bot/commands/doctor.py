"""`failure-resume doctor`: what admins get wrong most, checked before Slack's first request fails.

Each check is a plain function of the settings that returns a `Finding`; none changes anything
stored (the database is neither created nor migrated; the one call to Slack that acts is
conversations.join, which the digest makes anyway before it posts). Findings never quote a
token, a key or an exception's message: only Slack's error code or an exception's type."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.pool import NullPool

from bot.ops.readiness import PROBE_TIMEOUT_SECONDS, queue_probe, sqlite_answers
from bot.settings import Settings
from bot.slack.api import build_web_client
from bot.slack.installations import BOT_SCOPES
from storage.installations import InstallationStore
from storage.migrate import alembic_config
from storage.models import WorkspaceSettings
from storage.tokens import TokenKeyError, any_stored, check_keys, sealer


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.check}: {self.detail}"


def probe_engine(database_url: str) -> Engine | None:
    """An engine that opens a new connection each time, at DATABASE_URL; None for a SQLite file that is
    not there (a new connection would create it)."""
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        if not sqlite_answers(path):
            return None
        return create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=PROBE_TIMEOUT_SECONDS),
            poolclass=NullPool,
        )
    return create_engine(
        database_url,
        poolclass=NullPool,
        connect_args={"connect_timeout": PROBE_TIMEOUT_SECONDS},
        hide_parameters=True,
    )


class Doctor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = probe_engine(settings.database_url)
        self.client: WebClient | None = None
        self.team_id: str | None = None  # the workspace of SLACK_BOT_TOKEN, once auth.test said
        self.keys = None  # OAuth mode's keys, once they opened the stored tokens

    def findings(self) -> Iterator[Finding]:
        checks: list[tuple[str, Callable[[], Finding]]] = [
            ("Signing secret", self.signing_secret),
            ("Database", self.database),
            ("Queue", self.queue),
        ]
        if self.settings.oauth:
            checks += [
                ("OAuth settings", self.oauth_settings),
                ("Stored tokens", self.stored_tokens),
                ("Installed workspaces", self.installed_scopes),
            ]
        else:
            checks += [("Slack token", self.token), ("Retro channel", self.retro_channel)]
        for name, check in checks:
            try:
                yield check()
            except Exception as error:  # a check that cannot finish is a failed check, never a traceback
                yield Finding(name, False, f"could not be checked ({type(error).__name__})")

    # -- the checks ---------------------------------------------------------------------------

    def signing_secret(self) -> Finding:
        if self.settings.signing_secret:
            return Finding("Signing secret", True, "SLACK_SIGNING_SECRET is set")
        if self.settings.app_token and not self.settings.oauth:
            return Finding("Signing secret", True, "not set; Socket Mode (SLACK_APP_TOKEN) needs none")
        return Finding(
            "Signing secret",
            False,
            "SLACK_SIGNING_SECRET is not set: HTTP mode refuses to start without it (Basic Information > "
            "App Credentials > Signing Secret)",
        )

    def database(self) -> Finding:
        url = self.settings.database_url
        sqlite = url.startswith("sqlite:///")
        if self.engine is None:
            path = Path(url.removeprefix("sqlite:///"))
            if path.exists():
                return Finding("Database", False, f"{path} is not a SQLite database that can be opened for writing")
            if path.parent.is_dir():
                return Finding("Database", True, f"{path} does not exist yet: `serve` creates and migrates it")
            return Finding("Database", False, f"the folder of {path} does not exist (DATABASE_URL)")
        try:
            with self.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
        except Exception as error:
            return Finding("Database", False, f"does not answer at DATABASE_URL ({type(error).__name__})")
        heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
        if current == heads:
            return Finding("Database", True, f"answers, migrated to head ({', '.join(sorted(heads))})")
        at = ", ".join(sorted(current)) or "no revision"
        if sqlite:
            return Finding("Database", True, f"answers, at {at}: `serve` migrates a SQLite file when it starts")
        head = ", ".join(sorted(heads))
        return Finding("Database", False, f"answers but is at {at}, not head ({head}): run `failure-resume migrate`")

    def queue(self) -> Finding:
        if self.settings.redis_url:
            if queue_probe(self.settings)():
                return Finding("Queue", True, "Redis answers at REDIS_URL")
            return Finding("Queue", False, "Redis does not answer at REDIS_URL")
        path = Path(self.settings.queue_file)
        if path.exists():
            if queue_probe(self.settings)():
                return Finding("Queue", True, f"the SQLite queue file {path} answers")
            return Finding("Queue", False, f"{path} is not a SQLite queue file (QUEUE_PATH)")
        if path.parent.is_dir():
            return Finding("Queue", True, f"{path} does not exist yet: `serve` creates it")
        return Finding("Queue", False, f"the folder of the queue file {path} does not exist (QUEUE_PATH)")

    def token(self) -> Finding:
        if not self.settings.bot_token:
            return Finding("Slack token", False, "SLACK_BOT_TOKEN is not set (README.md, Create the Slack app)")
        client = build_web_client(self.settings.bot_token, self.settings.slack_api_url)
        try:
            auth = client.auth_test()
        except SlackApiError as error:
            return Finding("Slack token", False, f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')})")
        except OSError as error:
            where = self.settings.slack_api_url
            return Finding("Slack token", False, f"Slack could not be reached at {where} ({type(error).__name__})")
        self.client, self.team_id = client, auth.get("team_id")
        headers = {name.lower(): value for name, value in (auth.headers or {}).items()}
        granted = {scope.strip() for scope in (headers.get("x-oauth-scopes") or "").split(",") if scope.strip()}
        missing = [scope for scope in BOT_SCOPES if scope not in granted]
        who = f"{auth.get('team')} ({auth.get('team_id')}), as {auth.get('user')}"
        if missing:
            return Finding(
                "Slack token",
                False,
                f"valid for {who}, but without the scopes {', '.join(missing)}: add them from manifest.yml and "
                "reinstall the app",
            )
        return Finding("Slack token", True, f"valid for {who}, with every required scope of manifest.yml")

    def retro_channel(self) -> Finding:
        channels = [self.settings.retro_channel] if self.settings.retro_channel else []
        if self.engine is not None and self.team_id:
            with self.engine.connect() as connection:
                stored = connection.scalars(
                    select(WorkspaceSettings.retro_channel).where(
                        WorkspaceSettings.team_id == self.team_id, WorkspaceSettings.retro_channel.is_not(None)
                    )
                ).all()
            channels += [channel for channel in stored if channel not in channels]
        if not channels:
            return Finding("Retro channel", True, "none set (RETRO_CHANNEL or /fail settings): the digest asks admins")
        if self.client is None:
            return Finding("Retro channel", False, f"{', '.join(channels)}: not checked without a valid token")
        problems = [problem for channel in channels if (problem := self._may_post(channel))]
        if problems:
            return Finding("Retro channel", False, "; ".join(problems))
        return Finding("Retro channel", True, f"{', '.join(channels)}: the app is a member and may post")

    def _may_post(self, channel: str) -> str | None:
        """Joining is what the digest does before it posts; a private channel needs an invitation."""
        try:
            self.client.conversations_join(channel=channel)
            return None
        except SlackApiError as error:
            code = error.response.get("error")
        advice = {
            "channel_not_found": "no such channel, or a private one the app was not invited to (/invite the app)",
            "is_archived": "archived",
            "method_not_supported_for_channel_type": "not a channel the app can join: /invite the app there",
            "missing_scope": "the token lacks channels:join: reinstall the app with manifest.yml's scopes",
        }.get(code, "Slack refused it")
        return f"{channel}: {advice} ({code})"

    def oauth_settings(self) -> Finding:
        problems = self.settings.missing_for("job")
        if problems:
            return Finding("OAuth settings", False, " ".join(problems))
        return Finding("OAuth settings", True, "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and TOKEN_ENCRYPTION_KEYS are set")

    def stored_tokens(self) -> Finding:
        try:
            keys = sealer(self.settings.token_keys)
        except TokenKeyError:
            return Finding("Stored tokens", False, "TOKEN_ENCRYPTION_KEYS is missing or malformed")
        if self.engine is None:
            return Finding("Stored tokens", True, "no database yet, so no stored token")
        with self.engine.connect() as connection:
            try:
                check_keys(connection, keys)
            except TokenKeyError:
                return Finding(
                    "Stored tokens", False, "TOKEN_ENCRYPTION_KEYS opens none of the stored tokens (a key removed?)"
                )
            stored = any_stored(connection)
        if not stored:
            return Finding("Stored tokens", True, "none stored yet: workspaces install from /slack/install")
        self.keys = keys
        return Finding("Stored tokens", True, "TOKEN_ENCRYPTION_KEYS opens the stored tokens")

    def installed_scopes(self) -> Finding:
        """Each install's scopes as Slack granted them (stored with its token): no call per workspace."""
        if self.keys is None:
            return Finding("Installed workspaces", True, "none to check (no stored token opened)")
        bots = InstallationStore(self.settings.client_id, self.engine, self.keys).installed_bots()
        lacking = [bot.team_id or bot.enterprise_id for bot in bots if set(BOT_SCOPES) - set(bot.bot_scopes or [])]
        if lacking:
            return Finding(
                "Installed workspaces",
                False,
                f"{len(lacking)} of {len(bots)} installed without every required scope of manifest.yml "
                f"({', '.join(lacking)}):"
                " an admin of each installs again from /slack/install",
            )
        every = "each with every required scope of manifest.yml"
        return Finding("Installed workspaces", True, f"{len(bots)} installed, {every}")


def run(settings: Settings, say: Callable[[str], None] = print) -> int:
    """One line per check; 0 when every check passed, 1 otherwise."""
    # The Web API client logs an unreachable Slack at ERROR: the finding already says it, on one line.
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)
    failed = 0
    for finding in Doctor(settings).findings():
        say(finding.line())
        failed += not finding.ok
    say(f"{failed} check(s) failed." if failed else "Every check passed.")
    return 1 if failed else 0
