"""Requests in Slack's wire format, and their signatures, as Slack would send them."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from urllib.parse import urlencode

TEAM = "T0001"
# users.info's answer for a workspace admin, U1.
ADMIN = {
    "id": "U1",
    "team_id": "T0001",
    "name": "ada",
    "real_name": "Ada Admin",
    "tz": "Europe/London",
    "tz_offset": 0,
    "is_admin": True,
    "is_owner": False,
    "is_bot": False,
    "deleted": False,
}
CHANNEL = "C0001"
_counter = itertools.count(1)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = b"v0:" + str(timestamp).encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature}


def slack_encoded(text: str) -> str:
    """Slack sends `&`, `<` and `>` in command and message text as HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trigger_id() -> str:
    """Unique, and stamped with its creation time (ms): the fake refuses one over 3 s old or reused."""
    n = next(_counter)
    return f"{n}.{int(time.time() * 1000)}.{secrets.token_hex(8)}"


def slash_command(
    text: str,
    *,
    user: str = "U1",
    team: str = TEAM,
    response_url: str,
    enterprise: str | None = None,
    org_wide: bool = False,
) -> bytes:
    fields = {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "example",
        "channel_id": CHANNEL,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/fail",
        "text": slack_encoded(text),
        "api_app_id": "A0001",
        "is_enterprise_install": "true" if org_wide else "false",
        "response_url": response_url,
        "trigger_id": trigger_id(),
    }
    if enterprise:
        fields["enterprise_id"] = enterprise
        fields["enterprise_name"] = "Example Org"
    return urlencode(fields).encode()


def interactive(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _user(user: str, team: str) -> dict:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}


def view_submission(
    values: dict,
    *,
    callback_id: str = "record_entry_modal",
    private_metadata: str = "",
    view_id: str | None = None,
    user: str = "U1",
    team: str = TEAM,
) -> dict:
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "example"},
        "user": _user(user, team),
        "api_app_id": "A0001",
        "trigger_id": trigger_id(),
        "view": {
            "id": view_id or f"V{next(_counter):07d}",
            "team_id": team,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "1700000000.abcdef",
            "title": {"type": "plain_text", "text": "Record a failure"},
            "blocks": [],
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_actions(
    action: dict,
    *,
    user: str = "U1",
    team: str = TEAM,
    response_url: str | None = None,
    container: str = "message",
) -> dict:
    action = {"block_id": "b1", "action_ts": "1700000000.000200", **action}
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": "example"},
        "user": _user(user, team),
        "api_app_id": "A0001",
        "trigger_id": trigger_id(),
        "actions": [action],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    if container == "message":
        payload["container"] = {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        }
        payload["channel"] = {"id": CHANNEL, "name": "general"}
        payload["response_url"] = response_url
    else:
        payload["container"] = {"type": "view", "view_id": "VHOME"}
        payload["view"] = {
            "id": "VHOME",
            "type": "home",
            "team_id": team,
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
        }
    return payload


def button(action_id: str, value: str = "") -> dict:
    return {"type": "button", "action_id": action_id, "value": value, "text": {"type": "plain_text", "text": "x"}}


def overflow(value: str) -> dict:
    return {
        "type": "overflow",
        "action_id": "entry_overflow",
        "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
    }


def message_shortcut(text: str, *, user: str = "U1", team: str = TEAM, response_url: str) -> dict:
    return {
        "type": "message_action",
        "callback_id": "record_lesson_shortcut",
        "trigger_id": trigger_id(),
        "team": {"id": team, "domain": "example"},
        "user": _user(user, team),
        "channel": {"id": CHANNEL, "name": "general"},
        "message": {"type": "message", "user": "U2", "ts": "1700000000.000300", "text": slack_encoded(text)},
        "message_ts": "1700000000.000300",
        "response_url": response_url,
        "action_ts": "1700000001.000000",
        "is_enterprise_install": False,
        "enterprise": None,
    }


def home_opened(user: str = "U1", tab: str = "home") -> dict:
    """The `app_home_opened` event Slack sends when a person opens the app's Home (or Messages) tab."""
    return {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": tab, "event_ts": "1700000000.000400"}


def event_callback(
    event: dict, *, team: str = TEAM, event_id: str | None = None, enterprise: str | None = None, org_wide: bool = False
) -> bytes:
    body = {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": enterprise,
                "team_id": None if org_wide else team,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": org_wide,
            }
        ],
        "is_ext_shared_channel": False,
    }
    if enterprise:
        body["enterprise_id"] = enterprise
    if org_wide:
        body["is_enterprise_install"] = True
    return json.dumps(body).encode()


def record_values(
    *,
    what: str | None = "We deployed on a Friday and the cache fell over.",
    lesson: str | None = "Deploy early in the week, behind a flag.",
    category: str = "engineering",
    when: str | None = "2024-03-01",
    safeguards: tuple[str, ...] = ("gradual_rollout", "kill_switch"),
    action_items: str | None = "Add a kill switch\nAlert on cache misses",
    visibility: str = "private",
    keep_words: bool = False,
) -> dict:
    """The `view.state.values` Slack sends for the record modal (`keep_words`: the person ticked
    "Share my words as they are" after the blameless suggestion)."""

    def text(action_id, value):
        return {action_id: {"type": "plain_text_input", "value": value}}

    def choice(action_id, kind, value):
        return {
            action_id: {
                "type": kind,
                "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
            }
        }

    return {
        "what_block": text("what_input", what),
        "lesson_block": text("lesson_input", lesson),
        "category_block": choice("category_input", "static_select", category),
        "when_block": {"when_input": {"type": "datepicker", "selected_date": when}},
        "safeguards_block": {
            "safeguards_input": {
                "type": "multi_static_select",
                "selected_options": [{"text": {"type": "plain_text", "text": s}, "value": s} for s in safeguards],
            }
        },
        "action_items_block": text("action_items_input", action_items),
        "visibility_block": choice("visibility_input", "radio_buttons", visibility),
        **(
            {
                "keep_words_block": {
                    "keep_words_input": {
                        "type": "checkboxes",
                        "selected_options": [
                            {"text": {"type": "plain_text", "text": "Share my words as they are"}, "value": "keep"}
                        ],
                    }
                }
            }
            if keep_words
            else {}
        ),
    }
