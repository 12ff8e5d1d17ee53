"""OAuth mode's tokens sealed at rest: nothing readable in the database, logs, exports or error reports;
keys made, rotated and checked at start-up; the tokens stored before encrypted by the migration."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Bot

from storage.db import make_engine
from storage.installations import InstallationStore
from storage.migrate import alembic_config, upgrade_to_head
from storage.models import Base
from storage.tokens import TokenKeyError, sealer
from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET
from tests.harness.bot import BotHarness
from tests.harness.config import SIGNING_SECRET, STATE_SECRET, TOKEN_KEYS
from tests.harness.http import SlackSide
from tests.harness.installs import install, installed_bots, oauth_env, record
from tests.harness.processes import assert_no_traceback, run_cli, start_serving, stop_serving
from tests.harness.waits import wait_until

PLAIN = (b"xoxb-", b"xoxe-", b"xoxp-")  # how Slack's bot, refresh and user tokens begin


@pytest.fixture
def app(fake_slack, database_url):
    harness = BotHarness(fake_slack, database_url, oauth=True)
    yield harness
    harness.close()


def stored_text(url: str) -> bytes:
    """What a copy of the database shows: a SQLite file's bytes, or every PostgreSQL row as text."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, its WAL
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return "\n".join(
                row
                for table in Base.metadata.sorted_tables
                for row in connection.exec_driver_sql(f"SELECT CAST(t AS text) FROM {table.name} AS t").scalars()
            ).encode()
    finally:
        engine.dispose()


def tokens_of(app) -> list[str]:
    """The stored bot and refresh tokens, as the store opens them."""
    return [token for *_, bot, refresh in installed_bots(app) for token in (bot, refresh) if token]


def test_an_install_leaves_no_token_readable_in_the_database_or_the_queue_and_the_workspace_is_served(app):
    app.fake.grants.token_lifetime = 3600
    assert install(app, "T2", rotation=True, user_token=True).status == 200
    record(app, "Rotated the wrong key", team="T2", key="t2")  # answered with the token the store opened
    assert {call.team for call in app.fake.calls if call.method not in ("response", "oauth.v2.access")} == {"T2"}

    tokens = tokens_of(app)
    assert len(tokens) == 2 and app.fake.grants.check(tokens[0])[1] is None
    queued = b"".join(path.read_bytes() for path in Path(app.queue_dir).iterdir())  # the tasks' arguments
    stored = stored_text(app.settings.database_url) + queued
    assert not [token for token in tokens if token.encode() in stored]
    assert not [prefix for prefix in PLAIN if prefix in stored]
    with app.engine.connect() as connection:
        [(sealed,)] = connection.exec_driver_sql("SELECT bot_token FROM slack_bots").all()
    assert Fernet(TOKEN_KEYS).decrypt(sealed.encode()).decode() == tokens[0]


def test_a_long_rotating_token_fits_once_sealed(app):
    """Slack's rotating tokens run to about 200 characters; sealed, they outgrow slack_sdk's String(200)."""
    token, refresh = "xoxe.xoxb-1-" + "A" * 188, "xoxe-1-" + "B" * 193
    bot = dict(app_id="A0FAKE", team_id="T7", bot_id="B7", bot_user_id="U7", installed_at=datetime.now(UTC))
    app.store.save_bot(Bot(**bot, bot_token=token, bot_refresh_token=refresh))
    found = app.store.find_bot(enterprise_id=None, team_id="T7")
    assert (found.bot_token, found.bot_refresh_token) == (token, refresh)


def test_no_token_reaches_logs_exports_or_error_reports(app, caplog):
    caplog.set_level(logging.INFO)
    app.fake.grants.token_lifetime = 3600
    install(app, "T2", rotation=True, user_token=True)
    record(app, "Rotated the wrong key", team="T2", key="t2")
    app.command("export", team="T2", key="export")
    app.fake.wait_for("files.completeUploadExternal")
    for _ in range(4):  # Slack keeps failing past every retry: the person hears of it with a reference
        app.fake.queue_failure("views.open", status=500)
    app.command("", team="T2", key="form")
    assert "went wrong" in wait_until(lambda: dict(app.fake.responses).get("form"))["text"]

    told = json.dumps([message for _key, message in app.fake.responses]).encode()
    sent = json.dumps([call.args for call in app.fake.calls if call.method != "oauth.v2.access"]).encode()
    seen = caplog.text.encode() + told + sent + b"".join(app.fake.uploads.values())
    assert "Unhandled" in caplog.text and len(app.fake.uploads) == 2
    assert not [token for token in tokens_of(app) if token.encode() in seen]
    assert not [prefix for prefix in PLAIN if prefix in seen]


def test_serve_and_its_worker_log_no_token_even_at_debug(fake_slack, tmp_path):
    """The real processes, LOG_LEVEL=DEBUG: the bot's log says what it does, never with a token or the key."""
    env = dict(
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_STATE_SECRET=STATE_SECRET,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.url,
        TOKEN_ENCRYPTION_KEYS=TOKEN_KEYS,
        LOG_LEVEL="DEBUG",
    )
    fake_slack.grants.token_lifetime = 3600
    with open(tmp_path / "serve.log", "w") as log:
        process, base = start_serving(tmp_path, output=log, **env)
        try:
            served = SlackSide(fake_slack, base)
            assert install(served, "T2", rotation=True, user_token=True).status == 200
            record(served, "Rotated the wrong key", team="T2", key="t2")  # the worker process answers
            fake_slack.wait_for("views.publish")  # its last call, with the token: a first entry's Home
        finally:
            stop_serving(process)
    output = (tmp_path / "serve.log").read_text()
    engine = make_engine(f"sqlite:///{tmp_path}/failure_resume.db")
    bot = InstallationStore(CLIENT_ID, engine, sealer(TOKEN_KEYS)).find_bot(enterprise_id=None, team_id="T2")
    engine.dispose()
    assert " DEBUG " in output and "Task worker" in output
    assert not [secret for secret in (bot.bot_token, bot.bot_refresh_token, TOKEN_KEYS) if secret in output]
    assert not [prefix for prefix in PLAIN if prefix.decode() in output]
    assert "Traceback" not in output


def test_generate_key_prints_a_new_key_and_how_to_use_it(tmp_path):
    first, second = run_cli(tmp_path, "generate-key"), run_cli(tmp_path, "generate-key")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"xoxb-1")) == b"xoxb-1"
    assert second.stdout.strip() != key
    assert "TOKEN_ENCRYPTION_KEYS" in first.stderr and "rotate-keys" in first.stderr


def test_keys_are_rotated_the_old_one_removed_and_the_workspace_still_served(app, tmp_path):
    old, new = TOKEN_KEYS, Fernet.generate_key().decode()
    app.fake.grants.token_lifetime = 3600
    install(app, "T2", rotation=True)
    install(app, "T3")
    app.drain()  # what the installs promised is done: no refresh of T2's token races the rotation
    tokens = tokens_of(app)

    rotated = run_cli(tmp_path, "rotate-keys", **oauth_env(app, TOKEN_ENCRYPTION_KEYS=f"{new}, {old}"))
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted under the first key of TOKEN_ENCRYPTION_KEYS: 6." in rotated.stdout

    # The old key alone opens nothing now; the new one alone opens every token.
    refused = run_cli(tmp_path, "run-job", "team-digest", **oauth_env(app, TOKEN_ENCRYPTION_KEYS=old))
    assert refused.returncode == 2 and "TOKEN_ENCRYPTION_KEYS cannot open" in refused.stderr
    # The processes of the old key are gone once the new one is rolled out: the old app's worker would
    # take the records' follow-ups from the shared outbox, and could open no token.
    app.stop_worker()
    harness = BotHarness(app.fake, app.settings.database_url, oauth=True, token_keys=new)
    try:
        assert tokens_of(harness) == tokens
        record(harness, "Removed the old key", team="T2", key="t2")
        record(harness, "Removed it everywhere", team="T3", key="t3")
        job = run_cli(tmp_path, "run-job", "team-digest", **oauth_env(harness, RETRO_CHANNEL="CRETRO"))
        assert job.returncode == 0, job.stderr
        assert "team-digest for T2" in job.stdout and "team-digest for T3" in job.stdout
    finally:
        harness.close()


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["scheduler"], ["run-job", "team-digest"]])
def test_keys_that_open_no_stored_token_refuse_to_start(app, tmp_path, command):
    install(app, "T2")
    other = Fernet.generate_key().decode()
    env = oauth_env(app, TOKEN_ENCRYPTION_KEYS=other, SLACK_STATE_SECRET="s", SLACK_SIGNING_SECRET="s")
    result = run_cli(tmp_path, *command, **env)
    assert result.returncode == 2
    assert "TOKEN_ENCRYPTION_KEYS cannot open" in result.stderr and "failure-resume generate-key" in result.stderr
    assert other not in result.stderr + result.stdout
    assert_no_traceback(result)


@pytest.mark.parametrize("keys", ["not-a-key", f"{TOKEN_KEYS},{TOKEN_KEYS[:-2]}"])
def test_a_malformed_key_refuses_to_start_and_is_not_repeated(app, tmp_path, keys):
    env = oauth_env(app, TOKEN_ENCRYPTION_KEYS=keys, SLACK_STATE_SECRET="s", SLACK_SIGNING_SECRET="s")
    result = run_cli(tmp_path, "serve", **env)
    assert result.returncode == 2
    assert "TOKEN_ENCRYPTION_KEYS: key " in result.stderr and "failure-resume generate-key" in result.stderr
    assert not [key for key in keys.split(",") if key in result.stderr + result.stdout]
    assert_no_traceback(result)


# -- the migration of the tokens stored before ---------------------------------------------

BOTS = sa.table(
    "slack_bots",
    *(sa.column(name) for name in ("client_id", "app_id", "team_id", "bot_token", "bot_refresh_token")),
    sa.column("is_enterprise_install"),
    sa.column("installed_at"),
)
INSTALLATIONS = sa.table(
    "slack_installations",
    *(sa.column(name) for name in ("client_id", "app_id", "team_id", "bot_token", "bot_refresh_token")),
    *(sa.column(name) for name in ("user_id", "user_token", "is_enterprise_install", "installed_at")),
)
PLAIN_BOT = "xoxe.xoxb-1-" + "P" * 180  # as long as 0008's columns allow
PLAIN_ROWS = {
    "client_id": CLIENT_ID,
    "app_id": "A0FAKE",
    "team_id": "T2",
    "bot_token": PLAIN_BOT,
    "bot_refresh_token": "xoxe-1-plain-refresh",
    "is_enterprise_install": False,
}


def test_the_migration_encrypts_the_tokens_stored_before(database_url, tmp_path, monkeypatch):
    config = alembic_config(database_url)
    command.downgrade(config, "0008")  # no token stored: no key needed either way
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(BOTS.insert(), [{**PLAIN_ROWS, "installed_at": datetime(2026, 1, 1)}])
        connection.execute(
            INSTALLATIONS.insert(),
            [{**PLAIN_ROWS, "user_id": "U1", "user_token": "xoxp-plain-user", "installed_at": datetime(2026, 1, 1)}],
        )

    refused = run_cli(tmp_path, "migrate", DATABASE_URL=database_url)
    assert refused.returncode == 2 and "TOKEN_ENCRYPTION_KEYS" in refused.stderr and "plain text" in refused.stderr
    assert_no_traceback(refused)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0008"

    migrated = run_cli(tmp_path, "migrate", DATABASE_URL=database_url, TOKEN_ENCRYPTION_KEYS=TOKEN_KEYS)
    assert migrated.returncode == 0, migrated.stderr
    engine.dispose()
    stored = stored_text(database_url)
    assert not [prefix for prefix in PLAIN if prefix in stored] and b"xoxe.xoxb-" not in stored
    store = InstallationStore(CLIENT_ID, engine, sealer(TOKEN_KEYS))
    bot = store.find_bot(enterprise_id=None, team_id="T2")
    installation = store.find_installation(enterprise_id=None, team_id="T2", user_id="U1")
    assert (bot.bot_token, bot.bot_refresh_token) == (PLAIN_BOT, "xoxe-1-plain-refresh")
    assert (installation.bot_token, installation.user_token) == (PLAIN_BOT, "xoxp-plain-user")

    # And back: going down decrypts them with the key, and up again seals them anew.
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", TOKEN_KEYS)
    command.downgrade(config, "0008")
    with engine.connect() as connection:
        plain = connection.execute(sa.select(BOTS.c.bot_token, BOTS.c.bot_refresh_token)).all()
    assert [tuple(row) for row in plain] == [(PLAIN_BOT, "xoxe-1-plain-refresh")]
    upgrade_to_head(database_url)
    assert store.find_bot(enterprise_id=None, team_id="T2").bot_token == PLAIN_BOT
    engine.dispose()


def test_a_stored_token_the_keys_cannot_open_is_never_taken_for_a_token(app):
    install(app, "T2")
    stranger = InstallationStore(CLIENT_ID, app.engine, sealer(Fernet.generate_key().decode()))
    with pytest.raises(TokenKeyError, match="TOKEN_ENCRYPTION_KEYS cannot open"):
        stranger.find_bot(enterprise_id=None, team_id="T2")
