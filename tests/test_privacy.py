"""What people write never reaches the logs: not at DEBUG, not when the database is down or refuses writes."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import time

import pytest

from bot.cli import configure_logging
from storage.migrate import upgrade_to_head
from tests import payloads
from tests.harness.bot import BotHarness
from tests.harness.config import SIGNING_SECRET
from tests.uploads import uploaded

SECRET_WHAT = "SECRET-WHAT-123"
SECRET_LESSON = "SECRET-LESSON-456"
SECRETS = (SECRET_WHAT, SECRET_LESSON)
# Libraries that log request bodies at DEBUG; the CLI caps them whatever LOG_LEVEL says.
CAPPED_LIBRARIES = ("slack_sdk", "slack_bolt", "sqlalchemy", "urllib3", "gunicorn")


@pytest.fixture
def debug_logs(caplog):
    """Every record the app emits when run with LOG_LEVEL=DEBUG, whichever logger and thread it comes from."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in CAPPED_LIBRARIES}
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG")  # what `failure-resume serve` does with LOG_LEVEL=DEBUG
    for name in ("bot", "bot.app", "storage", "failure_resume", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)


def logged_text(record: logging.LogRecord) -> str:
    parts = [logging.Formatter().format(record), str(record.msg), repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


def assert_no_secrets_logged(caplog) -> None:
    assert caplog.records, "nothing was captured: the check would be vacuous"
    for record in caplog.records:
        text = logged_text(record)
        for secret in SECRETS:
            assert secret not in text, f"{secret} logged by {record.name} at {record.levelname}: {text[:300]!r}"
    for secret in SECRETS:
        assert secret not in caplog.text


def wait_for_log(caplog, predicate, timeout: float = 5.0) -> None:
    """Bolt runs listeners on its own threads: wait until one of them has logged what we expect."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(predicate(r) for r in caplog.records):
            return
        time.sleep(0.05)
    raise AssertionError("the expected log record never came")


def use_every_surface(bot, *, expect_saved: bool) -> None:
    """Record by /fail and by the modal, then export, resume and open the Home tab."""
    fake = bot.fake
    quick = bot.command(f"{SECRET_WHAT} quick: I force-pushed to main", key="quick")
    modal = bot.submit_entry(
        what=f"{SECRET_WHAT} in the modal",
        lesson=SECRET_LESSON,
        action_items=f"Never again: {SECRET_WHAT}",
        metadata=json.dumps({"response_url": fake.response_url("modal")}),
    )
    # A refused submission too: its errors travel back in the ack Bolt logs at DEBUG.
    bot.submit_entry(what=SECRET_WHAT, lesson=SECRET_LESSON, when="2999-01-01")
    too_long = bot.command(("x" * 3000) + SECRET_WHAT, key="too-long")
    if expect_saved:
        answers = dict(fake.wait_for_responses(3))
        assert SECRET_WHAT in str(answers["too-long"])  # the text really went through the bot
    else:
        assert SECRET_WHAT in str(too_long.json())  # with nowhere to keep the answer, given in the ack
        assert fake.responses == []
        assert SECRET_WHAT in str(quick.json())  # given back in the ack because it could not be saved
        assert "could not be saved" in str(modal.json())  # the modal stays open with the words in it
    bot.command("export", key="export")
    bot.command("resume", key="resume")
    bot.event(
        {"type": "app_home_opened", "user": "U1", "tab": "home", "channel": "D0001", "event_ts": "1700000000.000100"}
    )
    answers = dict(fake.wait_for_responses(5 if expect_saved else 2))
    if expect_saved:
        assert SECRET_WHAT in str(answers["resume"]) and SECRET_LESSON in str(answers["resume"])
        document = uploaded(fake, ".md")
        assert SECRET_WHAT.encode() in document and SECRET_LESSON.encode() in document
        fake.wait_for("views.publish")  # the Home tab (records made in a channel leave it alone)
    else:
        assert "export" in answers and "resume" in answers  # a sorry, not silence


def test_entry_text_is_never_logged(bot, debug_logs):
    use_every_surface(bot, expect_saved=True)
    assert any(r.levelno == logging.DEBUG and r.name == "bot.app" for r in debug_logs.records)
    assert_no_secrets_logged(debug_logs)


def test_entry_text_is_never_logged_when_the_database_is_down(fake_slack, tmp_path, debug_logs):
    harness = BotHarness(fake_slack, f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        use_every_surface(harness, expect_saved=False)
        # The Home tab's event too meets the database down, and is logged as such.
        wait_for_log(debug_logs, lambda r: r.levelno >= logging.ERROR and "event_callback" in r.getMessage())
    finally:
        harness.close()
    assert any(r.levelno >= logging.ERROR for r in debug_logs.records)
    assert_no_secrets_logged(debug_logs)


def test_entry_text_is_never_logged_when_the_database_refuses_writes(fake_slack, tmp_path, debug_logs):
    url = f"sqlite:///{tmp_path}/full.db"
    upgrade_to_head(url)
    with sqlite3.connect(tmp_path / "full.db") as connection:
        connection.execute(
            "CREATE TRIGGER disk_full BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'disk is full'); END"
        )
    connection.close()
    harness = BotHarness(fake_slack, url)
    try:
        quick = harness.command(f"{SECRET_WHAT} quick", key="quick")
        modal = harness.submit_entry(
            what=SECRET_WHAT,
            lesson=SECRET_LESSON,
            metadata=json.dumps({"response_url": fake_slack.response_url("modal")}),
        )
    finally:
        harness.close()
    assert "could not be saved" in quick.json()["text"] and "could not be saved" in str(modal.json())
    assert any(r.levelno >= logging.ERROR for r in debug_logs.records)
    assert_no_secrets_logged(debug_logs)


def test_malformed_requests_are_logged_without_their_payload(bot, debug_logs):
    body = payloads.interactive({"type": "view_submission", "view": SECRET_WHAT, "user": {"id": SECRET_LESSON}})
    bot.post(body)
    bot.post(b"payload=" + SECRET_WHAT.encode() + b"%7B")
    bot.command("help", key="help")
    bot.fake.wait_for_responses()
    assert_no_secrets_logged(debug_logs)


@pytest.mark.parametrize(
    "headers_for",
    [
        lambda body: {"X-Slack-Signature": "v0=" + "0" * 64},  # a rotated signing secret, or a forgery
        lambda body: payloads.sign(SIGNING_SECRET, body, timestamp=1_600_000_000),  # a delayed retry: stale
    ],
    ids=["bad-signature", "stale-timestamp"],
)
def test_requests_failing_verification_are_logged_without_their_body(bot, debug_logs, headers_for):
    body = payloads.slash_command(f"{SECRET_WHAT} what I typed", response_url=bot.fake.response_url())
    assert bot.post(body, headers=headers_for(body)).status == 401
    assert_no_secrets_logged(debug_logs)


# -- the logging configuration the CLI applies (in a fresh interpreter, as in production) ----------


def enabled_after_configure_logging(level: str, loggers: tuple[str, ...], at: int) -> dict[str, bool]:
    script = (
        "import json, logging, sys\n"
        "from bot.cli import configure_logging\n"
        f"configure_logging({level!r})\n"
        f"print(json.dumps({{n: logging.getLogger(n).isEnabledFor({at}) for n in {list(loggers)!r}}}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_debug_level_keeps_body_logging_libraries_quiet():
    loggers = (
        "slack_sdk.web.base_client",
        "slack_sdk.webhook.client",
        "slack_bolt.App",
        "bot.app",  # Bolt's own logger, by our name: at DEBUG it logs an install's OAuth code and state
        "sqlalchemy.engine.Engine",
        "urllib3.connectionpool",
        "gunicorn",
    )
    enabled = enabled_after_configure_logging("DEBUG", loggers, logging.DEBUG)
    assert enabled == dict.fromkeys(loggers, False)
    assert enabled_after_configure_logging("DEBUG", ("bot.listeners.views", "bot.scheduler"), logging.DEBUG) == {
        "bot.listeners.views": True,
        "bot.scheduler": True,
    }


def test_default_level_does_not_turn_on_sql_statement_logging():
    # SQLAlchemy logs every statement at INFO on "sqlalchemy.engine" and defaults its namespace to WARN.
    enabled = enabled_after_configure_logging("INFO", ("sqlalchemy.engine.Engine",), logging.INFO)
    assert enabled == {"sqlalchemy.engine.Engine": False}
