"""What Slack refuses, after auth: missing arguments, scopes the manifest doesn't request, triggers
over 3 s old or spent, Block Kit that Slack would not render, and views.update of an unknown modal."""

from __future__ import annotations

import re
import threading
import time

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.fakes.oauth import Grant
from tests.fakes.wire import Answer, api_error, with_messages

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
# Errors slack_sdk's models raise while building a block from a malformed dict.
MODEL_ERRORS = (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError)
TRIGGER_METHODS = frozenset({"views.open", "views.push"})
TRIGGER_TTL_MS = 3000
# "<counter>.<creation time in ms since the epoch>.<hex>", as tests/payloads.py's trigger_id() makes.
TRIGGER_ID = re.compile(r"(\d+)\.(\d+)\.([0-9a-zA-Z]+)")
MESSAGE_TEXT_MAX = 40_000


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


def required_args_refusal(spec: dict, args: dict) -> Answer | None:
    required = (spec.get("args") or {}).get("required") or []
    missing = [name for name in required if name != "token" and args.get(name) in (None, "", [], {})]
    if missing:
        return with_messages("invalid_arguments", [f"missing required field: {name}" for name in missing])
    return None


def trigger_refusal(method: str, args: dict, now_ms: int) -> Answer | None:
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


def content_refusal(method: str, args: dict) -> Answer | None:
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


class Rules:
    """FakeSlack's checks that need what it has seen (the triggers spent, the modals shown)."""

    _cond: threading.Condition
    _methods: dict[str, dict] | None
    _spent_triggers: set[str]
    _views: dict[str, dict]
    scopes: tuple[str, ...]

    # -- Slack's checks, in the order Slack applies them

    def _refusal(self, method: str, token_state: str | None, args: dict) -> Answer | None:
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

    def _org_token_refusal(self, method: str, args: dict, grant: Grant | None) -> Answer | None:
        """An org-wide install's token must name the workspace where the reference says so."""
        spec = (self._methods or {}).get(method)
        if spec is None or grant is None or not grant.is_enterprise_install:
            return None
        for name, arg in (spec.get("args") or {}).get("properties", {}).items():
            if "required if org token is used" in (arg.get("desc") or "") and not args.get(name):
                return api_error("missing_argument", needed=name)
        return None

    def _exchange_trigger(self, method: str, args: dict) -> Answer | None:
        """Spend the trigger of a views.open/push about to succeed; refuse one already spent."""
        if method not in TRIGGER_METHODS:
            return None
        trigger = trigger_of(args)
        with self._cond:
            if trigger in self._spent_triggers:
                return api_error("exchanged_trigger_id")
            self._spent_triggers.add(trigger)
        return None

    def _update_refusal(self, method: str, args: dict) -> Answer | None:
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

    def _scope_refusal(self, spec: dict) -> Answer | None:
        needed = (spec.get("scope") or {}).get("bot") or []
        if spec.get("no_scope_required") or not needed or set(needed) & set(self.scopes):
            return None  # any one of the listed scopes suffices
        return api_error("missing_scope", needed=",".join(needed), provided=",".join(self.scopes))
