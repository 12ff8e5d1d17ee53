"""Domain rules of the monthly reflection prompt: when, to whom, and when not; and a person's own
choices about it (not now, stop, resume), each one a unit of work."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.db import SessionFactory
from storage.repository import deliveries as delivery_store
from storage.repository import people as person_store
from storage.types import Workspace

PROMPT_KIND = "reflection_prompt"  # its name in the delivery ledger
PROMPT_HOUR = time(10, 0)
SNOOZE = timedelta(days=7)
# Slack's built-in "away" statuses and the words people use for them.
AWAY_EMOJI = {":palm_tree:", ":face_with_thermometer:", ":pill:", ":baby:", ":airplane:", ":beach_with_umbrella:"}
AWAY_WORDS = re.compile(
    r"\b(vacation|vacationing|holiday|holidays|on leave|parental leave|sick|out sick|ooo|out of (the )?office|pto)\b",
    re.IGNORECASE,
)


def prompt_date(year: int, month: int, prompt_day: int) -> date:
    """The workspace's prompt day in a month: 0 is the first working day (Monday to Friday)."""
    if prompt_day:
        return date(year, month, min(prompt_day, 28))
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def person_timezone(user: dict) -> tzinfo:
    """The person's Slack time zone; their UTC offset when the name is unknown here; else UTC."""
    try:
        return ZoneInfo(user["tz"])
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError):
        offset = user.get("tz_offset")
        if isinstance(offset, int) and not isinstance(offset, bool) and abs(offset) <= 14 * 3600:
            return timezone(timedelta(seconds=offset))
        return UTC


def prompt_period(now: datetime, zone: tzinfo) -> str:
    """The month the person is in right now, where they are: one prompt each."""
    local = now.astimezone(zone)
    return f"{local.year}-{local.month:02d}"


def prompt_is_due(now: datetime, zone: tzinfo, prompt_day: int) -> bool:
    """True from 10:00 on the prompt day, in the person's own time zone, to the end of that month."""
    local = now.astimezone(zone)
    when = datetime.combine(prompt_date(local.year, local.month, prompt_day), PROMPT_HOUR, tzinfo=zone)
    return now >= when


def is_person_to_prompt(user: dict, include_guests: bool) -> bool:
    """Real, active members only: never bots, apps, Slackbot or deactivated accounts."""
    if user.get("deleted") or user.get("is_bot") or user.get("is_app_user") or user.get("id") == "USLACKBOT":
        return False
    if user.get("is_invited_user") or user.get("is_stranger"):
        return False  # not joined yet, or from another organisation: no DM to send
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        return include_guests
    return True


def is_away(user: dict, now: datetime) -> bool:
    """Away by their Slack status (vacation, out sick, on leave…): they get the prompt when back."""
    profile = user.get("profile") or {}
    expires = profile.get("status_expiration") or 0
    if isinstance(expires, int) and expires and expires < now.timestamp():
        return False
    emoji = profile.get("status_emoji") or ""
    text = profile.get("status_text") or ""
    return emoji in AWAY_EMOJI or bool(AWAY_WORDS.search(text))


def snooze_prompt(sf: SessionFactory, ws: Workspace, user_id: str, period: str, now: datetime) -> None:
    """Not now: ask again in a week, within the same month's allowance of one prompt."""
    with sf.begin() as session:
        person_store.save_person_choice(session, ws, user_id, now, snoozed_until=now + SNOOZE)
        delivery_store.forget_delivery(session, ws, user_id, PROMPT_KIND, period)


def set_prompts_stopped(sf: SessionFactory, ws: Workspace, user_id: str, stopped: bool, now: datetime) -> None:
    with sf.begin() as session:
        person_store.save_person_choice(session, ws, user_id, now, prompts_stopped=stopped, snoozed_until=None)
