"""The WSGI application a production server runs: Slack requests, and a health check."""

from __future__ import annotations

import json
import logging

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from storage.db import database_answers

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's own payloads are far smaller; anything bigger is refused before it is read.
MAX_BODY_BYTES = 1_000_000


def make_wsgi_app(bolt_app: App, engine: Engine):
    slack = SlackRequestHandler(bolt_app, path=SLACK_PATH)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            healthy = database_answers(engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _json(start_response, status, {"ok": healthy, "database": "ok" if healthy else "unreachable"})
        if path != SLACK_PATH:
            return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"ok": False, "error": "method_not_allowed"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            return _json(start_response, "413 Payload Too Large", {"ok": False, "error": "too_large"})
        try:
            return slack(environ, start_response)
        except Exception as error:  # a body Bolt cannot parse: refuse it, keep serving
            log.warning("Refused a malformed Slack request (%s)", type(error).__name__)
            return _json(start_response, "400 Bad Request", {"ok": False, "error": "malformed_request"})

    return application


def _json(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
