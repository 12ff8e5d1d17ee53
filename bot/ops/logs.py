"""Log lines as text or, with LOG_FORMAT=json, one JSON object a line: time, level, logger, message, and
the error reference and process when there are. The rule of the text format holds: no entry text and
no tokens. The app's own messages never quote them, and an exception is written as its type and where
it happened, never its message (which may quote a Slack answer or a query's parameters)."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime

from gunicorn import glogging

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        reference = getattr(record, "reference", None)
        if reference:
            line["reference"] = reference
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["traceback"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The text format, with an exception's type and frames instead of its message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return f"{ei[0].__name__}\n{''.join(traceback.format_tb(ei[2]))}".rstrip()


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def handler(log_format: str) -> logging.Handler:
    """To stderr, in `log_format`: the one handler of the root logger."""
    stream = logging.StreamHandler()
    stream.setFormatter(formatter(log_format))
    return stream


class GunicornLogger(glogging.Logger):
    """gunicorn's own lines (start, workers booted and stopped) through the root logger, so that they are
    written in LOG_FORMAT like every other line."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.handlers.clear()
            log.propagate = True
