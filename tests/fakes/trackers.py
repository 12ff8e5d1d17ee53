"""What the fake issue trackers (github.py, jira.py, linear.py) share: a real HTTP server on
127.0.0.1 port 0, a record of every request, queued failures, slow answers, and signed webhooks
sent back to the app with urllib.

Like the fake Slack (server.py), each fake is started per test and records what it received;
`wait_for` waits on a condition variable, so a test goes on as soon as the call it expects arrives.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.server import DEADLINE

# Headers whose values are credentials: recorded as their scheme only ("Basic", "Bearer", "token"),
# or as "<redacted>" when there is no scheme (Linear's personal API keys).
SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")
NOT_JSON = object()  # the parsed body of a request whose body is not JSON


@dataclass(frozen=True)
class Request:
    """One request as a fake's router sees it (headers keyed in lower case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: Any  # parsed JSON, None when empty, NOT_JSON when unparseable


@dataclass(frozen=True)
class TrackerCall:
    """One request a fake received, as recorded: no credentials in `headers`."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Reply:
    status: int
    body: dict | list | str | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Webhook:
    """A signed webhook delivery, built by a fake: the exact bytes sent and their headers."""

    body: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    def post(self, url: str, timeout: float = DEADLINE) -> int:
        """POST it to `url` as the tracker would; the HTTP status the app answered."""
        request = urllib.request.Request(url, data=self.body, headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_webhook(payload: dict, secret: str, sign, headers: dict[str, str], tamper: bool) -> Webhook:
    """`payload` as JSON bytes with the headers `sign(secret, body)` gives plus `headers`; with
    `tamper` the body sent is changed after signing (a field added), so the signature no longer holds."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = sign(secret, body)
    if tamper:
        body = json.dumps({**payload, "tampered": True}, separators=(",", ":")).encode()
    return Webhook(body, {"Content-Type": "application/json", **headers, **signature})


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def redacted(headers: dict[str, str]) -> dict[str, str]:
    kept = {}
    for name, value in headers.items():
        scheme, space, _ = value.partition(" ")
        kept[name] = (scheme + " <redacted>" if space else "<redacted>") if name in SECRET_HEADERS else value
    return kept


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass

    def _serve(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        reply = self.server.fake._receive(self.command, url.path, query, headers, raw)
        self._send(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _send(self, reply: Reply) -> None:
        if reply.body is None:
            data, content_type = b"", None
        elif isinstance(reply.body, str):
            data, content_type = reply.body.encode(), "text/plain; charset=utf-8"
        else:
            data, content_type = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        self.send_response(reply.status)
        if content_type and not any(name.lower() == "content-type" for name in reply.headers):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a test of its timeout)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    fake: TrackerServer


class TrackerServer:
    """The serving, recording and fault knobs of one fake tracker; subclasses answer in `_route`."""

    name = "tracker"

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._calls: list[TrackerCall] = []
        self._failures: deque[Reply] = deque()
        self._delay = 0.0

    # -- lifecycle

    def start(self):
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name=f"fake-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to configure the app with (no trailing slash)."""
        if self._server is None:
            raise RuntimeError(f"the fake {self.name} is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- what was received

    @property
    def calls(self) -> list[TrackerCall]:
        with self._cond:
            return list(self._calls)

    def wait_for(
        self, what: Callable[[TrackerCall], bool] | str | int | None = None, count: int = 1, timeout: float = DEADLINE
    ) -> list[TrackerCall]:
        """The calls matching `what` once there are `count` of them. `what` is a predicate on a
        call, a route prefix such as "POST /rest/api/3/issue", an int (a count of any calls), or None."""
        if isinstance(what, int):
            what, count = None, what
        if isinstance(what, str):
            prefix = what

            def what(call: TrackerCall) -> bool:
                return call.route.startswith(prefix)

        def matches() -> list[TrackerCall]:
            return [c for c in self._calls if what is None or what(c)]

        with self._cond:
            self._cond.wait_for(lambda: len(matches()) >= count, timeout)
            found, seen = matches(), list(self._calls)
        if len(found) < count:
            listing = "; ".join(f"{c.route} -> {c.status}" for c in seen) or "nothing"
            expected = f"fake {self.name}: expected {count} call(s) in {timeout}s, got {len(found)}"
            raise AssertionError(f"{expected}; saw: {listing}")
        return found

    # -- fault knobs

    def queue_failure(self, status: int, retry_after: int | None = None, body=None, times: int = 1) -> None:
        """Answer the next `times` requests with `status` (and `Retry-After` when given), in the
        tracker's own error shape unless `body` is given."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        for _ in range(times):
            self._queue(Reply(status, self._error_body(status) if body is None else body, dict(headers)))

    def set_delay(self, seconds: float) -> None:
        """Hold every answer for `seconds` (to test the app's client timeouts); 0 to stop."""
        with self._cond:
            self._delay = seconds

    def reset(self) -> None:
        """Forget the calls, queued failures and delay; keep the tracker's state (issues...)."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()
            self._delay = 0.0

    def _queue(self, reply: Reply) -> None:
        with self._cond:
            self._failures.append(reply)

    # -- for subclasses

    def _error_body(self, status: int):
        return {"message": "Server Error"}

    def _route(self, request: Request) -> Reply:
        raise NotImplementedError

    # -- serving (on the server's threads)

    def _receive(self, method: str, path: str, query: dict, headers: dict, raw: bytes) -> Reply:
        with self._cond:
            delay = self._delay
        time.sleep(delay)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = NOT_JSON
        with self._cond:
            failure = self._failures.popleft() if self._failures else None
        request = Request(method, path, query, headers, raw, body)
        reply = failure or self._route(request)
        recorded = None if body is NOT_JSON else body
        with self._cond:
            self._calls.append(TrackerCall(method, path, query, redacted(headers), recorded, reply.status))
            self._cond.notify_all()
        return reply
