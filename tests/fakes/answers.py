"""What the fake Slack answers to a call it accepts: its workspace, users, posts and modals."""

from __future__ import annotations

import functools
import itertools
import threading
from collections import defaultdict

from tests.fakes.oauth import Grant
from tests.fakes.rules import VIEW_METHODS
from tests.fakes.wire import Answer

TEAM_ID = "T0001"
TEAM_URL = "https://fake-team.slack.com/"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"


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


class Answers:
    """FakeSlack's default answers, by method."""

    _cond: threading.Condition
    _counters: defaultdict[str, itertools.count]
    _views: dict[str, dict]
    _opened: list[str]
    users: dict[str, dict]
    scopes: tuple[str, ...]

    # -- default answers

    def _default_answer(self, method: str, args: dict, grant: Grant | None) -> Answer:
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
        return Answer(200, body, {"x-oauth-scopes": ",".join(self.scopes)})

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
