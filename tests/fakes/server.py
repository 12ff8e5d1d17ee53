"""A local fake of the Slack Web API: a real HTTP server for the test-suite.

Point `WebClient(base_url=fake.url)` at it and `response_url` at `fake.response_url()`.
It answers the way Slack does where a bot can get it wrong: unknown methods, missing
arguments, scopes the manifest doesn't request, bad tokens, and Block Kit that Slack would
refuse. Like Slack, it lets a trigger id open or push one view within 3 seconds of its creation
(see `trigger_refusal`), a response_url take 5 posts, and a message carry 40,000 characters of
`text`. Everything it receives is recorded, and failures (429, 500, `ok: false`) can be
queued one at a time.

Its rules, answers, fault knobs and files are in the modules beside this one.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tests.fakes.answers import TEAM_ID, Answers
from tests.fakes.canvases import Canvases
from tests.fakes.faults import Failure, Faults
from tests.fakes.files import Files
from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET, Grants
from tests.fakes.rules import MESSAGE_BLOCKS_MAX, Rules, blocks_problem
from tests.fakes.wire import Answer, Call, api_error, bearer_token, parse_api_args

# Method references the shared set lacks (the canvases), in its format.
OWN_METHODS = Path(__file__).parent / "methods"
# The view an app shows while it reads what the real one needs (bot.blocks.messages).
LOADING_CALLBACK_ID = "loading_modal"
RESPONSE_URL_USES = 5
# How long a test waits for what it expects (it returns as soon as it is seen): CI may share its two cores.
DEADLINE = 30.0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass

    def do_POST(self):
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get("Content-Type", "")
        prefix, _, name = url.path.lstrip("/").partition("/")
        fake = self.server.fake
        if prefix == "api" and name:
            answer = fake._serve_api(name, self.headers.get("Authorization"), content_type, body, url.query)
        elif prefix == "response" and name:
            answer = fake._serve_response(name, body)
        elif prefix == "upload" and name:
            answer = fake._serve_upload(name, content_type, body)
        else:
            answer = Answer(404, "not_found")
        self._send(answer)

    def do_GET(self):
        url = urlsplit(self.path)
        prefix, _, name = url.path.lstrip("/").partition("/")
        if prefix == "files-pri" and name:
            answer = self.server.fake._serve_file(name.partition("/")[0], self.headers.get("Authorization"))
        else:
            answer = Answer(404, "not_found")
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        if isinstance(answer.body, bytes):  # a file's own bytes
            self.send_response(answer.status)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
            return
        is_json = isinstance(answer.body, dict)
        data = (json.dumps(answer.body) if is_json else answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", f"{'application/json' if is_json else 'text/plain'}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Many workers' threads connect at once; Slack never turns a connection away.
    request_queue_size = 256
    fake: FakeSlack


class FakeSlack(Rules, Answers, Faults, Files, Canvases):
    """The fake Web API, its state and its HTTP serving; the mixins hold its rules, default answers,
    fault knobs, files and canvases."""

    def __init__(self, manifest_path: Path, methods_dir: Path | None, tokens=("xoxb-test",)):
        manifest = yaml.safe_load(Path(manifest_path).read_text()) or {}
        scopes = (manifest.get("oauth_config") or {}).get("scopes") or {}
        # What the workspace granted: every scope the manifest asks for, its optional ones included,
        # until a test withholds some (withhold_scopes).
        self.scopes: tuple[str, ...] = tuple(scopes.get("bot") or []) + tuple(scopes.get("bot_optional") or [])
        self.grants = Grants(tokens, TEAM_ID, CLIENT_ID, CLIENT_SECRET)
        self.users: dict[str, dict] = {}
        self._methods = None
        if methods_dir is not None:
            files = [*OWN_METHODS.glob("*.json"), *Path(methods_dir).glob("*.json")]  # the shared set wins
            self._methods = {f.name.removesuffix(".json"): json.loads(f.read_text()) for f in files}
        self._cond = threading.Condition()
        self._counters = defaultdict(lambda: itertools.count(1))
        self._upload_names: dict[str, str] = {}
        # Slack's own state, which reset() keeps: triggers spent and posts per response_url key.
        self._spent_triggers: set[str] = set()
        self._response_url_uses: defaultdict[str, int] = defaultdict(int)
        self._views: dict[str, dict] = {}  # every modal opened or pushed, by id, as last shown
        self._shared_files: dict[str, tuple[bytes, str]] = {}  # files people shared: bytes, mimetype
        self._file_redirects: dict[str, str] = {}
        self._canvases: dict[str, dict] = {}  # every canvas made, by id, as last written
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # -- lifecycle

    def start(self) -> FakeSlack:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def base(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.base}/response/{key}"

    def withhold_scopes(self, *scopes: str) -> None:
        """The workspace declined these scopes at install (an optional one), or an admin removed them."""
        self.scopes = tuple(scope for scope in self.scopes if scope not in scopes)

    def reset(self) -> None:
        """Forget what was received, queued failures and delays.

        Keep `users`, counters, spent trigger ids and response_url use counts, as Slack would.
        """
        with self._cond:
            self._calls: list[Call] = []
            self._responses: list[tuple[str, dict]] = []
            self._uploads: dict[str, bytes] = {}
            self._opened: list[str] = []  # ids of the modals opened or pushed since
            self._forget_faults()

    # -- what was received

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    @property
    def responses(self) -> list[tuple[str, dict]]:
        with self._cond:
            return list(self._responses)

    def calls_to(self, method: str, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def wait_for(self, method: str, count: int = 1, timeout: float = DEADLINE) -> list[Call]:
        """The ok calls to `method`, once there are `count` (Bolt's listeners run on threads)."""
        return self._wait(lambda: self.calls_to(method), count, timeout, f"ok call(s) to {method}")

    def wait_for_views(self, count: int = 1, timeout: float = DEADLINE) -> list[dict]:
        """The modals opened or pushed since reset(), as the person sees them now (after any
        views.update), once there are `count` and none of them still shows a loading view."""

        def shown() -> list[dict]:
            with self._cond:
                views = [self._views[view_id] for view_id in self._opened]
            if any(view.get("callback_id") == LOADING_CALLBACK_ID for view in views[:count]):
                return []
            return views

        return self._wait(shown, count, timeout, "modal(s) shown")

    def wait_for_responses(self, count: int = 1, timeout: float = DEADLINE) -> list[tuple[str, dict]]:
        return self._wait(lambda: self.responses, count, timeout, "response_url post(s)")

    def _wait(self, found, count: int, timeout: float, what: str) -> list:
        with self._cond:
            self._cond.wait_for(lambda: len(found()) >= count, timeout)
            result, seen = found(), list(self._calls)
        if len(result) < count:
            listing = "; ".join(f"{c.method} -> {c.status} {c.error or 'ok'}" for c in seen) or "nothing"
            raise AssertionError(f"expected {count} {what} in {timeout}s, got {len(result)}; saw: {listing}")
        return result

    # -- serving (called on the server's threads)

    def _serve_api(self, method: str, authorization, content_type: str, body: bytes, query: str) -> Answer:
        failure = self._begin(method)
        try:
            args = parse_api_args(content_type, body, query)
        except ValueError:
            args, answer = {}, api_error("invalid_json")
        else:
            token = bearer_token(authorization) or args.get("token")
            args.pop("token", None)
            grant, refused = self.grants.check(token) if token else (None, None)
            if failure is None and self._over_workspace_limit(method, grant and grant.team_id):
                failure = Failure(429, 1, None)
            if failure is not None:
                answer = self._failure_answer(failure, api=True)
            elif method == "oauth.v2.access":
                answer = self._refusal(method, "", args) or self._oauth_access(authorization, args)
            else:
                answer = (
                    self._refusal(method, token and (refused or "ok"), args)
                    or self._org_token_refusal(method, args, grant)
                    or self._canvas_answer(method, args)
                    or self._default_answer(method, args, grant)
                )
        self._record(Call(method, args, answer.status, answer.ok, answer.error, grant and grant.team_id))
        return answer

    def _oauth_access(self, authorization: str | None, args: dict) -> Answer:
        body = self.grants.exchange(authorization, args)
        if body.get("ok") and "scope" in body:
            body["scope"] = ",".join(self.scopes)
        return Answer(200, body)

    def _serve_response(self, key: str, body: bytes) -> Answer:
        failure = self._begin("response")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            payload, answer = {}, Answer(400, "invalid_payload")
        elif failure is not None:
            answer = self._failure_answer(failure, api=False)
        elif "blocks" in payload and blocks_problem(payload["blocks"], MESSAGE_BLOCKS_MAX):
            answer = Answer(400, "invalid_blocks")
        else:
            answer = Answer(200, "ok")
        with self._cond:
            if answer.ok and self._response_url_uses[key] >= RESPONSE_URL_USES:
                answer = Answer(404, "used_url")  # a response_url takes 5 posts, then is gone
            if answer.ok:
                self._response_url_uses[key] += 1
                self._responses.append((key, payload))
            self._record(Call("response", payload, answer.status, answer.ok, answer.error))
        return answer

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
