"""The app served on loopback, and what Slack sends it: signed HTTP, as Slack signs it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from tests import payloads
from tests.fakes.server import FakeSlack
from tests.harness.config import SIGNING_SECRET

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


class Response:
    def __init__(self, status: int, body: bytes, headers=None) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(self.body) if self.body else None


class SlackSide:
    """What Slack sends to the app served at `url`, signed, and what a browser asks of its install pages."""

    def __init__(self, fake: FakeSlack, url: str) -> None:
        self.fake = fake
        self.url = url

    # -- raw HTTP ---------------------------------------------------------------------------
    def post(
        self,
        body: bytes,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict | None = None,
        signed: bool = True,
        path: str = "/slack/events",
    ) -> Response:
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers.update(payloads.sign(SIGNING_SECRET, body))
        all_headers.update(headers or {})
        request = urllib.request.Request(self.url + path, data=body, headers=all_headers, method="POST")
        return self._send(request)

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self._send(urllib.request.Request(self.url + path, headers=headers or {}))

    @staticmethod
    def _send(request) -> Response:
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return Response(answer.status, answer.read(), answer.headers)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), error.headers)

    # -- what Slack sends -------------------------------------------------------------------
    def command(
        self, text: str, user: str = "U1", team: str = payloads.TEAM, key: str = "cmd", **workspace
    ) -> Response:
        """workspace: enterprise and org_wide, for Enterprise Grid."""
        body = payloads.slash_command(text, user=user, team=team, response_url=self.fake.response_url(key), **workspace)
        return self.post(body)

    def interact(self, payload: dict) -> Response:
        return self.post(payloads.interactive(payload))

    def event(self, event: dict, team: str = payloads.TEAM, headers: dict | None = None, **identity) -> Response:
        """identity: event_id, enterprise and org_wide."""
        body = payloads.event_callback(event, team=team, **identity)
        return self.post(body, content_type="application/json", headers=headers)

    def submit_entry(self, user: str = "U1", team: str = payloads.TEAM, metadata: str = "", **values) -> Response:
        payload = payloads.view_submission(
            payloads.record_values(**values), user=user, team=team, private_metadata=metadata
        )
        return self.interact(payload)
