"""The team digest job against a real database and the fake Slack Web API."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.scheduler import LEASE, LEASE_TTL, workspace_tick
from bot.slack.installations import single_workspace
from bot.tasks.fanout import digest_due
from bot.tasks.team_digest import post_team_digest
from storage.db import make_engine, make_session_factory
from storage.models import Digest, Entry
from storage.repository import digests as digest_store
from storage.repository import housekeeping as housekeeping_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace
from tests.harness.processes import run_job
from tests.harness.queue import tasks_now
from tests.rows import seed

WS = Workspace(enterprise_id="", team_id="T0001")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
ADMIN = {"id": "UADMIN", "team_id": "T0001", "name": "ada", "is_admin": True, "is_bot": False, "deleted": False}


def share(sf, user: str, visibility: str, what: str = "A mistake", team: str = "T0001", category: str = "data") -> int:
    entry_id = seed(
        sf, what, user=user, team=team, visibility=visibility, lesson=f"Lesson of {what}", category=category
    )
    with sf.begin() as session:
        session.get(Entry, entry_id).shared_at = NOW - timedelta(days=1)
    return entry_id


def posted(fake) -> str:
    return json.dumps([c.args for c in fake.calls_to("chat.postMessage")], ensure_ascii=False)


def test_digest_posts_shared_lessons_and_keeps_anonymous_authors_out_of_every_byte(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named", "Named mistake")
    for n in range(3):
        share(sf, f"UANON{n}", "anonymous", f"Anonymous mistake {n}")
    share(sf, "UPRIV", "private", "Private mistake")
    share(sf, "UOTHER", "named", "Other workspace mistake", team="T0002")

    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    [message] = fake_slack.calls_to("chat.postMessage")
    assert message.args["channel"] == "CRETRO"
    everything = posted(fake_slack)
    assert "<@UNAMED>" in everything and "Named mistake" in everything
    assert all(f"Anonymous mistake {n}" in everything for n in range(3))
    assert "We learned" in everything
    assert "UANON" not in everything
    assert "Private mistake" not in everything and "UPRIV" not in everything
    assert "Other workspace" not in everything
    assert "4 lessons shared with the team" in message.args["text"]


def test_anonymous_entries_wait_for_a_crowd_then_roll_into_the_next_digest(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named", "Named one")
    share(sf, "UA", "anonymous", "First anonymous")
    share(sf, "UA", "anonymous", "Same person again")
    share(sf, "UB", "anonymous", "Second person")
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    first = posted(fake_slack)
    assert "Named one" in first and "anonymous" not in first.lower().replace("anonymously", "")
    assert "First anonymous" not in first and "Second person" not in first

    share(sf, "UC", "anonymous", "Third person")
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    second = json.dumps(fake_slack.calls_to("chat.postMessage")[1].args)
    for what in ("First anonymous", "Same person again", "Second person", "Third person"):
        assert what in second
    assert "Named one" not in second


def test_each_shared_entry_is_in_exactly_one_digest(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named")
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "nothing"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_two_runs_at_once_post_each_entry_once(job, fake_slack):
    sf, client = job
    for n in range(5):
        share(sf, f"U{n}", "named", f"Mistake {n}")
    outcomes = []
    runs = [
        threading.Thread(target=lambda: outcomes.append(post_team_digest(sf, client, WS, NOW, "CRETRO")))
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert sorted(outcomes) in (["already", "posted"], ["nothing", "posted"])
    [message] = fake_slack.calls_to("chat.postMessage")
    assert all(f"Lesson of Mistake {n}" in json.dumps(message.args) for n in range(5))


def test_a_long_digest_continues_in_the_thread_within_block_limits(job, fake_slack):
    sf, client = job
    for n in range(120):
        share(sf, f"U{n}", "named", f"Mistake number {n}", category=("data", "career", "other")[n % 3])
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    calls = fake_slack.calls_to("chat.postMessage", ok_only=False)
    assert all(c.ok for c in calls) and len(calls) > 1
    first = fake_slack.calls_to("chat.postMessage")[0]
    assert first.args.get("thread_ts") is None
    assert all(c.args.get("thread_ts") == "1700000000.000100" for c in calls[1:])
    everything = posted(fake_slack)
    assert all(f"Lesson of Mistake number {n}" in everything for n in range(120))


def test_without_a_channel_admins_are_told_once(job, fake_slack):
    sf, client = job
    fake_slack.users.update(
        {
            "UADMIN": ADMIN,
            "UMEMBER": {**ADMIN, "id": "UMEMBER", "is_admin": False},
            "UBOTADMIN": {**ADMIN, "id": "UBOTADMIN", "is_bot": True},
        }
    )
    share(sf, "UNAMED", "named")
    assert post_team_digest(sf, client, WS, NOW, None) == "no_channel"
    assert post_team_digest(sf, client, WS, NOW, None) == "no_channel"
    [told] = fake_slack.calls_to("chat.postMessage")
    assert told.args["channel"] == "UADMIN" and "/fail settings" in told.args["text"]
    with sf() as session:
        assert session.scalar(select(Entry.digest_id)) is None


def test_the_workspace_setting_wins_over_the_default_channel(job, fake_slack):
    sf, client = job
    with sf.begin() as session:
        workspace_store.save_settings(session, WS, "UADMIN", NOW, retro_channel="CSETTING")
    share(sf, "UNAMED", "named")
    post_team_digest(sf, client, WS, NOW, "CDEFAULT")
    assert fake_slack.calls_to("chat.postMessage")[0].args["channel"] == "CSETTING"


def test_the_app_joins_a_public_channel_it_is_not_in(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named")
    fake_slack.queue_failure("chat.postMessage", error="not_in_channel")
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    assert fake_slack.calls_to("conversations.join")[0].args["channel"] == "CRETRO"


def test_a_private_channel_it_cannot_join_is_reported_to_admins_and_nothing_is_lost(job, fake_slack):
    sf, client = job
    fake_slack.users["UADMIN"] = ADMIN
    share(sf, "UNAMED", "named", "Kept for later")
    fake_slack.queue_failure("chat.postMessage", error="not_in_channel")
    fake_slack.queue_failure("conversations.join", error="method_not_supported_for_channel_type")
    assert post_team_digest(sf, client, WS, NOW, "GPRIVATE") == "channel_problem"
    [told] = fake_slack.calls_to("chat.postMessage")
    assert told.args["channel"] == "UADMIN" and "invite the app" in told.args["text"]
    with sf() as session:
        assert session.scalars(select(Digest)).all() == []
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    assert "Kept for later" in json.dumps(fake_slack.calls_to("chat.postMessage")[-1].args)


def test_only_one_scheduler_holds_the_lease_until_it_lapses(job):
    sf, _client = job
    with sf.begin() as session:
        assert housekeeping_store.acquire_lease(session, LEASE, "first", NOW, LEASE_TTL)
    with sf.begin() as session:
        assert not housekeeping_store.acquire_lease(session, LEASE, "second", NOW + timedelta(minutes=1), LEASE_TTL)
    with sf.begin() as session:
        assert housekeeping_store.acquire_lease(session, LEASE, "first", NOW + timedelta(minutes=1), LEASE_TTL)
    with sf.begin() as session:
        assert housekeeping_store.acquire_lease(session, LEASE, "second", NOW + timedelta(minutes=5), LEASE_TTL)
    with sf.begin() as session:
        assert not housekeeping_store.acquire_lease(session, LEASE, "first", NOW + timedelta(minutes=5), LEASE_TTL)


def test_two_schedulers_post_the_scheduled_digest_once_per_period(job, fake_slack):
    sf, client = job
    tasks = tasks_now(sf, client, retro_channel="CRETRO")

    def beat(at, holder="first"):
        return workspace_tick(sf, single_workspace(client), tasks, at, holder)

    def digests():
        return [call for call in fake_slack.calls_to("chat.postMessage") if call.args.get("channel") == "CRETRO"]

    share(sf, "UNAMED", "named", "Scheduled one")
    assert beat(NOW) is True
    assert beat(NOW, "second") is False
    assert beat(NOW + timedelta(minutes=15)) is True
    share(sf, "UNAMED", "named", "Shared later the same month")
    assert beat(NOW + timedelta(days=3)) is True
    assert len(digests()) == 1
    # Next month's digest carries what was shared since.
    assert beat(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) is True
    assert "Shared later the same month" in json.dumps(digests()[-1].args)


@pytest.mark.parametrize(
    ("cadence", "now", "due"),
    [
        ("monthly", datetime(2026, 12, 1, 8, 59, tzinfo=UTC), False),
        ("monthly", datetime(2026, 12, 1, 9, 0, tzinfo=UTC), True),
        ("monthly", datetime(2024, 2, 29, 23, 0, tzinfo=UTC), True),
        ("weekly", datetime(2026, 11, 23, 8, 0, tzinfo=UTC), False),  # a Monday morning
        ("weekly", datetime(2026, 11, 23, 9, 30, tzinfo=UTC), True),
        ("weekly", datetime(2026, 11, 29, 23, 0, tzinfo=UTC), True),  # the Sunday after
    ],
)
def test_digest_due_from_nine_utc_on_the_first_day_of_the_period(cadence, now, due):
    assert digest_due(cadence, now) is due


def test_run_job_team_digest_posts_now_and_exits_0(fake_slack, tmp_path):
    first = run_job(fake_slack, tmp_path, "team-digest")
    assert first.returncode == 0, first.stderr
    assert "team-digest for T0001: nothing" in first.stdout
    sf = make_session_factory(make_engine(f"sqlite:///{tmp_path}/jobs.db"))

    entry_id = seed(sf, "Shared through run-job", user="UNAMED", visibility="named")
    with sf.begin() as session:
        session.get(Entry, entry_id).shared_at = NOW
    second = run_job(fake_slack, tmp_path, "team-digest")
    assert second.returncode == 0, second.stderr
    assert "team-digest for T0001: posted" in second.stdout
    assert "Shared through run-job" in posted(fake_slack)


def test_run_job_refuses_unknown_jobs_clearly(fake_slack, tmp_path):
    result = run_job(fake_slack, tmp_path, "no-such-job")
    assert result.returncode == 2
    assert "team-digest" in result.stderr and "Traceback" not in result.stderr


def test_the_workspace_sets_how_big_the_anonymous_crowd_must_be(job, fake_slack):
    sf, client = job
    with sf.begin() as session:
        workspace_store.save_settings(session, WS, "UADMIN", NOW, anonymity_crowd=4)
    for n in range(3):
        share(sf, f"UANON{n}", "anonymous", f"Anonymous {n}")
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "nothing"
    share(sf, "UANON3", "anonymous", "Anonymous 3")
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    assert all(f"Anonymous {n}" in posted(fake_slack) for n in range(4))


def test_a_digest_whose_post_got_no_answer_gives_its_entries_back(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named", "Survives a dropped connection")
    fake_slack.stop()  # Slack unreachable: the post raises, the claim is released
    with pytest.raises(OSError):
        post_team_digest(sf, client, WS, NOW, "CRETRO")
    with sf() as session:
        assert session.scalar(select(Entry.digest_id)) is None
        assert session.scalars(select(Digest)).all() == []


def test_a_digest_left_unposted_by_a_dead_process_is_given_back_later(job, fake_slack):
    sf, client = job
    entry_id = share(sf, "UNAMED", "named", "Claimed then the process died")
    with sf.begin() as session:
        digest_store.claim_for_digest(session, WS, [entry_id], "CRETRO", NOW)
    assert post_team_digest(sf, client, WS, NOW + timedelta(minutes=1), "CRETRO") == "nothing"
    assert post_team_digest(sf, client, WS, NOW + timedelta(minutes=11), "CRETRO") == "posted"
    assert "Claimed then the process died" in posted(fake_slack)
