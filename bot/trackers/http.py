"""One JSON request to a tracker's API, with the answers sorted into done, refused and passing trouble.
No retries here: a follow-up that meets passing trouble is run again by the outbox (bot.tasks)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from bot.trackers import TrackerBusy, TrackerRefused

TIMEOUT_SECONDS = 10
USER_AGENT = "failure-resume"  # GitHub refuses a request without one
# Answers that say "not now": the tracker is busy, down or limiting us.
PASSING = {408, 425, 429, 500, 502, 503, 504}
REFUSALS = {400: "refused", 401: "bad_credentials", 403: "forbidden", 404: "not_found", 410: "gone", 422: "invalid"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: object


def call(method: str, url: str, headers: dict[str, str], payload: object | None = None) -> Answer:
    """`payload` sent as JSON; returns a 2xx answer, raises TrackerBusy or TrackerRefused otherwise."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)
    for name, value in {"User-Agent": USER_AGENT, "Accept": "application/json", **headers}.items():
        request.add_header(name, value)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            answer = Answer(response.status, _lower(response.headers), _json(response.read()))
    except urllib.error.HTTPError as error:
        answer = Answer(error.code, _lower(error.headers), _json(error.read()))
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as error:
        raise TrackerBusy(type(error).__name__) from None
    if 200 <= answer.status < 300:
        if answer.body is None:  # not the tracker's API (a wrong address answering with a web page)
            raise TrackerRefused("unexpected", answer.status)
        return answer
    if answer.status in PASSING or _rate_limited(answer):
        raise TrackerBusy(f"HTTP {answer.status}")
    raise TrackerRefused(REFUSALS.get(answer.status, "refused"), answer.status, answer.body)


def _rate_limited(answer: Answer) -> bool:
    """GitHub says "slow down" with a 403 too: no requests remaining, or a secondary limit (Retry-After,
    or its message)."""
    if answer.status != 403:
        return False
    message = str(answer.body.get("message", "")).lower() if isinstance(answer.body, dict) else ""
    limited = answer.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in answer.headers
    return limited or "rate limit" in message


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A tracker's API answers where it is asked: a redirect would carry the token to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(_NoRedirects)


def _lower(headers) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers or {}).items()}


def _json(data: bytes) -> object:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None
