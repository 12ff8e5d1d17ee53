"""What Slack says about people (users.info), kept for a few minutes."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import date, datetime, timedelta

from cachetools import TLRUCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.api import is_admin


class People:
    """What users.info says about people, kept for a few minutes: a record's date, its Nice job and
    its Home refresh ask Slack once between them. An answer is Slack's for one token and workspace:
    the same user ID elsewhere is looked up apart.

    Slack saying no (`user_not_found`) is kept for a minute, and no answer at all (a 429 or 500
    past the client's retries, a timeout) for a few seconds, so that a flood of requests about one
    person does not become a flood of calls. Threads asking about the same person at once share
    one call: the first asks, the others wait for its answer."""

    def __init__(
        self, ttl_seconds: float = 300, refused_seconds: float = 60, trouble_seconds: float = 10, size: int = 10_000
    ):
        self.ttl_seconds, self.refused_seconds, self.trouble_seconds = ttl_seconds, refused_seconds, trouble_seconds
        self._lookups: TLRUCache = TLRUCache(maxsize=size, ttu=self._keep_until)
        self._lock = threading.Lock()

    def info(self, client: WebClient, user_id: str, fresh: bool = False) -> dict:
        """`fresh`: ask Slack now (and keep the new answer), for a check off the ack path that must
        not act on a minutes-old admin flag. Raises what the lookup raised (SlackApiError, OSError)."""
        key = (client.token, client.default_params.get("team_id"), user_id)
        with self._lock:
            lookup = None if fresh else self._lookups.get(key)
            asking = lookup is None
            if asking:
                lookup = self._lookups[key] = Future()
        if asking:
            try:
                lookup.set_result(client.users_info(user=user_id, include_locale=True).get("user") or {})
            except Exception as error:  # raised in every thread that waits for this answer
                lookup.set_exception(error)
            with self._lock:
                if self._lookups.get(key) is lookup:
                    self._lookups[key] = lookup  # kept for as long as its outcome deserves
        return lookup.result()

    def _keep_until(self, _key, lookup: Future, now: float) -> float:
        if not lookup.done() or lookup.exception() is None:
            return now + self.ttl_seconds  # an answer, or a lookup under way (kept again once done)
        error = lookup.exception()
        if isinstance(error, SlackApiError) and error.response.status_code < 400:
            return now + self.refused_seconds  # Slack's answer: user_not_found, user_not_visible...
        return now + self.trouble_seconds  # no answer: a 429 or 500 past the retries, a timeout

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
