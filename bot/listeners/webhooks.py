"""POST /webhooks/github, /webhooks/jira and /webhooks/linear: a tracker tells the app that an issue
was closed or reopened. Verified first, with the operator's secret (GITHUB_WEBHOOK_SECRET, ...) or the
one an admin set with the workspace's connection; only the workspaces whose secret signed it change.
Answered after the change and the follow-ups it promises are stored, like Slack's requests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from cryptography.fernet import MultiFernet
from sqlalchemy.exc import SQLAlchemyError

from bot.domain import trackers
from bot.tasks import follow_ups
from bot.trackers import KINDS
from bot.trackers.webhooks import read, signed
from storage.db import OneSession, SessionFactory
from storage.types import Workspace

log = logging.getLogger(__name__)

# An issue's webhook is a few kilobytes; refuse anything far bigger before reading it.
MAX_BODY_BYTES = 1_000_000


class TrackerWebhooks:
    def __init__(
        self,
        sf: SessionFactory,
        keys: MultiFernet | None,
        operator_secrets: dict[str, str | None],
        clock: Callable[[], datetime],
    ) -> None:
        self.sf, self.keys, self.operator_secrets, self.clock = sf, keys, operator_secrets, clock

    def answer(self, tracker: str, headers: dict[str, str], body: bytes) -> tuple[str, dict]:
        """The HTTP status and JSON body for one webhook. `headers` with lower-case names."""
        if tracker not in KINDS:
            return "404 Not Found", {"ok": False, "error": "not_found"}
        verified = self._verified_workspaces(tracker, headers, body)
        if verified is None:
            log.warning("Refused a %s webhook whose signature matches no secret", tracker)
            return "401 Unauthorized", {"ok": False, "error": "invalid_signature"}
        now = self.clock()
        event = read(tracker, headers, body, now)
        if event is None:
            return "200 OK", {"ok": True, "changed": 0}
        changed = 0
        with self.sf.begin() as session:
            for ws in verified:
                for item in trackers.apply_issue_event(OneSession(session), ws, event, now):
                    follow_ups.item_done(session, ws, user_id=item.owner_id, item_id=item.id)
                    changed += 1
        log.info("A %s webhook made %s action items done", tracker, changed)
        return "200 OK", {"ok": True, "changed": changed}

    def _verified_workspaces(self, tracker: str, headers: dict[str, str], body: bytes) -> list[Workspace] | None:
        """The workspaces this webhook may change; None when no secret we know signed it."""
        operator = self.operator_secrets.get(tracker)
        by_operator = bool(operator) and signed(tracker, headers, body, operator)
        connected = trackers.webhook_secrets(self.sf, self.keys, tracker)
        verified = [ws for ws, own in connected if by_operator or (own and signed(tracker, headers, body, own))]
        return verified if verified or by_operator else None

    def wsgi(self, environ, start_response, respond: Callable) -> list[bytes]:
        """The request as the WSGI front door hands it; `respond(start_response, status, body)` writes JSON."""
        if environ.get("REQUEST_METHOD") != "POST":
            return respond(start_response, "405 Method Not Allowed", {"ok": False, "error": "method_not_allowed"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            return respond(start_response, "413 Payload Too Large", {"ok": False, "error": "too_large"})
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")
        }
        try:
            status, answer = self.answer(environ.get("PATH_INFO", "").rpartition("/")[2], headers, body)
        except SQLAlchemyError as error:  # the tracker sends it again later (Jira, Linear) or it is checked hourly
            log.warning("A webhook was not stored (%s)", type(error).__name__)
            status, answer = "503 Service Unavailable", {"ok": False, "error": "unavailable"}
        return respond(start_response, status, answer)
