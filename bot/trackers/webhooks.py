"""What a tracker's webhook says, and whether it was signed with a secret we know. Each service signs
the raw body with HMAC-SHA256: GitHub in `X-Hub-Signature-256: sha256=<hex>`, Jira Cloud's admin
webhooks in `X-Hub-Signature: sha256=<hex>`, Linear in `Linear-Signature: <hex>` (with the send time in
the body, refused when over a minute off, so that a recorded webhook cannot be played again later)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from bot.trackers import github, jira

LINEAR_CLOCK_SKEW_MS = 60_000
SIGNATURE_HEADERS = {"github": "x-hub-signature-256", "jira": "x-hub-signature", "linear": "linear-signature"}


@dataclass(frozen=True)
class IssueEvent:
    tracker: str
    key: str  # as ActionItem.issue_key names it
    done: bool


def signed(tracker: str, headers: dict[str, str], body: bytes, secret: str) -> bool:
    """Whether `body` was signed with `secret` the way `tracker` signs. `headers` with lower-case names."""
    given = headers.get(SIGNATURE_HEADERS[tracker], "")
    if tracker != "linear":
        scheme, _, given = given.partition("=")
        if scheme != "sha256":
            return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    # Compared as bytes: a header with other than ASCII in it is simply not the signature.
    return bool(secret) and hmac.compare_digest(expected, given.strip().lower().encode("utf-8", "replace"))


def read(tracker: str, headers: dict[str, str], body: bytes, now: datetime) -> IssueEvent | None:
    """The issue's change a webhook tells of; None for anything else (a ping, a comment, a new issue)
    or for a body that is not what the service sends."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    try:
        return READERS[tracker](headers, payload, now)
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def _github(headers: dict[str, str], payload: dict, now: datetime) -> IssueEvent | None:
    if headers.get("x-github-event") != "issues" or payload.get("action") not in ("closed", "reopened"):
        return None
    key = github.issue_key(payload["repository"]["full_name"], int(payload["issue"]["number"]))
    return IssueEvent("github", key, payload["action"] == "closed")


def _jira(headers: dict[str, str], payload: dict, now: datetime) -> IssueEvent | None:
    if payload.get("webhookEvent") != "jira:issue_updated":
        return None
    issue = payload["issue"]
    category = issue["fields"]["status"]["statusCategory"]["key"]
    return IssueEvent("jira", jira.issue_key(issue["self"], issue["key"]), category == "done")


def _linear(headers: dict[str, str], payload: dict, now: datetime) -> IssueEvent | None:
    sent = int(payload["webhookTimestamp"])
    if abs(now.timestamp() * 1000 - sent) > LINEAR_CLOCK_SKEW_MS:
        return None
    if payload.get("type") != "Issue" or payload.get("action") != "update":
        return None
    data = payload["data"]
    return IssueEvent("linear", str(data["id"]), data["state"]["type"] in ("completed", "canceled"))


READERS = {"github": _github, "jira": _jira, "linear": _linear}
