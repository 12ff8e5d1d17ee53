"""LOG_FORMAT=json: every line that `serve`, gunicorn and the worker write is one JSON object (time,
level, logger, message, the error reference), and none holds entry text, a token or an exception's
message."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.ops.logs import JsonFormatter, TextFormatter
from bot.slack import errors
from tests.harness.config import TOKEN
from tests.harness.processes import assert_no_traceback, run_cli, signed_command, start_serving, stop_serving

ENTRY = "Dropped the orders table on a Friday, cleanup-7f3a"


def parsed(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_serve_and_its_worker_write_one_json_object_a_line_without_entry_text_or_tokens(tmp_path, fake_slack):
    log_file = tmp_path / "serve.log"
    with log_file.open("w") as output:
        process, base = start_serving(
            tmp_path,
            output=output,
            LOG_FORMAT="json",
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET="cli-secret",
            SLACK_API_URL=fake_slack.url,
        )
        try:
            assert signed_command(base, ENTRY, fake_slack.response_url("json")) == 200
            [(_key, message)] = fake_slack.wait_for_responses(timeout=60)  # the worker's Nice job
            assert message["text"].startswith("Nice job")
        finally:
            stop_serving(process)
    text = log_file.read_text()
    lines = parsed(text)  # every line: a line that is not JSON fails here
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    loggers = {line["logger"] for line in lines}
    assert "gunicorn.error" in loggers  # gunicorn's own lines too
    assert any("Task worker with" in line["message"] for line in lines)  # and the worker child's
    assert all(line["time"].endswith("+00:00") for line in lines)
    for secret in (ENTRY, "cleanup-7f3a", TOKEN, "cli-secret"):
        assert secret not in text


def capture(logger: logging.Logger, formatter: logging.Formatter):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    return stream, handler


def test_an_unhandled_error_is_one_json_line_with_its_reference_and_without_its_message():
    logger = logging.getLogger("bot.slack.errors")
    stream, handler = capture(logger, JsonFormatter())
    try:
        try:
            raise ValueError(f"INSERT failed for {ENTRY!r}")
        except ValueError as error:
            errors.report(error, {"type": "view_submission"})
    finally:
        logger.removeHandler(handler)
    [line] = parsed(stream.getvalue())
    assert line["level"] == "ERROR" and line["logger"] == "bot.slack.errors"
    assert len(line["reference"]) == 12 and f"(reference {line['reference']})" in line["message"]
    assert "ValueError" in line["message"] and ENTRY not in stream.getvalue()


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_a_logged_exception_shows_its_type_and_frames_never_its_message(formatter):
    logger = logging.getLogger("tests.logs")
    stream, handler = capture(logger, formatter)
    try:
        try:
            raise RuntimeError(f"Slack said no to {TOKEN} about {ENTRY}")
        except RuntimeError:
            logger.exception("A library logged what it caught")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "RuntimeError" in written and "test_logs.py" in written
    assert TOKEN not in written and ENTRY not in written
    if isinstance(formatter, JsonFormatter):
        [line] = parsed(written)
        assert line["error"] == "RuntimeError" and line["message"] == "A library logged what it caught"


def test_an_unknown_log_format_is_a_clear_error(tmp_path):
    result = run_cli(tmp_path, "migrate", LOG_FORMAT="yaml")
    assert result.returncode == 2
    assert "LOG_FORMAT must be one of text, json" in result.stderr and "yaml" in result.stderr
    assert_no_traceback(result)
