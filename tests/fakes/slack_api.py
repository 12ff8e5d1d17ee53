"""A local fake of the Slack Web API: a real HTTP server for the test-suite.

Point `WebClient(base_url=fake.url)` at it and `response_url` at `fake.response_url()`.
It answers the way Slack does where a bot can get it wrong: unknown methods, missing
arguments, scopes the manifest doesn't request, bad tokens, and Block Kit that Slack would
refuse. Like Slack, it lets a trigger id open or push one view within 3 seconds of its creation
(see `trigger_refusal`), a response_url take 5 posts, and a message carry 40,000 characters of
`text`. Everything it receives is recorded, and failures (429, 500, `ok: false`) can be
queued one at a time.

slack_sdk sends most methods form-encoded (`chat.delete`, `users.info`, `files.*`, booleans as
"1"/"0") but the message and view methods as JSON (booleans as true/false); both are accepted.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import yaml
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.fakes.slack_oauth import Grant, Grants

TEAM_ID = "T0001"
TEAM_URL = "https://fake-team.slack.com/"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
# Arguments Slack takes as JSON strings in a form body; recorded decoded either way.
JSON_ARGS = ("blocks", "view", "files", "attachments", "metadata")
# Errors slack_sdk's models raise while building a block from a malformed dict.
MODEL_ERRORS = (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError)
TRIGGER_METHODS = frozenset({"views.open", "views.push"})
# The view an app shows while it reads what the real one needs (bot.blocks.messages).
LOADING_CALLBACK_ID = "loading_modal"
TRIGGER_TTL_MS = 3000
# "<counter>.<creation time in ms since the epoch>.<hex>", as tests/payloads.py's trigger_id() makes.
TRIGGER_ID = re.compile(r"(\d+)\.(\d+)\.([0-9a-zA-Z]+)")
RESPONSE_URL_USES = 5
# How long a test waits for what it expects (it returns as soon as it is seen): CI may share its two cores.
DEADLINE = 30.0
MESSAGE_TEXT_MAX = 40_000
SIGN_IN_PAGE = {"Content-Type": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Call:
    """One request the fake received. `method` is an API method, "response" or "upload"."""

    method: str
    args: dict
    status: int
    ok: bool
    error: str | None = None
    team: str | None = None  # the workspace of the token used


@dataclass
class _Bucket:
    """A token bucket: `rate` calls a second on average, bursts of up to `capacity`."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: int
    error: str | None


@dataclass
class _Answer:
    status: int
    body: dict | str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and (not isinstance(self.body, dict) or bool(self.body.get("ok")))

    @property
    def error(self) -> str | None:
        if isinstance(self.body, dict):
            return self.body.get("error")
        return None if self.ok else self.body


def api_error(error: str, status: int = 200, **extra) -> _Answer:
    # Slack answers most refusals with HTTP 200 and `ok: false`.
    return _Answer(status, {"ok": False, "error": error, **extra})


def with_messages(error: str, problems: list[str]) -> _Answer:
    return api_error(error, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


# ---- request parsing ---------------------------------------------------------------


def parse_api_args(content_type: str, body: bytes, query: str) -> dict:
    """The arguments of an API call, whichever encoding slack_sdk chose."""
    args: dict = dict(parse_qsl(query, keep_blank_values=True))
    if content_type.startswith("application/json"):
        # slack_sdk labels even a bodiless call (auth.test) as JSON.
        decoded = json.loads(body) if body.strip() else {}
        if not isinstance(decoded, dict):
            raise ValueError("a JSON body must be an object")
        args.update(decoded)
    else:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    # `api_call(json=...)` keeps unset arguments as null (the named methods drop them); Slack ignores them.
    args = {name: value for name, value in args.items() if value is not None}
    for name in JSON_ARGS:
        if isinstance(args.get(name), str):
            try:
                args[name] = json.loads(args[name])
            except ValueError:
                pass  # left as a string, so validation refuses it as Slack would
    return args


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def uploaded_bytes(content_type: str, body: bytes) -> bytes:
    """The file in an upload: slack_sdk sends it raw, other clients as a multipart form."""
    if not content_type.startswith("multipart/form-data"):
        return body
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    parts = list(message.iter_parts())
    chosen = next((p for p in parts if p.get_filename()), parts[0] if parts else None)
    return chosen.get_payload(decode=True) if chosen is not None else b""


# ---- Block Kit validation ----------------------------------------------------------


def blocks_problem(blocks, max_blocks: int) -> str | None:
    """Why Slack would refuse these blocks, or None."""
    if not isinstance(blocks, list):
        return "blocks must be a list of objects"
    if len(blocks) > max_blocks:
        return f"no more than {max_blocks} items allowed [json-pointer:/blocks]"
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw) if isinstance(raw, dict) else None
            if block is None:
                return f"unsupported type of block {index}: {raw!r:.80}"
            block.to_dict()  # the models check Slack's lengths only here
        except MODEL_ERRORS as exc:
            return f"block {index}: {exc}"
    return empty_text_problem(blocks)


def view_problem(view) -> str | None:
    if not isinstance(view, dict):
        return "view must be an object"
    try:
        View(**view).to_dict()  # title, private_metadata, callback_id and block count limits
    except MODEL_ERRORS as exc:
        return str(exc)
    if view.get("type") == "modal" and not view.get("title"):
        return "a modal must have a title"
    return blocks_problem(view.get("blocks", []), VIEW_BLOCKS_MAX)


def empty_text_problem(node) -> str | None:
    """Slack refuses an empty text object; slack_sdk's models silently drop it instead."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and not node.get("text"):
            return f"{node['type']} text must be more than 0 characters"
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    return next(filter(None, map(empty_text_problem, children)), None)


# ---- Slack's refusals (after auth and scopes) -----------------------------------------


def required_args_refusal(spec: dict, args: dict) -> _Answer | None:
    required = (spec.get("args") or {}).get("required") or []
    missing = [name for name in required if name != "token" and args.get(name) in (None, "", [], {})]
    if missing:
        return with_messages("invalid_arguments", [f"missing required field: {name}" for name in missing])
    return None


def trigger_refusal(method: str, args: dict, now_ms: int) -> _Answer | None:
    """Refuse views.open/push without a trigger, or with one that is malformed or over 3 s old.

    Reuse (`exchanged_trigger_id`) is FakeSlack's to check: it needs the triggers already spent.
    """
    if method not in TRIGGER_METHODS:
        return None
    trigger = trigger_of(args)
    if trigger is None:
        return with_messages("invalid_arguments", ["missing required field: trigger_id or interactivity_pointer"])
    match = TRIGGER_ID.fullmatch(trigger) if isinstance(trigger, str) else None
    if match is None:
        return api_error("invalid_trigger_id")
    if now_ms - int(match.group(2)) > TRIGGER_TTL_MS:
        return api_error("expired_trigger_id")
    return None


def trigger_of(args: dict):
    """The trigger a views.open/push exchanges: `trigger_id`, else `interactivity_pointer`."""
    for name in ("trigger_id", "interactivity_pointer"):
        if args.get(name) not in (None, ""):
            return args[name]
    return None


def content_refusal(method: str, args: dict) -> _Answer | None:
    """Refuse a message or view that Slack would not render."""
    if method in ("chat.postMessage", "chat.postEphemeral") and not any(
        args.get(k) for k in ("text", "blocks", "attachments")
    ):
        return api_error("no_text")
    if method in MESSAGE_METHODS and isinstance(args.get("text"), str) and len(args["text"]) > MESSAGE_TEXT_MAX:
        return api_error("msg_too_long")
    if method in MESSAGE_METHODS and "blocks" in args:
        problem = blocks_problem(args["blocks"], MESSAGE_BLOCKS_MAX)
        if problem:
            return with_messages("invalid_blocks", [problem])
    if method in VIEW_METHODS and "view" in args:
        problem = view_problem(args["view"])
        if problem:
            return with_messages("invalid_arguments", [problem])
    return None


def default_user(user_id: str | None) -> dict:
    """An ordinary member, for a user the test didn't put in `fake.users`."""
    user_id = user_id or ""
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": f"user-{user_id.lower()}",
        "real_name": f"User {user_id}",
        "tz": "Europe/London",
        "tz_offset": 0,
        "locale": "en-US",
        "is_admin": False,
        "is_owner": False,
        "is_bot": False,
        "deleted": False,
    }


# ---- the server ----------------------------------------------------------------------


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
            answer = _Answer(404, "not_found")
        self._send(answer)

    def do_GET(self):
        url = urlsplit(self.path)
        prefix, _, name = url.path.lstrip("/").partition("/")
        if prefix == "files-pri" and name:
            answer = self.server.fake._serve_file(name.partition("/")[0], self.headers.get("Authorization"))
        else:
            answer = _Answer(404, "not_found")
        self._send(answer)

    def _send(self, answer: _Answer) -> None:
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


class FakeSlack:
    def __init__(self, manifest_path: Path, methods_dir: Path | None, tokens=("xoxb-test",)):
        manifest = yaml.safe_load(Path(manifest_path).read_text()) or {}
        scopes = ((manifest.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
        self.scopes: tuple[str, ...] = tuple(scopes)
        self.grants = Grants(tokens, TEAM_ID, CLIENT_ID, CLIENT_SECRET)
        self.users: dict[str, dict] = {}
        self._methods = None
        if methods_dir is not None:
            files = Path(methods_dir).glob("*.json")
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

    # -- test controls

    def queue_failure(self, method: str, status=429, retry_after=1, error: str | None = None) -> None:
        """Fail the next call to `method` ("response"/"upload" included), once, in FIFO order."""
        with self._cond:
            self._failures[method].append(_Failure(status, retry_after, error))

    def set_delay(self, method: str, seconds: float) -> None:
        with self._cond:
            self._delays[method] = seconds

    def enforce_rate_limit(self, method: str, per_minute: float, burst: int, per_workspace: bool = False) -> None:
        """Answer 429 (Retry-After: 1) when `method` is called faster than `per_minute` after a
        burst of `burst` calls, as Slack's rate-limit tiers do: for all calls together, or with
        `per_workspace` for each workspace's token apart, as Slack counts them."""
        with self._cond:
            if per_workspace:
                self._team_limits[method] = (per_minute / 60.0, float(burst))
            else:
                self._buckets[method] = _Bucket(per_minute / 60.0, float(burst), float(burst), time.monotonic())

    def _over_workspace_limit(self, method: str, team: str | None) -> bool:
        with self._cond:
            limit = self._team_limits.get(method)
            if limit is None:
                return False
            key = (method, team)
            if key not in self._team_buckets:
                self._team_buckets[key] = _Bucket(limit[0], limit[1], limit[1], time.monotonic())
            return not self._team_buckets[key].take(time.monotonic())

    def fail_randomly(self, method: str, probability: float, statuses=(500,), seed: int = 0) -> None:
        """Answer one of `statuses` (429 with Retry-After: 1) to a random share of the calls to
        `method`, repeatably for a given `seed`."""
        with self._cond:
            self._random_failures[method] = (probability, tuple(statuses), random.Random(seed))

    def reset(self) -> None:
        """Forget what was received, queued failures and delays.

        Keep `users`, counters, spent trigger ids and response_url use counts, as Slack would.
        """
        with self._cond:
            self._calls: list[Call] = []
            self._responses: list[tuple[str, dict]] = []
            self._uploads: dict[str, bytes] = {}
            self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
            self._delays: dict[str, float] = {}
            self._delays_once: dict[str, float] = {}
            self._buckets: dict[str, _Bucket] = {}
            self._team_limits: dict[str, tuple[float, float]] = {}
            self._team_buckets: dict[tuple[str, str | None], _Bucket] = {}
            self._random_failures: dict[str, tuple[float, tuple[int, ...], random.Random]] = {}
            self._opened: list[str] = []  # ids of the modals opened or pushed since

    # -- what was received

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    @property
    def responses(self) -> list[tuple[str, dict]]:
        with self._cond:
            return list(self._responses)

    @property
    def uploads(self) -> dict[str, bytes]:
        with self._cond:
            return dict(self._uploads)

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

    def _serve_api(self, method: str, authorization, content_type: str, body: bytes, query: str) -> _Answer:
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
                failure = _Failure(429, 1, None)
            if failure is not None:
                answer = self._failure_answer(failure, api=True)
            elif method == "oauth.v2.access":
                answer = self._refusal(method, "", args) or self._oauth_access(authorization, args)
            else:
                answer = (
                    self._refusal(method, token and (refused or "ok"), args)
                    or self._org_token_refusal(method, args, grant)
                    or self._default_answer(method, args, grant)
                )
        self._record(Call(method, args, answer.status, answer.ok, answer.error, grant and grant.team_id))
        return answer

    def _oauth_access(self, authorization: str | None, args: dict) -> _Answer:
        body = self.grants.exchange(authorization, args)
        if body.get("ok") and "scope" in body:
            body["scope"] = ",".join(self.scopes)
        return _Answer(200, body)

    def _serve_response(self, key: str, body: bytes) -> _Answer:
        failure = self._begin("response")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            payload, answer = {}, _Answer(400, "invalid_payload")
        elif failure is not None:
            answer = self._failure_answer(failure, api=False)
        elif "blocks" in payload and blocks_problem(payload["blocks"], MESSAGE_BLOCKS_MAX):
            answer = _Answer(400, "invalid_blocks")
        else:
            answer = _Answer(200, "ok")
        with self._cond:
            if answer.ok and self._response_url_uses[key] >= RESPONSE_URL_USES:
                answer = _Answer(404, "used_url")  # a response_url takes 5 posts, then is gone
            if answer.ok:
                self._response_url_uses[key] += 1
                self._responses.append((key, payload))
            self._record(Call("response", payload, answer.status, answer.ok, answer.error))
        return answer

    def _serve_upload(self, file_id: str, content_type: str, body: bytes) -> _Answer:
        failure = self._begin("upload")
        data = uploaded_bytes(content_type, body)
        if failure is not None:
            answer = self._failure_answer(failure, api=False)
        elif file_id not in self._upload_names:
            answer = _Answer(404, "file_not_found")
        else:
            answer = _Answer(200, f"OK - {len(data)}")
        with self._cond:
            if answer.ok:
                self._uploads[file_id] = data
            args = {"file_id": file_id, "length": len(data)}
            self._record(Call("upload", args, answer.status, answer.ok, answer.error))
        return answer

    def share_file(
        self,
        name: str,
        data: bytes,
        mimetype: str = "text/markdown",
        filetype: str = "markdown",
        redirect: str | None = None,
    ) -> dict:
        """A file a person shared with the app, as Slack describes it in a `file_share` message event.
        With `redirect`, its link answers with a redirect there instead (302)."""
        file_id = f"F{self._next('file'):08d}"
        with self._cond:
            self._shared_files[file_id] = (data, mimetype)
            if redirect:
                self._file_redirects[file_id] = redirect
        url = f"{self.base}/files-pri/{file_id}/{quote(name)}"  # percent-encoded, as Slack's are
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "size": len(data),
            "mode": "hosted",
            "url_private": url,
            "url_private_download": url + "?download=1",
        }

    def _serve_file(self, file_id: str, authorization: str | None) -> _Answer:
        """A file's bytes, for a bot token with files:read. Like Slack, anything else gets the sign-in
        page (HTML, status 200), not an error the client would notice by its status."""
        failure = self._begin("download")
        token = bearer_token(authorization)
        grant, _refused = self.grants.check(token) if token else (None, None)
        with self._cond:
            shared = self._shared_files.get(file_id)
        if failure is not None:
            answer = self._failure_answer(failure, api=False)
        elif shared is None:
            answer = _Answer(404, "file_not_found")
        elif grant is None or "files:read" not in self.scopes:
            answer = _Answer(200, b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", SIGN_IN_PAGE)
        elif file_id in self._file_redirects:
            answer = _Answer(302, b"", {"Location": self._file_redirects[file_id]})
        else:
            answer = _Answer(200, shared[0], {"Content-Type": shared[1]})
        self._record(Call("download", {"file_id": file_id}, answer.status, answer.ok and shared is not None))
        return answer

    def _begin(self, method: str) -> _Failure | None:
        """Apply the method's delay, then take its next queued failure, if any."""
        with self._cond:
            delay = self._delays_once.pop(method, None)
            delay = self._delays.get(method, 0) if delay is None else delay
        time.sleep(delay)
        with self._cond:
            queue = self._failures.get(method)
            if queue:
                return queue.popleft()
            bucket = self._buckets.get(method)
            if bucket is not None and not bucket.take(time.monotonic()):
                return _Failure(429, 1, None)
            chance = self._random_failures.get(method)
            if chance is not None and chance[2].random() < chance[0]:
                status = chance[2].choice(chance[1])
                return _Failure(status, 1 if status == 429 else 0, None)
            return None

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _failure_answer(self, failure: _Failure, api: bool) -> _Answer:
        if failure.error is not None:
            # response_url and upload errors are plain text with a 4xx, not `ok: false`.
            return api_error(failure.error) if api else _Answer(400, failure.error)
        if failure.status == 429:
            headers = {"Retry-After": str(failure.retry_after)}
            body = {"ok": False, "error": "ratelimited"} if api else "rate_limited"
            return _Answer(429, body, headers)
        return _Answer(failure.status, {"ok": False, "error": "internal_error"} if api else "internal_error")

    # -- Slack's checks, in the order Slack applies them

    def _refusal(self, method: str, token_state: str | None, args: dict) -> _Answer | None:
        """token_state: None without a token, "" when the method needs none, "ok" or Slack's error for it."""
        spec = None
        if self._methods is not None:
            spec = self._methods.get(method)
            if spec is None:
                return api_error("unknown_method")
        if token_state is None:
            return api_error("not_authed")
        if token_state not in ("ok", ""):
            return api_error(token_state)
        if spec is not None:
            refusal = self._scope_refusal(spec) or required_args_refusal(spec, args)
            if refusal is not None:
                return refusal
        refusal = trigger_refusal(method, args, int(time.time() * 1000)) or content_refusal(method, args)
        return refusal or self._update_refusal(method, args) or self._exchange_trigger(method, args)

    def _org_token_refusal(self, method: str, args: dict, grant: Grant | None) -> _Answer | None:
        """An org-wide install's token must name the workspace where the reference says so."""
        spec = (self._methods or {}).get(method)
        if spec is None or grant is None or not grant.is_enterprise_install:
            return None
        for name, arg in (spec.get("args") or {}).get("properties", {}).items():
            if "required if org token is used" in (arg.get("desc") or "") and not args.get(name):
                return api_error("missing_argument", needed=name)
        return None

    def _exchange_trigger(self, method: str, args: dict) -> _Answer | None:
        """Spend the trigger of a views.open/push about to succeed; refuse one already spent."""
        if method not in TRIGGER_METHODS:
            return None
        trigger = trigger_of(args)
        with self._cond:
            if trigger in self._spent_triggers:
                return api_error("exchanged_trigger_id")
            self._spent_triggers.add(trigger)
        return None

    def _update_refusal(self, method: str, args: dict) -> _Answer | None:
        """views.update changes a modal that was opened, and with a hash only its latest version."""
        if method != "views.update":
            return None
        with self._cond:
            current = self._views.get(args.get("view_id"))
        if current is None:
            return api_error("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            return api_error("hash_conflict")
        return None

    def _scope_refusal(self, spec: dict) -> _Answer | None:
        needed = (spec.get("scope") or {}).get("bot") or []
        if spec.get("no_scope_required") or not needed or set(needed) & set(self.scopes):
            return None  # any one of the listed scopes suffices
        return api_error("missing_scope", needed=",".join(needed), provided=",".join(self.scopes))

    # -- default answers

    def _default_answer(self, method: str, args: dict, grant: Grant | None) -> _Answer:
        build = {
            "auth.test": lambda a: self._auth_test(grant),
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": lambda a: {"message_ts": self._next_ts()},
            "chat.update": lambda a: {"channel": a.get("channel"), "ts": a.get("ts"), "text": a.get("text")},
            "chat.delete": lambda a: {"channel": a.get("channel"), "ts": a.get("ts")},
            "chat.getPermalink": self._permalink,
            "conversations.open": self._open_conversation,
            "conversations.join": lambda a: {"channel": {"id": a.get("channel"), "is_member": True}},
            "users.info": self._user_info,
            "users.list": self._users_list,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            **{name: functools.partial(self._view, name) for name in VIEW_METHODS},
        }.get(method, lambda a: {})
        body = {"ok": True, **build(args)}
        # Bolt reads the granted scopes from this header of auth.test, case-sensitively.
        return _Answer(200, body, {"x-oauth-scopes": ",".join(self.scopes)})

    def _user_info(self, args: dict) -> dict:
        user = dict(self.users.get(args.get("user")) or default_user(args.get("user")))
        # Like Slack, the locale only for a caller that asks for it.
        if str(args.get("include_locale")).lower() not in ("1", "true"):
            user.pop("locale", None)
        return {"user": user}

    def _next(self, counter: str) -> int:
        with self._cond:
            return next(self._counters[counter])

    def _next_ts(self) -> str:
        return f"1700000000.{self._next('ts') * 100:06d}"

    def _auth_test(self, grant: Grant | None) -> dict:
        if grant is None or grant.team_id == TEAM_ID and grant.enterprise_id is None:
            return {
                "url": TEAM_URL,
                "team": "Fake Team",
                "user": "failure-resume",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        return {
            "url": f"https://{(grant.team_id or grant.enterprise_id).lower()}.slack.com/",
            "team": f"Team {grant.team_id}",
            "user": "failure-resume",
            "team_id": grant.team_id or grant.enterprise_id,
            "enterprise_id": grant.enterprise_id,
            "user_id": grant.bot_user_id,
            "bot_id": f"B{grant.bot_user_id}",
            "is_enterprise_install": grant.is_enterprise_install,
        }

    def _post_message(self, args: dict) -> dict:
        ts = self._next_ts()
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}
        message.update({k: args[k] for k in ("text", "blocks", "thread_ts", "metadata") if k in args})
        # Like Slack, a post to a user ID lands in the app's DM with them, whose ID comes back.
        channel = str(args.get("channel") or "")
        return {"channel": "D" + channel if channel[:1] in ("U", "W") else channel, "ts": ts, "message": message}

    def _users_list(self, args: dict) -> dict:
        """The members in `users`, a page of `limit` at a time behind a numeric cursor; like Slack,
        with their locale only for a caller that asks for it."""
        members = list(self.users.values())
        if str(args.get("include_locale")).lower() not in ("1", "true"):
            members = [{k: v for k, v in member.items() if k != "locale"} for member in members]
        start = int(args.get("cursor") or 0)
        size = int(args.get("limit") or 200)
        more = start + size < len(members)
        return {
            "members": members[start : start + size],
            "response_metadata": {"next_cursor": str(start + size) if more else ""},
        }

    def _permalink(self, args: dict) -> dict:
        channel, ts = args.get("channel", ""), str(args.get("message_ts", ""))
        return {"channel": channel, "permalink": f"{TEAM_URL}archives/{channel}/p{ts.replace('.', '')}"}

    def _open_conversation(self, args: dict) -> dict:
        channel_id = "D" + args["users"] if args.get("users") else args.get("channel")
        return {"channel": {"id": channel_id}}

    def _view(self, method: str, args: dict) -> dict:
        view = args.get("view") if isinstance(args.get("view"), dict) else {}
        view_id = args.get("view_id") if method == "views.update" else f"V{self._next('view')}"
        shown = {**view, "id": view_id, "hash": f"1700000000.{view_id}.{self._next('hash')}", "team_id": TEAM_ID}
        if method != "views.publish":
            with self._cond:
                self._views[view_id] = shown
                if method != "views.update":
                    self._opened.append(view_id)
        return {"view": shown}

    def _upload_url(self, args: dict) -> dict:
        file_id = f"F{self._next('file')}"
        with self._cond:
            self._upload_names[file_id] = args.get("filename", "")
        return {"file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}

    def _complete_upload(self, args: dict) -> dict:
        entries = args.get("files") if isinstance(args.get("files"), list) else []
        entries = [e if isinstance(e, dict) else {"id": e} for e in entries]
        uploads = self.uploads
        if not entries or any(e.get("id") not in uploads for e in entries):
            return {"ok": False, "error": "file_not_found"}
        return {"files": [self._file_info(e["id"], e.get("title"), uploads[e["id"]]) for e in entries]}

    def _file_info(self, file_id: str, title: str | None, data: bytes) -> dict:
        name = self._upload_names.get(file_id)
        return {"id": file_id, "name": name, "title": title or name, "size": len(data)}

    # -- a one-off hang (fault injection)

    def delay_once(self, method: str, seconds: float) -> None:
        """Hold only the next call to `method` for `seconds` (longer than the client's timeout: a call
        Slack acts on but never answers in time); later calls answer at once. reset() forgets it."""
        with self._cond:
            self._delays_once[method] = seconds
