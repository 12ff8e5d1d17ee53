"""Talking to the fake trackers over real HTTP, and standing in for the app's webhook endpoint."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from storage.models import ActionItem
from tests import payloads
from tests.harness.clicks import home_click, submit_dialog
from tests.harness.waits import wait_until

USER_AGENT = "failure-resume-tests"
OWN_SECRET = "our-own-webhook-secret"  # a workspace's webhook secret, as its admin sets it


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def json(self):
        return json.loads(self.text)


def send(url: str, method: str = "GET", body=None, headers: dict | None = None, timeout: float = 30) -> Answer:
    """One request with urllib: JSON `body` if given; the answer, whatever its status."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode())


def basic(email: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()


class WebhookReceiver:
    """A stand-in for the app's webhook endpoint: keeps each delivery (headers, raw body) and
    answers 200 when `verify(headers, body)` holds, 401 otherwise."""

    def __init__(self, verify) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.deliveries.append((headers, body))
                self.send_response(200 if verify(headers, body) else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# ---- the app's side: an admin connects a tracker, a person presses Create issue --------------------


def tracker_values(**fields: str) -> dict:
    return {f"tracker_{name}_block": {"tracker_field_input": {"type": "plain_text_input", "value": value}}
            for name, value in fields.items()}  # fmt: skip


def connect(bot, kind: str, **fields: str):
    """The admin submits the tracker's form (pushed from the settings) as Slack sends it."""
    return submit_dialog(bot, "connect_tracker_modal", tracker_values(**fields), metadata=kind)


def connect_github(bot, fake_github, webhook_secret: str | None = OWN_SECRET) -> None:
    fields = dict(target="acme/ops", secret=fake_github.token)
    if webhook_secret:
        fields["webhook_secret"] = webhook_secret
    answer = connect(bot, "github", **fields)
    assert answer.status == 200 and json.loads(answer.body) == {"response_action": "clear"}
    told = wait_until(lambda: [c for c in bot.fake.calls_to("chat.postMessage") if "is connected" in c.args["text"]])
    assert "GitHub is connected: action items' issues go to acme/ops." in told[0].args["text"]
    bot.fake.reset()


def item_rows(bot) -> list[ActionItem]:
    with bot.session_factory() as session:
        return list(session.scalars(select(ActionItem).order_by(ActionItem.id)))


def press_create(bot, item_id: int, user: str = "U1"):
    return home_click(bot, payloads.button("create_issue_button", str(item_id)), user=user)


def told(bot, words: str, user: str = "U1") -> str:
    """The DM to `user` that says `words`, once it arrives."""
    found = wait_until(
        lambda: [c.args["text"] for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == user
                 and words in c.args["text"]], what=f"a DM saying {words!r}"
    )  # fmt: skip
    return found[0]


def issues_made(fake) -> list:
    return [c for c in fake.calls if c.method == "POST" and c.path.endswith("/issues") and c.status == 201]
