"""`failure-resume doctor` as an admin runs it: a real subprocess against the fake Slack, one line per
check, exit 0 when all pass and 1 when any fails, never a traceback, a token or a key."""

from __future__ import annotations

import os
import socket
import sqlite3

import pytest
from cryptography.fernet import Fernet

from storage.migrate import upgrade_to_head
from tests.harness.bot import BotHarness
from tests.harness.config import TOKEN, TOKEN_KEYS
from tests.harness.installs import install, oauth_env
from tests.harness.processes import assert_no_traceback, run_cli


def lines(result) -> dict[str, str]:
    """Each check's line, by the check's name."""
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith(("ok  ", "FAIL")) and ":" in line:
            found[line[6:].split(":", 1)[0]] = line
    return found


def assert_said_safely(result, *secrets: str) -> None:
    assert_no_traceback(result)
    for secret in secrets:
        assert secret not in result.stdout + result.stderr


@pytest.fixture
def migrated(tmp_path) -> str:
    url = f"sqlite:///{tmp_path}/resume.db"
    upgrade_to_head(url)
    return url


def good_env(fake_slack, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "a-signing-secret",
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": database_url,
        "RETRO_CHANNEL": "C0RETRO",
        **extra,
    }


def test_a_good_configuration_passes_every_check(tmp_path, fake_slack, migrated):
    result = run_cli(tmp_path, "doctor", **good_env(fake_slack, migrated))
    assert result.returncode == 0, result.stdout + result.stderr
    checks = lines(result)
    assert set(checks) == {"Signing secret", "Database", "Queue", "Slack token", "Retro channel"}
    assert all(line.startswith("ok  ") for line in checks.values()), result.stdout
    assert "migrated to head" in checks["Database"]
    assert "every required scope of manifest.yml" in checks["Slack token"]
    assert "C0RETRO" in checks["Retro channel"]
    assert result.stdout.splitlines()[-1] == "Every check passed."
    assert [c.args["channel"] for c in fake_slack.calls_to("conversations.join")] == ["C0RETRO"]
    assert_said_safely(result, TOKEN, "a-signing-secret")


def test_a_broken_configuration_fails_each_broken_check_and_exits_1(tmp_path, fake_slack):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nobody = sock.getsockname()[1]
    env = good_env(
        fake_slack,
        f"postgresql://admin:db-password@127.0.0.1:{nobody}/resume",
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET="",
    )
    result = run_cli(tmp_path, "doctor", **env)
    assert result.returncode == 1
    checks = lines(result)
    assert checks["Signing secret"].startswith("FAIL") and "SLACK_SIGNING_SECRET" in checks["Signing secret"]
    assert checks["Database"].startswith("FAIL") and "does not answer" in checks["Database"]
    assert checks["Slack token"].startswith("FAIL") and "invalid_auth" in checks["Slack token"]
    assert checks["Retro channel"].startswith("FAIL")  # not checked without a token
    assert checks["Queue"].startswith("ok  ")  # the SQLite queue file's folder is there
    assert result.stdout.splitlines()[-1] == "4 check(s) failed."
    assert fake_slack.calls_to("conversations.join", ok_only=False) == []
    assert_said_safely(result, "xoxb-revoked", "db-password")


def test_a_token_without_every_scope_of_the_manifest_is_named(tmp_path, fake_slack, migrated):
    fake_slack.scopes = tuple(scope for scope in fake_slack.scopes if scope not in ("files:read", "im:history"))
    result = run_cli(tmp_path, "doctor", **good_env(fake_slack, migrated))
    assert result.returncode == 1
    token = lines(result)["Slack token"]
    assert token.startswith("FAIL") and "files:read, im:history" in token and "reinstall" in token
    assert_said_safely(result, TOKEN)


def test_a_retro_channel_slack_does_not_know_fails(tmp_path, fake_slack, migrated):
    fake_slack.queue_failure("conversations.join", error="channel_not_found")
    result = run_cli(tmp_path, "doctor", **good_env(fake_slack, migrated))
    assert result.returncode == 1
    retro = lines(result)["Retro channel"]
    assert retro.startswith("FAIL") and "C0RETRO" in retro and "channel_not_found" in retro and "/invite" in retro


def test_a_database_file_that_is_not_a_database_fails_and_is_left_alone(tmp_path, fake_slack):
    path = tmp_path / "resume.db"
    path.write_bytes(b"these are not the bytes of a database " * 200)
    result = run_cli(tmp_path, "doctor", **good_env(fake_slack, f"sqlite:///{path}"))
    assert result.returncode == 1
    assert lines(result)["Database"].startswith("FAIL") and "is not a SQLite database" in result.stdout
    assert path.read_bytes() == b"these are not the bytes of a database " * 200
    assert_said_safely(result, TOKEN)


def test_an_unmigrated_sqlite_file_passes_since_serve_migrates_it_and_the_doctor_does_not(tmp_path, fake_slack):
    path = tmp_path / "resume.db"
    sqlite3.connect(path).execute("CREATE TABLE something_else (id INTEGER)").connection.close()
    result = run_cli(tmp_path, "doctor", **good_env(fake_slack, f"sqlite:///{path}"))
    database = lines(result)["Database"]
    assert database.startswith("ok  ") and "at no revision" in database
    connection = sqlite3.connect(path)
    assert [name for (name,) in connection.execute("SELECT name FROM sqlite_master")] == ["something_else"]
    connection.close()


def test_oauth_mode_checks_that_the_keys_open_the_stored_tokens(tmp_path, fake_slack, database_url):
    app = BotHarness(fake_slack, database_url, oauth=True)
    try:
        install(app, "T2")
        good = run_cli(tmp_path, "doctor", **oauth_env(app, SLACK_SIGNING_SECRET="s"))
        other = Fernet.generate_key().decode()
        bad = run_cli(tmp_path, "doctor", **oauth_env(app, SLACK_SIGNING_SECRET="s", TOKEN_ENCRYPTION_KEYS=other))
        fake_slack.scopes = tuple(scope for scope in fake_slack.scopes if scope != "files:read")
        install(app, "T3")  # from before imports: Slack granted fewer scopes
        stale = run_cli(tmp_path, "doctor", **oauth_env(app, SLACK_SIGNING_SECRET="s"))
    finally:
        app.close()
    assert good.returncode == 0, good.stdout
    assert "opens the stored tokens" in lines(good)["Stored tokens"]
    assert "1 installed, each with every required scope" in lines(good)["Installed workspaces"]
    assert stale.returncode == 1
    assert lines(stale)["Installed workspaces"].startswith("FAIL") and "1 of 2 installed" in stale.stdout
    assert "(T3)" in lines(stale)["Installed workspaces"]
    assert bad.returncode == 1
    assert lines(bad)["Stored tokens"].startswith("FAIL") and "opens none" in lines(bad)["Stored tokens"]
    assert_said_safely(good, TOKEN_KEYS)
    assert_said_safely(bad, TOKEN_KEYS, other)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_a_migrated_postgresql_passes(tmp_path, fake_slack, database_url):
    result = run_cli(tmp_path, "doctor", **good_env(fake_slack, database_url))
    assert result.returncode == 0, result.stdout
    assert "migrated to head" in lines(result)["Database"]
    assert_said_safely(result, TOKEN)


def test_a_sqlite_database_in_a_folder_that_is_not_there_fails_and_creates_nothing(tmp_path, fake_slack):
    result = run_cli(tmp_path, "doctor", **good_env(fake_slack, f"sqlite:///{tmp_path}/nowhere/resume.db"))
    assert result.returncode == 1
    assert lines(result)["Database"].startswith("FAIL") and "does not exist" in lines(result)["Database"]
    assert not (tmp_path / "nowhere").exists()
