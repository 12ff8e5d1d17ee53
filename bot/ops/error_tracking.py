"""Error tracking: with SENTRY_DSN set, the errors of the web, worker and clock processes go to Sentry
(or anything that takes its envelopes), scrubbed before they leave the process.

What is sent: an exception's type and frames (file, function, line, the code's own lines), the process,
the error reference the person saw, and the log lines before it (messages only: by the logs' rule they
hold no entry text). What is not: an exception's message (it may quote a Slack answer, a query's
parameters or what a person wrote), local variables, request bodies, headers, cookies, URLs of calls to
Slack, SQL, and anything shaped like a Slack token."""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

TOKEN = re.compile(r"\b(xox[a-z]|xapp|xoxe\.xox[a-z])-[A-Za-z0-9-]+")
# The only parts of an event that are kept; everything else (request, extra, user, …) is dropped.
KEPT = {
    "event_id",
    "timestamp",
    "platform",
    "level",
    "logger",
    "release",
    "environment",
    "server_name",
    "tags",
    "contexts",
    "exception",
    "threads",
    "breadcrumbs",
    "logentry",
    "sdk",
    "modules",
    "fingerprint",
    "transaction",
}
FRAME_KEYS = {"filename", "abs_path", "function", "module", "lineno", "colno", "in_app", "context_line",
              "pre_context", "post_context"}  # fmt: skip


def start(dsn: str | None, process: str) -> bool:
    """Sentry for this process (`serve`, `worker`, `scheduler`, …) when a DSN is given."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.huey import HueyIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger

    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        auto_enabling_integrations=False,  # no SQL, Redis or HTTP spans and breadcrumbs: they quote data
        integrations=[HueyIntegration(), LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        before_send=scrub,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=0,
    )
    sentry_sdk.set_tag("process", process)
    # An unexpected error is logged there with its reference, and sent once by report() below.
    ignore_logger("bot.slack.errors")
    log.info("Errors are reported to Sentry")
    return True


def report(error: BaseException, reference: str) -> None:
    """An error the app caught and answered (bot.slack.errors), sent with the reference the person saw."""
    import sentry_sdk

    if not sentry_sdk.is_initialized():
        return
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("reference", reference)
        sentry_sdk.capture_exception(error)


def scrub(event: dict[str, Any], _hint: dict | None = None) -> dict[str, Any]:
    kept = {key: value for key, value in event.items() if key in KEPT}
    for exception in (kept.get("exception") or {}).get("values") or []:
        exception["value"] = ""  # the message: may quote entry text, a Slack answer or a query
        _scrub_frames(exception.get("stacktrace"))
    for thread in (kept.get("threads") or {}).get("values") or []:
        _scrub_frames(thread.get("stacktrace"))
    breadcrumbs = kept.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        breadcrumbs["values"] = [b for b in map(scrub_breadcrumb, breadcrumbs.get("values") or []) if b]
    logentry = kept.get("logentry")
    if isinstance(logentry, dict):
        # The line as the log shows it; its arguments apart are not needed.
        kept["logentry"] = {"message": logentry.get("formatted") or logentry.get("message") or ""}
    return _no_tokens(kept)


def scrub_breadcrumb(crumb: dict[str, Any], _hint: dict | None = None) -> dict[str, Any] | None:
    """Log lines only (messages, by the logs' rule, hold no entry text); HTTP calls, SQL and the rest go."""
    if crumb.get("type") not in (None, "log", "default") or crumb.get("category") in ("httplib", "query", "redis"):
        return None
    kept = ("type", "category", "level", "message", "timestamp")
    return _no_tokens({key: crumb[key] for key in kept if key in crumb})


def _scrub_frames(stacktrace: dict | None) -> None:
    if not isinstance(stacktrace, dict):
        return
    stacktrace["frames"] = [
        {key: value for key, value in frame.items() if key in FRAME_KEYS} for frame in stacktrace.get("frames") or []
    ]


def _no_tokens(value: Any) -> Any:
    if isinstance(value, str):
        return TOKEN.sub("[token]", value)
    if isinstance(value, dict):
        return {key: _no_tokens(each) for key, each in value.items()}
    if isinstance(value, list):
        return [_no_tokens(each) for each in value]
    return value
