"""HTTP: the WSGI application (Slack requests, the liveness and readiness probes) and the production
server that runs it."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qsl

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.ops import metrics
from bot.ops.logs import GunicornLogger
from bot.ops.readiness import Readiness
from storage.db import database_answers
from storage.models import utcnow


class Webhooks(Protocol):
    """The trackers' webhooks (bot.listeners.webhooks), answered on the same port."""

    def wsgi(self, environ, start_response, respond: Callable) -> list[bytes]: ...


log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
WEBHOOKS_PREFIX = "/webhooks/"
KIND = "failure_resume.kind"  # the Slack request's kind, for the metrics
# Slack's own payloads are far smaller; anything bigger is refused before it is read.
MAX_BODY_BYTES = 1_000_000
SLACK_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def make_wsgi_app(
    bolt_app: App,
    engine: Engine,
    readiness: Readiness | None = None,
    read_queue: Callable[[], metrics.QueueState] | None = None,
    webhooks: Webhooks | None = None,
) -> FrontDoor:
    """readiness: asked by GET /readyz (the database and the queue, over new connections). read_queue:
    the queue's depth, for GET /metrics. webhooks: the trackers' (POST /webhooks/github, ...)."""
    return FrontDoor(bolt_app, engine, readiness, read_queue, webhooks)


class FrontDoor:
    """The WSGI application: Slack's requests (and OAuth mode's install pages), the probes, /metrics."""

    def __init__(
        self,
        bolt_app: App,
        engine: Engine,
        readiness: Readiness | None,
        read_queue: Callable[[], metrics.QueueState] | None,
        webhooks: Webhooks | None = None,
    ) -> None:
        self.slack = SlackRequestHandler(bolt_app, path=SLACK_PATH)
        self.engine, self.readiness, self.read_queue, self.webhooks = engine, readiness, read_queue, webhooks
        # OAuth mode: the Add to Slack page and Slack's redirect back after a person allows the install.
        oauth = bolt_app.oauth_flow
        self.install_path = oauth.install_path if oauth else None
        self.install_paths = (oauth.install_path, oauth.redirect_uri_path) if oauth else ()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == METRICS_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            data, content_type = metrics.scrape(self.read_queue, utcnow)
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data)))])
            return [data]
        if path != SLACK_PATH and path not in self.install_paths:
            return self.route(environ, start_response)
        # Requests from Slack (and the install pages): counted by kind and outcome, and timed to the answer.
        started, answered = time.perf_counter(), []

        def seen(status, headers, exc_info=None):
            answered.append(status)
            return start_response(status, headers, exc_info)

        try:
            return self.route(environ, seen)
        finally:
            kind = "install" if path in self.install_paths else environ.get(KIND, "other")
            metrics.request_answered(kind, answered[0] if answered else "500", time.perf_counter() - started)

    def route(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            healthy = database_answers(self.engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _json(start_response, status, {"ok": healthy, "database": "ok" if healthy else "unreachable"})
        if path == READY_PATH and method in ("GET", "HEAD") and self.readiness is not None:
            answers = self.readiness.check()
            ready = all(answers.values())
            status = "200 OK" if ready else "503 Service Unavailable"
            body = {name: "ok" if up else "unreachable" for name, up in answers.items()}
            return _json(start_response, status, {"ok": ready, **body})
        if path.startswith(WEBHOOKS_PREFIX) and self.webhooks is not None:
            return self.webhooks.wsgi(environ, start_response, _json)
        if path in self.install_paths and method == "GET":
            if path == self.install_path:
                # Bolt copies the page's query (team=…) into Slack's authorize URL unescaped.
                environ["QUERY_STRING"] = ""
            return self.dispatch(environ, start_response)
        if path != SLACK_PATH:
            return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"ok": False, "error": "method_not_allowed"})
        return self.slack_request(environ, start_response)

    def slack_request(self, environ, start_response):
        """A POST to /slack/events: refused here when Bolt would misread it, else handed to Bolt."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            return _json(start_response, "413 Payload Too Large", {"ok": False, "error": "too_large"})
        # Bolt raises on a timestamp that is not a number before it checks the signature, and would
        # then answer the unverified body's response_url: refuse it here, like any bad signature.
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if timestamp is not None and not SLACK_TIMESTAMP.fullmatch(timestamp):
            return _json(start_response, "401 Unauthorized", {"ok": False, "error": "invalid_signature"})
        body = environ["wsgi.input"].read(length) if length else b""
        if not _is_utf8(body, environ.get("CONTENT_TYPE", "")):
            return _json(start_response, "400 Bad Request", {"ok": False, "error": "malformed_request"})
        environ["wsgi.input"] = io.BytesIO(body)
        environ[KIND] = metrics.request_kind(body, environ.get("CONTENT_TYPE", ""))
        return self.dispatch(environ, start_response)

    def dispatch(self, environ, start_response):
        try:
            return self.slack(environ, start_response)
        except Exception as error:  # a request Bolt cannot parse: refuse it, keep serving
            log.warning("Refused a malformed Slack request (%s)", type(error).__name__)
            return _json(start_response, "400 Bad Request", {"ok": False, "error": "malformed_request"})


def _is_utf8(body: bytes, content_type: str) -> bool:
    """Slack sends UTF-8, percent-encoded in a form: other bytes would be stored as U+FFFD, so refuse them."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/x-www-form-urlencoded"):
            parse_qsl(text, keep_blank_values=True, errors="strict")
    except ValueError:  # UnicodeDecodeError is one
        return False
    return True


def _json(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class ProductionServer(BaseApplication):
    """gunicorn: `processes` (WEB_CONCURRENCY) forked workers of `threads` each. On SIGTERM it stops
    accepting and answers the requests in flight, then exits; what a request promised is already in the
    outbox, so nothing acknowledged is lost with the process (a modal still opening, an event still
    being handled or a failure still being told may be: bot.listeners.after_ack)."""

    def __init__(
        self,
        bolt_app: App,
        engine: Engine,
        port: int,
        grace: int,
        processes: int = 1,
        threads: int = 8,
        readiness: Readiness | None = None,
        read_queue: Callable[[], metrics.QueueState] | None = None,
        webhooks: Webhooks | None = None,
    ):
        self.bolt_app, self.engine, self.readiness, self.read_queue = bolt_app, engine, readiness, read_queue
        self.webhooks = webhooks
        self.options = {
            "bind": f"0.0.0.0:{port}",
            "workers": processes,
            "worker_class": "gthread",
            "threads": threads,
            "graceful_timeout": grace,
            # The app is built (and Slack's answer to its token checked) once, before the fork.
            "preload_app": True,
            "post_fork": self._post_fork,
            "worker_exit": self._worker_exit,
            "logger_class": GunicornLogger,  # its lines in LOG_FORMAT too
            "child_exit": lambda _arbiter, worker: metrics.process_gone(worker.pid),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return make_wsgi_app(self.bolt_app, self.engine, self.readiness, self.read_queue, self.webhooks)

    def _post_fork(self, _arbiter, _worker) -> None:
        self.engine.dispose(close=False)  # connections opened before the fork stay the parent's

    def _worker_exit(self, _arbiter, _worker) -> None:
        # What listeners left for after their acks (bot.listeners.after_ack): modals, events, failures told.
        self.bolt_app.listener_runner.listener_executor.shutdown(wait=True)
        log.info("Stopped: every acknowledged request is stored or on the task queue")
