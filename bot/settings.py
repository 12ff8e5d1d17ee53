"""Configuration, read once from the environment (and `.env`) at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.trackers import Endpoints
from storage.tokens import TokenKeyError, sealer

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///failure_resume.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
# Settings of the issue trackers (bot/trackers), each read as the field of its name.
TRACKER_VARIABLES = (
    "GITHUB_API_URL",
    "LINEAR_API_URL",
    "GITHUB_WEBHOOK_SECRET",
    "JIRA_WEBHOOK_SECRET",
    "LINEAR_WEBHOOK_SECRET",
)


def sqlalchemy_url(url: str) -> str:
    """Hosting platforms hand out `postgres://…`; SQLAlchemy needs the dialect and driver spelled out,
    and the driver we ship is psycopg (3)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise ValueError(
            "DATABASE_URL must be sqlite:///path/to/file.db or postgresql://user:password@host:5432/database, "
            f"not {url.split('://')[0]!r}…"
        )
    return url


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    slack_api_url: str = DEFAULT_API_URL
    retro_channel: str | None = None
    port: int = 3000
    log_level: str = "INFO"
    # "text" or "json" (one JSON object a line, for a log collector).
    log_format: str = "text"
    # Errors of every process go to Sentry (scrubbed: bot.ops.error_tracking) when set.
    sentry_dsn: str | None = None
    # OAuth mode (any workspace can install from /slack/install) when these are set.
    client_id: str | None = None
    client_secret: str | None = None
    state_secret: str | None = None
    # OAuth mode: the keys that seal the stored tokens, comma-separated (storage/tokens.py).
    token_keys: str | None = None
    # How long a workspace's data outlives an uninstall, so that a reinstall finds it intact.
    uninstall_grace_days: int = 30
    # On SIGTERM (a deploy), how long `serve` may finish what it acknowledged before it exits;
    # within the 30 s that Heroku and Kubernetes wait by default before they kill.
    shutdown_grace_seconds: int = 25
    # The task queue: Redis when set (any number of workers, on any hosts), else a SQLite file
    # beside the database (QUEUE_PATH), worked by the consumer that `serve` starts as its child.
    redis_url: str | None = None
    queue_path: str | None = None
    # `serve` starts the queue's consumer itself unless REDIS_URL is set or START_WORKER=false.
    start_worker: bool | None = None
    worker_threads: int = 8
    web_concurrency: int = 1
    # A follow-up whose worker died (no renewal of its lease for this long) is handed to another.
    follow_up_lease_seconds: int = 30
    # Similar lessons and search by meaning and words (a sentence encoder in each worker, about 125 MB),
    # or by words alone, for small hosts.
    similar_by_meaning: bool = True
    # Action items as issues (bot/trackers): where GitHub's and Linear's APIs are (GitHub Enterprise
    # Server, say), and the operator's webhook secrets (an admin may set a workspace's own instead).
    github_api_url: str = Endpoints.github
    linear_api_url: str = Endpoints.linear
    github_webhook_secret: str | None = None
    jira_webhook_secret: str | None = None
    linear_webhook_secret: str | None = None
    jira_private_sites: bool = False

    @property
    def serve_starts_worker(self) -> bool:
        return self.start_worker if self.start_worker is not None else not self.redis_url

    @property
    def tracker_endpoints(self) -> Endpoints:
        return Endpoints(self.github_api_url, self.linear_api_url, self.jira_private_sites)

    @property
    def webhook_secrets(self) -> dict[str, str | None]:
        """The operator's webhook secret of each tracker."""
        return {
            "github": self.github_webhook_secret,
            "jira": self.jira_webhook_secret,
            "linear": self.linear_webhook_secret,
        }

    @property
    def sealing_keys(self):
        """TOKEN_ENCRYPTION_KEYS as keys, or None where unset (single-workspace mode needs none until a
        tracker is connected)."""
        return sealer(self.token_keys) if self.token_keys else None

    @property
    def oauth(self) -> bool:
        return bool(self.client_id or self.client_secret or self.state_secret)

    @property
    def queue_file(self) -> str:
        """QUEUE_PATH, or a file beside the SQLite database (`failure_resume.db` -> `failure_resume.queue.db`)."""
        if self.queue_path:
            return self.queue_path
        database = self.database_url.removeprefix("sqlite:///")
        if database != self.database_url and database and database != ":memory:":
            path = Path(database)
            return str(path.with_name(path.stem + ".queue" + (path.suffix or ".db")))
        return "failure_resume.queue.db"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def whole(name: str, default: str, what: str) -> int:
            value = get(name) or default
            if not value.isdigit():
                raise ValueError(f"{name} must be {what}, not {value!r}")
            return int(value)

        port = whole("PORT", "3000", "a number")
        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
        sentry_dsn = get("SENTRY_DSN")
        if sentry_dsn and not sentry_dsn.startswith(("https://", "http://")):
            raise ValueError("SENTRY_DSN must be the DSN of a Sentry project (https://key@host/project)")
        grace = whole("UNINSTALL_GRACE_DAYS", "30", "a whole number of days")
        shutdown_grace = whole("SHUTDOWN_GRACE_SECONDS", "25", "a whole number of seconds")
        api_url = get("SLACK_API_URL") or DEFAULT_API_URL
        start_worker = (get("START_WORKER") or "").lower()
        if start_worker not in ("", "true", "false"):
            raise ValueError(f"START_WORKER must be true or false, not {start_worker!r}")
        by_meaning = (get("SIMILAR_BY_MEANING") or "true").lower()
        if by_meaning not in ("true", "false"):
            raise ValueError(f"SIMILAR_BY_MEANING must be true or false, not {by_meaning!r}")
        return cls(
            bot_token=get("SLACK_BOT_TOKEN"),
            signing_secret=get("SLACK_SIGNING_SECRET"),
            app_token=get("SLACK_APP_TOKEN"),
            database_url=sqlalchemy_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            retro_channel=get("RETRO_CHANNEL"),
            port=port,
            log_level=log_level,
            log_format=log_format,
            sentry_dsn=sentry_dsn,
            client_id=get("SLACK_CLIENT_ID"),
            client_secret=get("SLACK_CLIENT_SECRET"),
            state_secret=get("SLACK_STATE_SECRET"),
            token_keys=get("TOKEN_ENCRYPTION_KEYS"),
            uninstall_grace_days=grace,
            shutdown_grace_seconds=shutdown_grace,
            redis_url=get("REDIS_URL"),
            queue_path=get("QUEUE_PATH"),
            start_worker={"": None, "true": True, "false": False}[start_worker],
            worker_threads=max(1, whole("WORKER_THREADS", "8", "a whole number of threads")),
            web_concurrency=max(1, whole("WEB_CONCURRENCY", "1", "a whole number of processes")),
            follow_up_lease_seconds=max(3, whole("FOLLOW_UP_LEASE_SECONDS", "30", "a whole number of seconds")),
            similar_by_meaning=by_meaning == "true",
            **{name.lower(): get(name) for name in TRACKER_VARIABLES if get(name)},
            jira_private_sites=(get("JIRA_PRIVATE_SITES") or "").lower() == "true",
        )

    def missing_for(self, mode: str) -> list[str]:
        """What a newcomer still has to configure before `mode` ("serve", "socket" or "job") can run."""
        missing = []
        # Socket Mode serves the one workspace of SLACK_BOT_TOKEN; OAuth installs need `serve`.
        if self.oauth and mode != "socket":
            missing += self._missing_for_oauth(mode)
        elif not self.bot_token:
            missing.append(
                "SLACK_BOT_TOKEN: the Bot User OAuth Token (starts with xoxb-). Create the app "
                "from manifest.yml at https://api.slack.com/apps (Create New App > From an app "
                "manifest), install it to your workspace, then copy it from OAuth & Permissions. "
                "(Or, to let any workspace install it, set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
                "SLACK_STATE_SECRET instead: README.md, OAuth mode.)"
            )
        if mode == "serve" and not self.signing_secret:
            missing.append(
                "SLACK_SIGNING_SECRET: from your app's Basic Information page, App Credentials "
                "> Signing Secret. The bot refuses HTTP requests it cannot verify."
            )
        if self.token_keys and not self.oauth:
            try:  # optional here (a tracker's token needs it), but not malformed
                sealer(self.token_keys)
            except TokenKeyError as problem:
                missing.append(str(problem))
        if mode == "socket" and not self.app_token:
            missing.append(
                "SLACK_APP_TOKEN: an app-level token (starts with xapp-) with the "
                "connections:write scope, from Basic Information > App-Level Tokens; also turn "
                "on Socket Mode under Settings > Socket Mode."
            )
        return missing

    def _missing_for_oauth(self, mode: str) -> list[str]:
        where = "from your app's Basic Information page, App Credentials"
        needed = {
            "SLACK_CLIENT_ID": (self.client_id, f"{where} > Client ID."),
            "SLACK_CLIENT_SECRET": (self.client_secret, f"{where} > Client Secret."),
            "SLACK_STATE_SECRET": (
                self.state_secret if mode == "serve" else "not needed",
                "any long random string you make up (e.g. `openssl rand -hex 32`); it signs the OAuth state "
                "of each Add to Slack click.",
            ),
        }
        missing = [f"{name}: {how}" for name, (value, how) in needed.items() if not value]
        try:
            sealer(self.token_keys)
        except TokenKeyError as problem:
            missing.append(str(problem))
        return missing
