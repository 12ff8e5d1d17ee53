"""What Slack says about people (users.info), kept for a few minutes."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.api import is_admin


class People:
    """What users.info says about people, kept for a few minutes: a record's date, its Nice job and
    its Home refresh ask Slack once between them. An answer is Slack's for one token and workspace:
    the same user ID elsewhere is looked up apart. Failed lookups are not kept."""

    def __init__(self, ttl_seconds: float = 300, size: int = 10_000):
        self._answers: TTLCache = TTLCache(maxsize=size, ttl=ttl_seconds)
        self._lock = threading.Lock()

    def info(self, client: WebClient, user_id: str, fresh: bool = False) -> dict:
        """`fresh`: ask Slack now (and keep the new answer), for a check off the ack path that must
        not act on a minutes-old admin flag."""
        key = (client.token, client.default_params.get("team_id"), user_id)
        with self._lock:
            user = None if fresh else self._answers.get(key)
        if user is None:
            user = client.users_info(user=user_id, include_locale=True).get("user") or {}
            with self._lock:
                self._answers[key] = user
        return user

    def is_admin(self, client: WebClient, user_id: str, fresh: bool = False) -> bool:
        return is_admin(self.info(client, user_id, fresh))

    def display_name(self, client: WebClient, user_id: str) -> str:
        user = self.info(client, user_id)
        profile = user.get("profile") or {}
        return profile.get("real_name") or user.get("real_name") or user.get("name") or user_id

    def locale(self, client: WebClient, user_id: str) -> str | None:
        """Slack's locale for the person ("ko-KR"); None when Slack does not answer (they are still answered)."""
        try:
            locale = self.info(client, user_id).get("locale")
        except (SlackApiError, OSError):
            return None
        return locale if isinstance(locale, str) else None

    def local_date(self, client: WebClient, user_id: str, now: datetime) -> date:
        """Today where the person is (Slack's tz_offset), or in UTC when Slack cannot tell us (or does
        not answer in time: the entry is worth more than its time zone)."""
        try:
            offset = self.info(client, user_id).get("tz_offset")
        except (SlackApiError, OSError):
            offset = None
        if not isinstance(offset, int) or isinstance(offset, bool) or abs(offset) > 14 * 3600:
            offset = 0
        return (now + timedelta(seconds=offset)).date()
