"""The fake Slack's wire: what it received (`Call`), what it answers (`Answer`) and how it reads a request.

slack_sdk sends most methods form-encoded (`chat.delete`, `users.info`, `files.*`, booleans as
"1"/"0") but the message and view methods as JSON (booleans as true/false); both are accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

# Arguments Slack takes as JSON strings in a form body; recorded decoded either way.
JSON_ARGS = ("blocks", "view", "files", "attachments", "metadata")


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
class Answer:
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


def api_error(error: str, status: int = 200, **extra) -> Answer:
    # Slack answers most refusals with HTTP 200 and `ok: false`.
    return Answer(status, {"ok": False, "error": error, **extra})


def with_messages(error: str, problems: list[str]) -> Answer:
    return api_error(error, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


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
