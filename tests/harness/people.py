"""People as Slack describes them (users.list / users.info members)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from tests.harness.jobs import NOW


def member(user_id: str, tz: str = "Europe/London", profile: dict | None = None, **fields) -> dict:
    """A users.list / users.info member as Slack sends one."""
    return {
        "id": user_id,
        "team_id": "T0001",
        "name": user_id.lower(),
        "real_name": f"Person {user_id}",
        "tz": tz,
        "tz_offset": int(ZoneInfo(tz).utcoffset(NOW).total_seconds()),
        "is_admin": False,
        "is_owner": False,
        "is_bot": False,
        "is_app_user": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "deleted": False,
        "profile": {"status_text": "", "status_emoji": "", "status_expiration": 0, **(profile or {})},
        **fields,
    }


KO_KR = member("U1", locale="ko-KR")


def korean_person(bot, user: dict = KO_KR) -> None:
    bot.fake.users[user["id"]] = user
