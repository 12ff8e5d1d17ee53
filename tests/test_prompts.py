"""The monthly reflection prompt: its domain rules, the job against a real database and the fake
Slack Web API, its buttons over signed HTTP, `run-job reflection-prompts`, and the scheduler's lease."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from sqlalchemy import select

from bot.domain.prompts import (
    PROMPT_KIND,
    SNOOZE,
    is_away,
    is_person_to_prompt,
    person_timezone,
    prompt_date,
    prompt_is_due,
    prompt_period,
)
from bot.scheduler import LEASE_TTL, workspace_tick
from bot.slack.ids import Action
from bot.slack.installations import single_workspace
from bot.tasks.reflection_prompts import send_reflection_prompts
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_to_head
from storage.models import ActionItem, Delivery, Entry, Person
from storage.repository import deliveries as delivery_store
from storage.repository import people as person_store
from storage.repository import workspaces as workspace_store
from tests import payloads
from tests.harness.jobs import NOW, WS, OwnProcess, at_once, no_pause, prompted, quick_client, run
from tests.harness.people import member
from tests.harness.processes import run_job
from tests.harness.queue import tasks_now
from tests.rows import seed, snapshot

TONGA = ZoneInfo("Pacific/Tongatapu")  # UTC+13, no DST
HONOLULU = ZoneInfo("Pacific/Honolulu")  # UTC−10, no DST
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- domain: when ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "prompt_day", "expected"),
    [
        (2026, 8, 0, date(2026, 8, 3)),  # the 1st is a Saturday: Monday the 3rd
        (2026, 11, 0, date(2026, 11, 2)),  # the 1st is a Sunday: Monday the 2nd
        (2025, 2, 0, date(2025, 2, 3)),  # Saturday again
        (2026, 6, 0, date(2026, 6, 1)),  # a Monday: the 1st itself
        (2027, 1, 0, date(2027, 1, 1)),  # a Friday
        (2026, 8, 1, date(2026, 8, 1)),  # a fixed day stays put, even on a Saturday
        (2026, 6, 15, date(2026, 6, 15)),
        (2024, 2, 28, date(2024, 2, 28)),  # leap year
        (2026, 2, 28, date(2026, 2, 28)),  # not a leap year
        (2024, 2, 0, date(2024, 2, 1)),
    ],
)
def test_prompt_date(year, month, prompt_day, expected):
    assert prompt_date(year, month, prompt_day) == expected


@pytest.mark.parametrize(
    ("zone", "prompt_day", "now", "due"),
    [
        # UTC+13: 10:00 on Monday 1 June is 21:00 UTC on Sunday 31 May, still May in UTC.
        (TONGA, 0, utc(2026, 5, 31, 20, 59), False),
        (TONGA, 0, utc(2026, 5, 31, 21, 0), True),
        (TONGA, 0, utc(2026, 5, 31, 12, 0), False),  # 01:00 on 1 June there: June's not due yet
        # UTC−10: 10:00 is 20:00 UTC the same day; still due at 05:00 UTC on 1 July (30 June there).
        (HONOLULU, 0, utc(2026, 6, 1, 19, 59), False),
        (HONOLULU, 0, utc(2026, 6, 1, 20, 0), True),
        (HONOLULU, 0, utc(2026, 7, 1, 5, 0), True),
        # New York, DST ends on Sunday 1 November 2026: EDT (UTC−4) before, EST (UTC−5) after.
        (NEW_YORK, 0, utc(2026, 10, 1, 13, 59), False),
        (NEW_YORK, 0, utc(2026, 10, 1, 14, 0), True),
        (NEW_YORK, 1, utc(2026, 11, 1, 14, 59), False),  # the transition day itself
        (NEW_YORK, 1, utc(2026, 11, 1, 15, 0), True),
        (NEW_YORK, 0, utc(2026, 11, 2, 14, 59), False),
        (NEW_YORK, 0, utc(2026, 11, 2, 15, 0), True),
        # DST starts on Sunday 8 March 2026: 15:00 UTC before, 14:00 UTC from that day.
        (NEW_YORK, 0, utc(2026, 3, 2, 14, 59), False),
        (NEW_YORK, 0, utc(2026, 3, 2, 15, 0), True),
        (NEW_YORK, 8, utc(2026, 3, 8, 13, 59), False),
        (NEW_YORK, 8, utc(2026, 3, 8, 14, 0), True),
        (NEW_YORK, 9, utc(2026, 3, 9, 14, 0), True),
        # London: BST (UTC+1) in June, GMT in December.
        (LONDON, 0, utc(2026, 6, 1, 8, 59), False),
        (LONDON, 0, utc(2026, 6, 1, 9, 0), True),
        (LONDON, 0, utc(2026, 12, 1, 9, 59), False),
        (LONDON, 0, utc(2026, 12, 1, 10, 0), True),
        (LONDON, 0, utc(2026, 8, 1, 12, 0), False),  # Saturday the 1st: not the prompt day
        (LONDON, 0, utc(2026, 8, 3, 9, 0), True),  # Monday the 3rd, 10:00 BST
        (LONDON, 15, utc(2026, 6, 14, 23, 0), False),  # before a fixed day
        (LONDON, 15, utc(2026, 6, 30, 22, 59), True),  # until the end of the month
        # Day 28 in February, leap year and not.
        (LONDON, 28, utc(2024, 2, 28, 9, 59), False),
        (LONDON, 28, utc(2024, 2, 28, 10, 0), True),
        (LONDON, 28, utc(2024, 2, 29, 23, 0), True),
        (LONDON, 28, utc(2026, 2, 28, 10, 0), True),
        (LONDON, 28, utc(2026, 2, 27, 23, 0), False),
    ],
)
def test_prompt_is_due_from_ten_local_time_on_the_prompt_day(zone, prompt_day, now, due):
    assert prompt_is_due(now, zone, prompt_day) is due


@pytest.mark.parametrize(
    ("zone", "now", "period"),
    [
        (TONGA, utc(2026, 12, 31, 12, 0), "2027-01"),  # 01:00 on New Year's Day there
        (TONGA, utc(2026, 5, 31, 21, 0), "2026-06"),
        (HONOLULU, utc(2027, 1, 1, 5, 0), "2026-12"),  # 19:00 on New Year's Eve there
        (LONDON, utc(2026, 12, 31, 23, 59), "2026-12"),
        (LONDON, utc(2026, 3, 31, 23, 30), "2026-04"),  # 00:30 BST
        (TONGA, utc(2024, 2, 29, 11, 0), "2024-03"),
        (UTC, utc(2024, 2, 29, 11, 0), "2024-02"),
    ],
)
def test_prompt_period_is_the_month_where_the_person_is(zone, now, period):
    assert prompt_period(now, zone) == period


def test_at_the_year_end_tongatapu_is_due_for_january_while_utc_is_in_december():
    assert not prompt_is_due(utc(2026, 12, 31, 12, 0), TONGA, 0)  # 01:00 on 1 January there
    assert prompt_is_due(utc(2026, 12, 31, 21, 0), TONGA, 0)  # 10:00 on Friday 1 January
    assert prompt_period(utc(2026, 12, 31, 21, 0), TONGA) == "2027-01"


# -- domain: where and who ------------------------------------------------------------------


def test_person_timezone_uses_the_slack_tz_name():
    zone = person_timezone({"tz": "Pacific/Tongatapu", "tz_offset": 0})
    assert zone == TONGA


@pytest.mark.parametrize(
    ("user", "offset"),
    [
        ({"tz": "Mars/Olympus_Mons", "tz_offset": 13 * 3600}, timedelta(hours=13)),
        ({"tz": "", "tz_offset": -10 * 3600}, timedelta(hours=-10)),
        ({"tz": None, "tz_offset": 19800}, timedelta(hours=5, minutes=30)),
        ({"tz_offset": -18000}, timedelta(hours=-5)),
        ({"tz": "../../etc/passwd", "tz_offset": 3600}, timedelta(hours=1)),
    ],
)
def test_person_timezone_falls_back_to_the_utc_offset(user, offset):
    zone = person_timezone(user)
    assert zone.utcoffset(NOW) == offset


@pytest.mark.parametrize(
    "user",
    [
        {"tz": "Mars/Olympus_Mons"},
        {"tz": "Mars/Olympus_Mons", "tz_offset": None},
        {"tz": "Mars/Olympus_Mons", "tz_offset": "3600"},
        {"tz": "Mars/Olympus_Mons", "tz_offset": True},
        {"tz": "Mars/Olympus_Mons", "tz_offset": 15 * 3600},
        {"tz": 5},
        {},
    ],
)
def test_person_timezone_falls_back_to_utc_when_nothing_is_usable(user):
    zone = person_timezone(user)
    assert zone.utcoffset(NOW) == timedelta(0)
    assert prompt_period(utc(2026, 12, 31, 23, 0), zone) == "2026-12"


HUMAN = {"id": "U1", "is_bot": False, "deleted": False}


@pytest.mark.parametrize(
    ("user", "include_guests", "expected"),
    [
        (HUMAN, False, True),
        ({**HUMAN, "is_bot": True}, True, False),
        ({**HUMAN, "is_app_user": True}, True, False),
        ({**HUMAN, "deleted": True}, True, False),
        ({"id": "USLACKBOT", "is_bot": False, "deleted": False}, True, False),
        ({**HUMAN, "is_restricted": True}, False, False),  # multi-channel guest
        ({**HUMAN, "is_restricted": True}, True, True),
        ({**HUMAN, "is_restricted": True, "is_ultra_restricted": True}, False, False),  # single-channel guest
        ({**HUMAN, "is_restricted": True, "is_ultra_restricted": True}, True, True),
        ({**HUMAN, "is_restricted": True, "deleted": True}, True, False),
        ({**HUMAN, "is_restricted": True, "is_bot": True}, True, False),
    ],
)
def test_is_person_to_prompt(user, include_guests, expected):
    assert is_person_to_prompt(user, include_guests) is expected


def status(emoji: str = "", text: str = "", expiration: int = 0) -> dict:
    return {"id": "U1", "profile": {"status_emoji": emoji, "status_text": text, "status_expiration": expiration}}


@pytest.mark.parametrize(
    ("user", "away"),
    [
        (status(":palm_tree:", "Vacationing"), True),
        (status(":palm_tree:"), True),
        (status(":face_with_thermometer:", "Out sick"), True),
        (status("", "out sick today"), True),
        (status("", "On vacation until Monday"), True),
        (status(":sunny:", "OOO"), True),
        (status("", "On parental leave"), True),
        (status("", "Out of office"), True),
        (status("", "PTO"), True),
        (status(":palm_tree:", "", int(NOW.timestamp()) + 3600), True),  # expires later
        (status(":palm_tree:", "Vacationing", int(NOW.timestamp()) - 1), False),  # expired
        (status("", "Out sick", int(NOW.timestamp()) - 86400), False),
        (status(":house_with_garden:", "Working remotely"), False),
        (status(":spiral_calendar_pad:", "In a meeting"), False),
        (status("", ""), False),
        ({"id": "U1"}, False),
    ],
)
def test_is_away_by_status_emoji_or_words(user, away):
    assert is_away(user, NOW) is away


# -- the job --------------------------------------------------------------------------------


def server_retries(client) -> int:
    return next(h.max_retry_count for h in client.retry_handlers if isinstance(h, ServerErrorRetryHandler))


def assert_no_refused_calls(fake) -> None:
    refused = [(c.method, c.error) for c in fake.calls if not c.ok]
    assert refused == []


def ledger(sf) -> dict[tuple[str, str], datetime | None]:
    with sf() as session:
        rows = session.scalars(select(Delivery).where(Delivery.kind == PROMPT_KIND))
        return {(d.recipient, d.period): d.sent_at for d in rows}


def choose(sf, user_id: str, **values) -> None:
    with sf.begin() as session:
        person_store.save_person_choice(session, WS, user_id, NOW - timedelta(days=1), **values)


def test_every_real_member_who_is_here_gets_a_dm_and_nobody_else(job, fake_slack):
    sf, _client = job
    people = [
        member("UMEMBER"),
        member("UTONGA", "Pacific/Tongatapu"),
        member("UHONO", "Pacific/Honolulu"),
        member("UNY", "America/New_York"),
        member("UBACK", profile={"status_emoji": ":palm_tree:", "status_expiration": int(NOW.timestamp()) - 60}),
        member("USNOOZEDBEFORE"),
        member("UBOT", is_bot=True),
        member("UAPP", is_app_user=True),
        member("UGONE", deleted=True),
        member("USLACKBOT", "America/Los_Angeles", name="slackbot"),
        member("UGUEST", is_restricted=True),
        member("USINGLE", is_restricted=True, is_ultra_restricted=True),
        member("USTOPPED"),
        member("USNOOZED"),
        member("UAWAY", profile={"status_emoji": ":palm_tree:", "status_text": "Vacationing"}),
        member("USICK", profile={"status_text": "Out sick"}),
    ]
    fake_slack.users.update({p["id"]: p for p in people})
    choose(sf, "USTOPPED", prompts_stopped=True)
    choose(sf, "USNOOZED", snoozed_until=NOW + timedelta(days=1))
    choose(sf, "USNOOZEDBEFORE", snoozed_until=NOW - timedelta(hours=1))

    counts = run(job, NOW)

    expected = {"UMEMBER", "UTONGA", "UHONO", "UNY", "UBACK", "USNOOZEDBEFORE"}
    assert prompted(fake_slack) == Counter({user: 1 for user in expected})
    assert counts == Counter(sent=6, stopped=1, snoozed=1, away=2)
    assert_no_refused_calls(fake_slack)
    assert set(ledger(sf)) == {(user, "2026-11") for user in expected}
    assert all(ledger(sf).values())  # every claim confirmed
    message = fake_slack.calls_to("chat.postMessage")[0]
    assert "How did this month go?" in message.args["text"]
    buttons = [e for b in message.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b.get("value")) for b in buttons] == [
        (Action.PROMPT_RECORD, "2026-11"),
        (Action.PROMPT_NOTHING, "2026-11"),
        (Action.PROMPT_SNOOZE, "2026-11"),
        (Action.PROMPT_STOP, "2026-11"),
    ]


@pytest.mark.parametrize("allowed", [False, True])
def test_guests_are_prompted_only_when_the_workspace_allows_it(job, fake_slack, allowed):
    sf, _client = job
    with sf.begin() as session:
        workspace_store.save_settings(session, WS, "UADMIN", NOW, prompt_guests=allowed)
    fake_slack.users.update(
        {
            "UMEMBER": member("UMEMBER"),
            "UGUEST": member("UGUEST", is_restricted=True),
            "USINGLE": member("USINGLE", is_restricted=True, is_ultra_restricted=True),
        }
    )
    run(job, NOW)
    guests = {"UGUEST", "USINGLE"} if allowed else set()
    assert set(prompted(fake_slack)) == {"UMEMBER"} | guests


def test_due_at_ten_in_each_persons_own_time_zone(job, fake_slack):
    fake_slack.users.update(
        {
            "UTONGA": member("UTONGA", "Pacific/Tongatapu"),
            "ULONDON": member("ULONDON", "Europe/London"),
            "UNY": member("UNY", "America/New_York"),
            "UHONO": member("UHONO", "Pacific/Honolulu"),
            # A tz name unknown here: the offset Slack gives (UTC−10) decides.
            "UOFFSET": {**member("UOFFSET", "Pacific/Honolulu"), "tz": "Mars/Olympus_Mons"},
        }
    )
    steps = [
        (utc(2026, 11, 1, 20, 59), set()),  # 09:59 on Monday 2 November in Tongatapu
        (utc(2026, 11, 1, 21, 0), {"UTONGA"}),
        (utc(2026, 11, 2, 9, 59), {"UTONGA"}),
        (utc(2026, 11, 2, 10, 0), {"UTONGA", "ULONDON"}),
        (utc(2026, 11, 2, 14, 59), {"UTONGA", "ULONDON"}),  # 09:59 EST, the day after DST ended
        (utc(2026, 11, 2, 15, 0), {"UTONGA", "ULONDON", "UNY"}),
        (utc(2026, 11, 2, 19, 59), {"UTONGA", "ULONDON", "UNY"}),
        (utc(2026, 11, 2, 20, 0), {"UTONGA", "ULONDON", "UNY", "UHONO", "UOFFSET"}),
        (utc(2026, 11, 30, 10, 0), {"UTONGA", "ULONDON", "UNY", "UHONO", "UOFFSET"}),  # 23:00 in Tongatapu
    ]
    for now, expected in steps:
        run(job, now)
        assert prompted(fake_slack) == Counter({user: 1 for user in expected}), now


def test_the_local_new_year_starts_januarys_prompt_while_utc_is_still_in_december(job, fake_slack):
    sf, _client = job
    fake_slack.users.update(
        {
            "UTONGA": member("UTONGA", "Pacific/Tongatapu"),
            "UHONO": member("UHONO", "Pacific/Honolulu"),
            "ULONDON": member("ULONDON"),
        }
    )
    run(job, utc(2026, 12, 1, 21, 0))  # everyone's December prompt
    assert prompted(fake_slack) == Counter(UTONGA=1, UHONO=1, ULONDON=1)
    run(job, utc(2026, 12, 31, 12, 0))  # 01:00 on 1 January in Tongatapu: not yet 10:00
    assert prompted(fake_slack) == Counter(UTONGA=1, UHONO=1, ULONDON=1)
    run(job, utc(2026, 12, 31, 21, 0))  # 10:00 on Friday 1 January in Tongatapu
    assert prompted(fake_slack) == Counter(UTONGA=2, UHONO=1, ULONDON=1)
    assert fake_slack.calls_to("chat.postMessage")[-1].args["channel"] == "UTONGA"
    assert ("UTONGA", "2027-01") in ledger(sf)
    assert '"2027-01"' in json.dumps(fake_slack.calls_to("chat.postMessage")[-1].args["blocks"])
    run(job, utc(2027, 1, 1, 5, 0))  # still New Year's Eve in Honolulu: December was had
    assert prompted(fake_slack) == Counter(UTONGA=2, UHONO=1, ULONDON=1)


def test_exactly_one_prompt_per_person_per_month_across_runs(job, fake_slack):
    sf, _client = job
    fake_slack.users.update({f"U{n}": member(f"U{n}") for n in range(3)})
    first = run(job, NOW)
    second = run(job, NOW + timedelta(minutes=15))
    third = run(job, utc(2026, 11, 30, 23, 0), force=True)
    assert first["sent"] == 3
    assert second == Counter(already=3) and third == Counter(already=3)
    assert prompted(fake_slack) == Counter(U0=1, U1=1, U2=1)


def test_two_runs_at_once_prompt_each_person_once(job, fake_slack, database_url):
    sf, _client = job
    people = [f"U{n:02d}" for n in range(30)]
    fake_slack.users.update({user: member(user) for user in people})
    a, b = OwnProcess(database_url, fake_slack), OwnProcess(database_url, fake_slack)
    counts = at_once(
        lambda: send_reflection_prompts(a.sf, a.client, WS, NOW, pace=no_pause),
        lambda: send_reflection_prompts(b.sf, b.client, WS, NOW, pace=no_pause),
    )
    a.engine.dispose()
    b.engine.dispose()
    assert prompted(fake_slack) == Counter({user: 1 for user in people})
    assert sum(c["sent"] for c in counts) == 30
    assert sum(c["already"] for c in counts) == 30
    assert len(ledger(sf)) == 30 and all(ledger(sf).values())


def test_a_rate_limited_send_waits_and_is_delivered_once_in_the_same_run(job, fake_slack):
    fake_slack.users.update({"U1": member("U1"), "U2": member("U2")})
    fake_slack.queue_failure("chat.postMessage", status=429, retry_after=0)
    counts = run(job, NOW)
    assert counts == Counter(sent=2)
    assert prompted(fake_slack) == Counter(U1=1, U2=1)
    assert [c.status for c in fake_slack.calls_to("chat.postMessage", ok_only=False)] == [429, 200, 200]


@pytest.mark.parametrize("failure", ["server_errors", "channel_not_found"])
def test_a_failed_send_is_retried_by_the_next_run_then_delivered_once(job, fake_slack, failure):
    sf, client = job
    fake_slack.users.update({"U1": member("U1"), "U2": member("U2")})
    if failure == "server_errors":
        for _ in range(server_retries(client) + 1):  # one more than the client retries
            fake_slack.queue_failure("chat.postMessage", status=500)
    else:
        fake_slack.queue_failure("chat.postMessage", error="channel_not_found")

    first = run(job, NOW)
    assert first == Counter(sent=1, failed=1)
    assert prompted(fake_slack) == Counter(U2=1)
    assert ledger(sf) == {("U2", "2026-11"): NOW}  # the failed claim was given back

    second = run(job, NOW + timedelta(minutes=15))
    assert second == Counter(sent=1, already=1)
    assert prompted(fake_slack) == Counter(U1=1, U2=1)
    assert run(job, NOW + timedelta(minutes=30)) == Counter(already=2)
    assert prompted(fake_slack) == Counter(U1=1, U2=1)


def test_a_restart_mid_fan_out_with_failing_sends_ends_with_everyone_prompted_once(job, fake_slack):
    sf, client = job
    people = [f"U{n}" for n in range(6)]
    fake_slack.users.update({user: member(user) for user in people})
    sends = itertools.count(1)

    def fail_some():  # called just before each send: make the 2nd and 5th fail past every retry
        if next(sends) in (2, 5):
            for _ in range(server_retries(client) + 1):
                fake_slack.queue_failure("chat.postMessage", status=500)

    first = send_reflection_prompts(sf, client, WS, NOW, pace=fail_some)
    assert first == Counter(sent=4, failed=2)
    assert prompted(fake_slack) == Counter({user: 1 for user in ("U0", "U2", "U3", "U5")})

    restarted = run(job, NOW + timedelta(minutes=15))
    assert restarted == Counter(sent=2, already=4)
    assert prompted(fake_slack) == Counter({user: 1 for user in people})
    assert all(ledger(sf).values())


class Killed(BaseException):
    """The process dies here: a SIGTERM or SIGKILL from a dyno restart, nothing the job can catch."""


def test_a_scheduler_killed_mid_fan_out_prompts_everyone_once_after_the_restart(job, fake_slack):
    """Most of a paced fan-out is spent in pace(), between claiming a person and sending to them."""
    sf, client = job
    people = [f"U{n}" for n in range(5)]
    fake_slack.users.update({user: member(user) for user in people})
    sends = itertools.count(1)

    def killed_before_the_third_send():
        if next(sends) == 3:
            raise Killed

    with pytest.raises(Killed):
        send_reflection_prompts(sf, client, WS, NOW, pace=killed_before_the_third_send)
    assert prompted(fake_slack) == Counter(U0=1, U1=1)  # Slack never received U2's prompt

    run(job, NOW + timedelta(minutes=15))  # the restarted scheduler
    assert prompted(fake_slack) == Counter({user: 1 for user in people})


def test_the_next_month_prompts_again(job, fake_slack):
    sf, _client = job
    fake_slack.users.update({"U1": member("U1"), "U2": member("U2", "Pacific/Tongatapu")})
    run(job, NOW)
    run(job, utc(2026, 11, 30, 12, 0))
    assert prompted(fake_slack) == Counter(U1=1, U2=1)
    run(job, utc(2026, 12, 1, 10, 0))  # Tuesday 1 December, 10:00 in London (23:00 in Tongatapu)
    assert prompted(fake_slack) == Counter(U1=2, U2=2)
    assert set(ledger(sf)) == {(u, p) for u in ("U1", "U2") for p in ("2026-11", "2026-12")}
    last = fake_slack.calls_to("chat.postMessage")[-1]
    assert '"2026-12"' in json.dumps(last.args["blocks"])


def test_members_on_several_users_list_pages_are_all_prompted(job, fake_slack):
    # users.list answers 200 members a page: people on the first page and on the second.
    people = ["UFIRST", "UMIDDLE", "ULAST"]
    bots = [member(f"B{n:03d}", is_bot=True) for n in range(201)]
    for user in [member("UFIRST"), *bots[:100], member("UMIDDLE"), *bots[100:], member("ULAST")]:
        fake_slack.users[user["id"]] = user
    assert run(job, NOW) == Counter(sent=3)
    assert len(fake_slack.calls_to("users.list")) == 2
    assert prompted(fake_slack) == Counter({user: 1 for user in people})


def blocks_of(call) -> list[dict]:
    return call.args["blocks"]


def accessories(call, action_id: str) -> list[str]:
    return [
        b["accessory"]["value"] for b in blocks_of(call) if (b.get("accessory") or {}).get("action_id") == action_id
    ]


def test_the_prompt_follows_up_on_open_items_missing_lessons_and_a_lesson_from_a_year_ago(job, fake_slack):
    sf, _client = job
    fake_slack.users["U1"] = member("U1")
    today = date(2026, 11, 2)
    open_entry = seed(sf, "The cache fell over", date(2026, 10, 20), lesson=None, items=("Add a kill switch", "Alert"))
    old_no_lesson = seed(sf, "Too old to ask about", today - timedelta(days=61), lesson=None, items=())
    edge_no_lesson = seed(sf, "Exactly sixty days ago", today - timedelta(days=60), lesson=None, items=())
    seed(sf, "Learned already", date(2026, 10, 1), lesson="A recent lesson", items=())
    seed(sf, "Last November", date(2025, 11, 15), lesson="Check the backups before a migration", items=())
    seed(sf, "Last October", date(2025, 10, 31), lesson="An October lesson", items=())
    seed(sf, "Two Novembers ago", date(2024, 11, 15), lesson="A lesson two years old", items=())
    with sf.begin() as session:
        entry = session.get(Entry, open_entry)
        entry.action_items[1].status, entry.action_items[1].done_at = "done", NOW - timedelta(days=1)  # not asked again
        open_item_id = entry.action_items[0].id

    run(job, NOW)

    [call] = fake_slack.calls_to("chat.postMessage")
    assert_no_refused_calls(fake_slack)
    text = json.dumps(blocks_of(call), ensure_ascii=False)
    assert accessories(call, Action.ACTION_ITEM_DONE) == [str(open_item_id)]
    # The item done yesterday is shown done, without a Done button: not hidden, not asked about again.
    assert "☐ Add a kill switch" in text and "☐ Alert" not in text and "☑ Alert" in text
    assert accessories(call, Action.ADD_LESSON) == [str(open_entry), str(edge_no_lesson)]
    assert "The cache fell over" in text and "Exactly sixty days ago" in text
    assert "Too old to ask about" not in text and str(old_no_lesson) not in accessories(call, Action.ADD_LESSON)
    assert "Check the backups before a migration" in text
    assert "An October lesson" not in text and "A lesson two years old" not in text
    assert "A year ago" in text


def test_a_fan_out_reads_its_people_in_batches_and_each_prompt_shows_only_its_own_person(job, fake_slack):
    from sqlalchemy import event

    sf, _client = job
    # 450 people over three batches, in two time zones (two days: 2 November in London, 3 in
    # Auckland); each with an open item and a lesson from a year ago; 40 already prompted.
    people = [f"U{n:03d}" for n in range(450)]
    zones = ("Europe/London", "Pacific/Auckland")
    fake_slack.users.update({user: member(user, zones[n % 2]) for n, user in enumerate(people)})
    for user in people:
        seed(sf, f"Broke it, {user}", date(2026, 10, 20), user=user, lesson=None, items=(f"Item of {user}",))
        seed(sf, f"A year ago, {user}", date(2025, 11, 15), user=user, lesson=f"Lesson of {user}", items=())
    with sf.begin() as session:
        for user in people[100:140]:
            assert delivery_store.claim_delivery(session, WS, user, "reflection_prompt", "2026-11", NOW)
    selects = []
    engine = sf.kw["bind"]

    def count_selects(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(engine, "before_cursor_execute", count_selects)
    try:
        counts = run(job, NOW, force=True)
    finally:
        event.remove(engine, "before_cursor_execute", count_selects)

    assert counts == Counter(sent=410, already=40)
    for call in fake_slack.calls_to("chat.postMessage"):
        user = call.args["channel"]
        text = json.dumps(blocks_of(call), ensure_ascii=False)
        assert f"Item of {user}" in text and f"Broke it, {user}" in text and f"Lesson of {user}" in text
        assert text.count("Item of U") == 1 and text.count("Lesson of U") == 1 and text.count("Broke it, U") == 1
    # A few queries per batch and day, not several per person (the entries' action items come with
    # them, in one more query each time).
    assert len(selects) < 60


def test_the_prompt_never_shows_another_persons_or_another_workspaces_entries(job, fake_slack):
    sf, _client = job
    fake_slack.users.update({"U1": member("U1"), "U2": member("U2")})
    seed(sf, "U2 broke prod", date(2026, 10, 20), user="U2", lesson=None, items=("U2's own item",))
    seed(sf, "U2 a year ago", date(2025, 11, 3), user="U2", lesson="U2's old lesson", items=())
    seed(sf, "Other team, same id", date(2026, 10, 20), team="T0002", lesson=None, items=("Other team's item",))
    seed(sf, "Other team a year ago", date(2025, 11, 3), team="T0002", lesson="Other team's lesson", items=())

    run(job, NOW)

    u1 = next(c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "U1")
    u2 = next(c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "U2")
    assert [b["type"] for b in blocks_of(u1)] == ["section", "actions"]  # nothing of U1's to follow up
    text = json.dumps(u1.args, ensure_ascii=False)
    for theirs in ("U2 broke prod", "U2's own item", "U2's old lesson", "Other team", "Other team's lesson"):
        assert theirs not in text
    assert "U2's own item" in json.dumps(u2.args) and "U2's old lesson" in json.dumps(u2.args)
    assert "Other team" not in json.dumps(u2.args)
    assert_no_refused_calls(fake_slack)


def test_a_prompt_with_long_texts_everywhere_stays_within_block_kit_limits(job, fake_slack):
    sf, _client = job
    fake_slack.users["U1"] = member("U1")
    long = "<b>Tom & Jerry</b> " * 400  # 7,600 characters, with what Slack needs escaped
    for n in range(4):
        seed(sf, long, date(2026, 10, 20 - n), lesson=None, items=(long, long))
    seed(sf, long, date(2025, 11, 10), lesson=long, items=())

    run(job, NOW)

    assert_no_refused_calls(fake_slack)
    [call] = fake_slack.calls_to("chat.postMessage")
    assert len(accessories(call, Action.ACTION_ITEM_DONE)) == 5
    assert len(accessories(call, Action.ADD_LESSON)) == 3
    assert "A year ago" in json.dumps(blocks_of(call))
    assert "<b>" not in json.dumps(blocks_of(call))


# -- the buttons, over signed HTTP ----------------------------------------------------------


def send_prompt(bot, user: str = "U1", now: datetime = NOW):
    """Run the job for `user` (and whoever else is in fake.users); returns the prompt's chat.postMessage call."""
    bot.fake.users.setdefault(user, member(user))
    send_reflection_prompts(bot.session_factory, quick_client(bot.fake.url), WS, now, pace=no_pause)
    # December's year in review goes to the same DM after the prompt: the prompt is the one that isn't it.
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == user]
    return [c for c in posts if not c.args["text"].endswith(" in failures")][-1]


def element(message_call, action_id: str, value: str | None = None) -> dict:
    elements = []
    for block in blocks_of(message_call):
        elements += block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
    return next(e for e in elements if e.get("action_id") == action_id and value in (None, e.get("value")))


def press(bot, message_call, action: dict, user: str = "U1", key: str = "prompt", signed: bool = True):
    """Press a button on the prompt in the person's DM, as Slack sends it."""
    payload = payloads.block_actions(dict(action), user=user, response_url=bot.fake.response_url(key))
    channel = f"D{user}"
    payload["container"] = {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel}
    payload["channel"] = {"id": channel, "name": "directmessage"}
    payload["message"] = {
        "type": "message",
        "ts": "1700000000.000100",
        "text": message_call.args["text"],
        "blocks": blocks_of(message_call),
    }
    answer = bot.post(payloads.interactive(payload), signed=signed)
    return answer


def person(bot, user: str = "U1") -> Person | None:
    with bot.session_factory() as session:
        return person_store.get_person(session, WS, user)


def test_record_one_opens_the_record_modal(bot):
    bot.now = NOW
    message = send_prompt(bot)
    assert press(bot, message, element(message, Action.PROMPT_RECORD)).status == 200
    [opened] = bot.fake.wait_for_views()
    assert opened["callback_id"] == "record_entry_modal"
    assert opened["type"] == "modal"
    assert_no_refused_calls(bot.fake)


def test_nothing_this_month_replaces_the_prompt(bot):
    bot.now = NOW
    message = send_prompt(bot)
    assert press(bot, message, element(message, Action.PROMPT_NOTHING), key="nothing").status == 200
    [(key, answer)] = bot.fake.wait_for_responses()
    assert key == "nothing" and answer["replace_original"] is True
    assert "nothing to record" in answer["text"]
    assert ledger(bot.session_factory) == {("U1", "2026-11"): NOW}  # this month's prompt is had
    assert person(bot) is None or not (person(bot).prompts_stopped or person(bot).snoozed_until)


def test_not_now_snoozes_a_week_then_prompts_again_within_the_month(bot):
    bot.now = NOW
    message = send_prompt(bot)
    assert press(bot, message, element(message, Action.PROMPT_SNOOZE), key="snooze").status == 200
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert answer["replace_original"] is True and "in a week" in answer["text"]
    assert person(bot).snoozed_until == NOW + SNOOZE
    assert ledger(bot.session_factory) == {}

    client = quick_client(bot.fake.url)
    sf = bot.session_factory
    assert send_reflection_prompts(sf, client, WS, NOW + timedelta(days=3), pace=no_pause) == Counter(snoozed=1)
    assert prompted(bot.fake) == Counter(U1=1)
    send_reflection_prompts(sf, client, WS, NOW + timedelta(days=8), pace=no_pause)
    assert prompted(bot.fake) == Counter(U1=2)
    send_reflection_prompts(sf, client, WS, NOW + timedelta(days=9), pace=no_pause)
    assert prompted(bot.fake) == Counter(U1=2)
    assert ledger(sf) == {("U1", "2026-11"): NOW + timedelta(days=8)}


def test_stop_these_prompts_stops_them_and_the_app_home_turns_them_back_on(bot):
    bot.now = NOW
    bot.fake.users["U2"] = member("U2")
    message = send_prompt(bot)
    assert press(bot, message, element(message, Action.PROMPT_STOP), key="stop").status == 200
    [home] = bot.fake.wait_for("views.publish")
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert answer["replace_original"] is True and "no more monthly prompts" in answer["text"]
    assert person(bot).prompts_stopped is True
    resume = next(
        e
        for b in home.args["view"]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.PROMPTS_RESUME
    )
    assert resume["text"]["text"] == "Turn monthly prompts back on"

    december = utc(2026, 12, 1, 12, 0)
    send_prompt(bot, "U2", december)
    assert prompted(bot.fake) == Counter(U1=1, U2=2)  # no December prompt for U1

    # Opening the App Home later still offers the way back.
    event = {"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home", "event_ts": "1700000000.0004"}
    assert bot.event(event).status == 200
    reopened = bot.fake.wait_for("views.publish", count=2)[1]
    assert Action.PROMPTS_RESUME in json.dumps(reopened.args["view"])

    bot.now = december + timedelta(minutes=5)
    payload = payloads.block_actions(resume, user="U1", container="view")
    assert bot.interact(payload).status == 200
    after = bot.fake.wait_for("views.publish", count=3)[2]
    assert Action.PROMPTS_RESUME not in json.dumps(after.args["view"])
    assert person(bot).prompts_stopped is False

    send_reflection_prompts(
        bot.session_factory, quick_client(bot.fake.url), WS, december + timedelta(minutes=15), pace=no_pause
    )
    assert prompted(bot.fake) == Counter(U1=2, U2=2)
    assert_no_refused_calls(bot.fake)


def open_item_ids(bot, user: str = "U1", team: str = "T0001") -> list[int]:
    with bot.session_factory() as session:
        return list(
            session.scalars(
                select(ActionItem.id)
                .join(Entry)
                .where(Entry.user_id == user, Entry.team_id == team)
                .order_by(ActionItem.id)
            )
        )


def done_at(bot, item_id: int) -> datetime | None:
    with bot.session_factory() as session:
        return session.get(ActionItem, item_id).done_at


def test_done_marks_ones_own_action_item_done_once(bot):
    seed(bot, "The cache fell over", date(2026, 10, 20), items=("Add a kill switch", "Alert on misses"))
    first, second = open_item_ids(bot)
    bot.now = NOW
    message = send_prompt(bot)
    assert press(bot, message, element(message, Action.ACTION_ITEM_DONE, str(first)), key="done1").status == 200
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert "Nice job! Done:" in answer["text"]
    assert done_at(bot, first) == NOW and done_at(bot, second) is None

    bot.now = NOW + timedelta(hours=1)  # a second press changes nothing
    assert press(bot, message, element(message, Action.ACTION_ITEM_DONE, str(first)), key="done2").status == 200
    bot.fake.wait_for_responses(count=2)
    assert done_at(bot, first) == NOW

    december = send_prompt(bot, now=utc(2026, 12, 1, 12, 0))
    assert accessories(december, Action.ACTION_ITEM_DONE) == [str(second)]


def test_done_refuses_another_persons_item_and_garbage_without_changing_anything(bot):
    seed(bot, "Mine", date(2026, 10, 20), items=("My item",))
    seed(bot, "Theirs", date(2026, 10, 20), user="U2", items=("Their item",))
    seed(bot, "Mine, other workspace", date(2026, 10, 20), team="T0002", items=("Other team's item",))
    [theirs] = open_item_ids(bot, "U2")
    [other_team] = open_item_ids(bot, "U1", "T0002")
    bot.now = NOW
    message = send_prompt(bot)
    before = snapshot(bot)
    done = element(message, Action.ACTION_ITEM_DONE)
    values = [str(theirs), str(other_team), "999999", "0", "-1", "", "abc", "1.0", "١", "9" * 40, "1 OR 1=1"]
    for n, value in enumerate(values):
        assert press(bot, message, {**done, "value": value}, key=f"bad{n}").status == 200
    answers = bot.fake.wait_for_responses(count=len(values))
    assert {answer["text"] for _key, answer in answers} == {"That entry is not on your resume, or it was deleted."}
    assert snapshot(bot) == before
    assert done_at(bot, theirs) is None and done_at(bot, other_team) is None


def test_an_unsigned_button_press_is_refused_with_no_side_effects(bot):
    bot.now = NOW
    message = send_prompt(bot)
    assert press(bot, message, element(message, Action.PROMPT_STOP), signed=False).status == 401
    assert press(bot, message, element(message, Action.PROMPT_SNOOZE), signed=False).status == 401
    bot.command("help", key="sync")  # a later request: anything before it has been handled
    bot.fake.wait_for_responses()
    assert person(bot) is None
    assert ledger(bot.session_factory) == {("U1", "2026-11"): NOW}
    assert bot.fake.calls_to("views.publish") == []


# -- run-job and the scheduler ---------------------------------------------------------------


def test_run_job_reflection_prompts_sends_to_everyone_not_yet_prompted_and_exits_0(fake_slack, tmp_path):
    fake_slack.users.update(
        {
            "U1": member("U1"),
            "U2": member("U2", "Pacific/Tongatapu"),
            "UHAD": member("UHAD", "UTC"),
            "UBOT": member("UBOT", is_bot=True),
            "USLACKBOT": member("USLACKBOT"),
        }
    )
    url = f"sqlite:///{tmp_path}/jobs.db"
    upgrade_to_head(url)
    engine = make_engine(url)
    sf = make_session_factory(engine)
    now = datetime.now(UTC)
    with sf.begin() as session:
        # run-job sends now, even before the prompt day (which is most days of the month before the 28th).
        workspace_store.save_settings(session, WS, "UADMIN", now, prompt_day=28)
        # UHAD had this month's prompt already (and next month's, should the month turn during the test).
        for period in {prompt_period(now, UTC), prompt_period(now + timedelta(minutes=5), UTC)}:
            delivery_store.claim_delivery(session, WS, "UHAD", PROMPT_KIND, period, now)

    first = run_job(fake_slack, tmp_path, "reflection-prompts")
    assert first.returncode == 0, first.stderr
    assert "reflection-prompts for T0001: 1 already, 2 sent" in first.stdout
    assert prompted(fake_slack) == Counter(U1=1, U2=1)

    second = run_job(fake_slack, tmp_path, "reflection-prompts")
    assert second.returncode == 0, second.stderr
    assert "reflection-prompts for T0001: 3 already" in second.stdout
    assert prompted(fake_slack) == Counter(U1=1, U2=1)
    assert_no_refused_calls(fake_slack)
    engine.dispose()


def test_two_prompt_ticks_at_the_same_time_only_one_acts(job, fake_slack, database_url):
    fake_slack.users.update({"U1": member("U1"), "U2": member("U2", "Pacific/Honolulu")})
    a, b = OwnProcess(database_url, fake_slack), OwnProcess(database_url, fake_slack)
    acted = at_once(
        lambda: workspace_tick(a.sf, single_workspace(a.client), tasks_now(a.sf, a.client), NOW, "first"),
        lambda: workspace_tick(b.sf, single_workspace(b.client), tasks_now(b.sf, b.client), NOW, "second"),
    )
    a.engine.dispose()
    b.engine.dispose()
    assert sorted(acted) == [False, True]
    assert prompted(fake_slack) == Counter(U1=1, U2=1)

    # The one that stood by takes over once the lease lapses, and sends nothing twice.
    standby = "first" if acted == [False, True] else "second"
    sf, client = job
    later = NOW + LEASE_TTL + timedelta(minutes=1)
    assert workspace_tick(sf, single_workspace(client), tasks_now(sf, client), later, standby) is True
    assert prompted(fake_slack) == Counter(U1=1, U2=1)


def test_a_send_without_an_answer_is_never_repeated(job, fake_slack):
    fake_slack.users["U1"] = member("U1")
    fake_slack.set_delay("chat.postMessage", 6)  # longer than the client's 5 s timeout
    counts = run(job, NOW, force=True)
    fake_slack.set_delay("chat.postMessage", 0)
    assert counts["unconfirmed"] == 1
    assert run(job, NOW + timedelta(hours=1), force=True)["already"] == 1
    assert prompted(fake_slack)["U1"] <= 1  # never a second one


def test_people_slack_will_never_let_us_dm_are_not_tried_all_month(job, fake_slack):
    fake_slack.users.update({"U1": member("U1"), "UINV": member("UINV", is_invited_user=True)})
    fake_slack.queue_failure("chat.postMessage", error="user_not_found")
    assert run(job, NOW, force=True)["undeliverable"] == 1
    assert run(job, NOW + timedelta(hours=1), force=True)["already"] == 1
    assert "UINV" not in prompted(fake_slack)


def test_a_fan_out_stops_when_another_scheduler_took_over(job, fake_slack):
    fake_slack.users.update({f"U{n:03d}": member(f"U{n:03d}") for n in range(120)})
    counts = run(job, NOW, force=True, still_in_charge=lambda: False)
    assert counts["stopped_early"] == 1
    assert 0 < sum(prompted(fake_slack).values()) < 120
