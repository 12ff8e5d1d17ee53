"""The year in review: a person's, asked for with `/fail review [YEAR]` or the Home button and sent
with December's prompt once a year, and the team's in the retro channel, counts only, once a year
and never below the anonymity crowd. Over signed HTTP and through the jobs, against the fake Slack:
what was posted, the chart's bytes, and the delivery ledger."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.scheduler import workspace_tick
from bot.slack.installations import single_workspace
from bot.tasks.reflection_prompts import send_reflection_prompts
from bot.tasks.year_review import post_team_year_review_once
from storage.models import ActionItem, Delivery, Digest, Entry
from storage.repository import deliveries as delivery_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace
from tests import payloads
from tests.checks import assert_no_failed_calls
from tests.harness.clicks import home_click
from tests.harness.jobs import no_pause
from tests.harness.people import member
from tests.harness.queue import tasks_now
from tests.rows import entries, seed
from tests.uploads import uploaded, uploaded_files

WS = Workspace(enterprise_id="", team_id="T0001")
PNG = b"\x89PNG\r\n\x1a\n"
# Tuesday 1 December 2026, 10:00 in London (GMT): everyone's December prompt is due.
DECEMBER = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
# Monday 2 November 2026, 21:00 UTC: November's prompt, due everywhere.
NOVEMBER = datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
# Lessons as people write them: mentions that must never ping anyone, and what Slack needs escaped.
PINGING_LESSON = "<!channel> Roll back first & ask later"
MENTIONING_LESSON = "Pair with <@U2> on <b>migrations</b>"


# ---- helpers --------------------------------------------------------------------------


def done(sf, entry_id: int, when: datetime) -> None:
    """Mark an entry's action items done at `when`."""
    with sf.begin() as session:
        for item in session.get(Entry, entry_id).action_items:
            item.status, item.done_at = "done", when


def dm_posts(fake, channel: str = "U1") -> list:
    return [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == channel]


def review_posts(fake, year: int) -> list:
    """The people's year-in-review messages (any DM), by their header."""
    title = f"Your {year} in failures"
    return [c for c in fake.calls_to("chat.postMessage") if c.args.get("text") == title]


def section_texts(call) -> str:
    return "\n".join(b["text"]["text"] for b in call.args["blocks"] if b["type"] == "section")


def headers(call) -> list[str]:
    return [b["text"]["text"] for b in call.args["blocks"] if b["type"] == "header"]


def review_ledger(sf, kind: str = "year_review") -> dict[tuple[str, str], datetime | None]:
    with sf() as session:
        rows = session.scalars(select(Delivery).where(Delivery.kind == kind))
        return {(d.recipient, d.period): d.sent_at for d in rows}


def assert_no_failed_calls_of(fake) -> None:
    """Every call the jobs made was one the fake Slack accepted."""
    assert [(c.method, c.error) for c in fake.calls if not c.ok] == []


def seed_2024(bot) -> None:
    """U1's 2024 (three entries, one action item done that year), and what must stay out of it."""
    sf = bot.session_factory
    first = seed(
        sf, "The cache fell over", date(2024, 3, 4), lesson=PINGING_LESSON, category="engineering", items=("Flag it",)
    )
    seed(sf, "Lost the export", date(2024, 6, 1), lesson=MENTIONING_LESSON, category="data", items=("Verify",))
    seed(sf, "Paged the wrong team", date(2024, 6, 20), lesson="Own the rota", category="engineering", items=())
    done(sf, first, datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    seed(sf, "Broke the 2023 release", date(2023, 6, 1), lesson="A lesson from 2023", items=())
    seed(sf, "U2's own mistake", date(2024, 6, 1), user="U2", lesson="U2's private lesson", items=())
    seed(sf, "Other workspace", date(2024, 6, 1), team="T0002", lesson="T0002's lesson", items=())


def assert_u1_2024_review(bot) -> None:
    """The message in U1's DM, then its chart there too."""
    # Posted to the user ID (Slack's DM with them), whose DM ID the chart's upload takes from the answer.
    assert bot.fake.calls_to("conversations.open") == []
    [message] = dm_posts(bot.fake)
    assert message.args["text"] == "Your 2024 in failures"
    assert headers(message) == ["Your 2024 in failures"]
    text = section_texts(message)
    assert "*3 entries* this year." in text
    assert "*By category:* Engineering 2, Data 1" in text
    assert "*Busiest months:* June 2, March 1" in text
    assert "*1 action item* done this year." in text
    assert "• &lt;!channel&gt; Roll back first &amp; ask later" in text
    assert "• Pair with &lt;@U2&gt; on &lt;b&gt;migrations&lt;/b&gt;" in text
    assert "Own the rota" in text
    everything = json.dumps(message.args, ensure_ascii=False)
    assert "<!channel>" not in everything and "<@U2>" not in everything  # nobody is pinged
    for absent in ("A lesson from 2023", "U2's private lesson", "T0002's lesson"):
        assert absent not in everything

    [complete] = bot.fake.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU1"
    assert list(uploaded_files(bot.fake)) == ["failure-resume-2024.png"]
    assert uploaded(bot.fake, ".png").startswith(PNG)
    # The chart comes below the message.
    methods = [c.method for c in bot.fake.calls]
    assert methods.index("chat.postMessage") < methods.index("files.getUploadURLExternal")


# ---- on demand, over signed HTTP ----------------------------------------------------------


def test_slack_rate_limiting_the_review_and_its_upload_still_delivers_both_once(bot):
    bot.now = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)
    seed_2024(bot)
    bot.fake.queue_failure("chat.postMessage", status=429, retry_after=1)
    bot.fake.queue_failure("files.getUploadURLExternal", status=429, retry_after=1)

    assert bot.command("review 2024", key="review").status == 200

    bot.fake.wait_for("files.completeUploadExternal", timeout=15)
    assert len(review_posts(bot.fake, 2024)) == 1  # waited for Retry-After, then sent once
    assert uploaded(bot.fake, ".png").startswith(PNG)
    assert [c.status for c in bot.fake.calls if c.method == "chat.postMessage"][:2] == [429, 200]


def test_fail_review_2024_sends_that_year_then_its_chart_in_the_dm(bot):
    bot.now = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)  # asked in 2025, for 2024
    seed_2024(bot)

    answer = bot.command("review 2024", key="review")

    assert (answer.status, answer.body) == (200, b"")
    bot.fake.wait_for("files.completeUploadExternal")
    assert_u1_2024_review(bot)
    [(key, reply)] = bot.fake.wait_for_responses()
    assert key == "review" and reply["text"] == "Sent to you in a direct message."
    # Asked for: sent whatever December's ledger says, and leaving it alone.
    assert review_ledger(bot.session_factory) == {}
    assert_no_failed_calls(bot)


def test_asking_again_sends_the_review_again(bot):
    seed_2024(bot)
    bot.command("review 2024", key="first")
    bot.fake.wait_for("files.completeUploadExternal")
    bot.command("review 2024", key="second")
    bot.fake.wait_for("files.completeUploadExternal", count=2)
    assert len(dm_posts(bot.fake)) == 2
    assert all(data.startswith(PNG) for data in bot.fake.uploads.values()) and len(bot.fake.uploads) == 2


def test_the_home_button_sends_this_years_review(bot):
    bot.now = datetime(2024, 12, 20, 12, 0, tzinfo=UTC)
    seed_2024(bot)

    assert home_click(bot, payloads.button("year_review_button")).status == 200

    bot.fake.wait_for("files.completeUploadExternal")
    assert_u1_2024_review(bot)
    bot.drain()
    assert bot.fake.responses == []  # no response_url from the Home: the DM is the answer
    assert_no_failed_calls(bot)


def test_this_year_is_the_year_where_the_person_is(bot):
    # 12:00 UTC on New Year's Eve is 01:00 on 1 January in Tongatapu.
    bot.now = datetime(2024, 12, 31, 12, 0, tzinfo=UTC)
    bot.fake.users["U1"] = member("U1", "Pacific/Tongatapu")
    seed(bot, "Dated 2025", date(2025, 1, 1), lesson="New year, new lesson", items=())
    seed(bot, "Dated 2024", date(2024, 12, 1), lesson="Old year's lesson", items=())

    home_click(bot, payloads.button("year_review_button"))

    bot.fake.wait_for("files.completeUploadExternal")
    [message] = dm_posts(bot.fake)
    assert message.args["text"] == "Your 2025 in failures"
    assert "New year, new lesson" in section_texts(message) and "Old year's lesson" not in section_texts(message)


@pytest.mark.parametrize(
    ("asked", "wrong"),
    [
        ("1890", "There are no entries from 1890."),
        ("2999", "2999 has not come yet."),
        ("abc", "“abc” is not a year."),
        ("2017", "There are no entries from 2017."),
        ("<!channel>", "“&lt;!channel&gt;” is not a year."),  # escaped: it never pings anyone
    ],
)
def test_a_year_the_review_cannot_use_gets_an_answer_with_the_years_that_work(bot, asked, wrong):
    bot.now = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
    for year in range(2018, 2026):
        seed(bot, f"A mistake of {year}", date(year, 3, 1), items=())
    seed(bot, "Someone else's 2017", date(2017, 3, 1), user="U2", items=())
    before = len(entries(bot))

    assert bot.command(f"review {asked}", key="review").status == 200

    [(key, answer)] = bot.fake.wait_for_responses()
    assert key == "review"
    assert answer["text"] == f"{wrong} Your resume has entries from 2018 to 2025: try `/fail review 2025`."
    assert [b["type"] for b in answer["blocks"]] == ["section"]  # no *Record it*: it was never an entry
    bot.drain()
    assert len(entries(bot)) == before and dm_posts(bot.fake) == []
    assert_no_failed_calls(bot)


@pytest.mark.parametrize(
    ("years", "said"),
    [
        ((), "Your resume has no entries yet, so there is no year to review: record one with `/fail` first."),
        ((2021,), "Your resume has entries from 2021 only: try `/fail review 2021`."),
        ((2018, 2019, 2024), "Your resume has entries from these years: 2018, 2019, 2024. Try `/fail review 2024`."),
    ],
)
def test_the_answer_names_the_years_with_entries_however_few(bot, years, said):
    for year in years:
        seed(bot, f"A mistake of {year}", date(year, 3, 1), items=())
    bot.command("review 2020", key="review")
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert answer["text"] == f"There are no entries from 2020. {said}"


def test_an_empty_year_says_nothing_was_recorded_and_sends_no_chart(bot):
    bot.now = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)  # this year, asked for without a year
    seed(bot, "Only in 2023", date(2023, 5, 1))
    seed(bot, "Someone else's 2024", date(2024, 5, 1), user="U2")

    bot.command("review", key="review")

    [message] = bot.fake.wait_for("chat.postMessage")
    assert message.args["channel"] == "U1"
    assert headers(message) == ["Your 2024 in failures"]
    assert "Nothing recorded in 2024 yet" in section_texts(message)
    assert "Only in 2023" not in json.dumps(message.args) and "Someone else" not in json.dumps(message.args)
    bot.fake.wait_for_responses()
    bot.drain()
    assert [c.method for c in bot.fake.calls if c.method.startswith("files.")] == []
    assert bot.fake.uploads == {}
    assert_no_failed_calls(bot)


# ---- December's prompt: each person's review, once a year ---------------------------------


def prompts(fake) -> Counter:
    """Reflection prompts per person (both go to the user ID: the reviews are told apart by their title)."""
    reviews = {id(c) for year in range(2020, 2030) for c in review_posts(fake, year)}
    return Counter(c.args["channel"] for c in fake.calls_to("chat.postMessage") if id(c) not in reviews)


def test_decembers_prompt_sends_each_persons_review_once_and_none_for_an_empty_year(job, fake_slack):
    sf, client = job
    fake_slack.users.update({user: member(user) for user in ("U1", "U2", "U3")})
    seed(sf, "U1 broke prod", date(2026, 4, 2), lesson="Small deploys", items=())
    seed(sf, "U1 again", date(2026, 9, 9), lesson="Read the runbook", category="engineering", items=())
    seed(sf, "U2 in 2025 only", date(2025, 12, 24), user="U2", lesson="Last year's lesson", items=())
    # U3 has recorded nothing at all.

    counts = send_reflection_prompts(sf, client, WS, DECEMBER, pace=no_pause)

    assert prompts(fake_slack) == Counter(U1=1, U2=1, U3=1)
    assert counts["year_review_sent"] == 1
    [review] = review_posts(fake_slack, 2026)
    assert review.args["channel"] == "U1"
    assert "*2 entries* this year." in section_texts(review) and "Small deploys" in section_texts(review)
    assert fake_slack.calls_to("conversations.open") == []
    assert list(uploaded_files(fake_slack)) == ["failure-resume-2026.png"]
    assert uploaded(fake_slack, ".png").startswith(PNG)
    assert set(review_ledger(sf)) == {("U1", "2026")} and all(review_ledger(sf).values())

    # Run again, later that quarter of an hour and at the end of the month: nothing is sent twice.
    send_reflection_prompts(sf, client, WS, DECEMBER + timedelta(minutes=15), pace=no_pause)
    send_reflection_prompts(sf, client, WS, datetime(2026, 12, 31, 20, 0, tzinfo=UTC), force=True, pace=no_pause)
    assert len(review_posts(fake_slack, 2026)) == 1
    assert len(fake_slack.uploads) == 1
    assert prompts(fake_slack) == Counter(U1=1, U2=1, U3=1)
    assert review_posts(fake_slack, 2025) == []  # December 2026 sends 2026's: U2's is empty
    assert_no_failed_calls_of(fake_slack)


def prompted_already(sf, user: str) -> None:
    """December's prompt delivered to `user` by an earlier run."""
    with sf.begin() as session:
        assert delivery_store.claim_delivery(session, WS, user, "reflection_prompt", "2026-12", DECEMBER)
        delivery_store.confirm_delivery(session, WS, user, "reflection_prompt", "2026-12", DECEMBER)


def test_a_review_slack_refused_is_sent_by_the_next_run(job, fake_slack):
    """December's review is claimed before its send and given back when Slack refuses it, so that the
    next run sends it; the prompt that went with it was delivered and is not sent again."""
    sf, client = job
    fake_slack.users["U1"] = member("U1")
    seed(sf, "U1 broke prod", date(2026, 4, 2), lesson="Small deploys", items=())
    prompted_already(sf, "U1")  # December's prompt went out: this run posts only the review
    fake_slack.queue_failure("chat.postMessage", error="internal_error")

    first = send_reflection_prompts(sf, client, WS, DECEMBER, pace=no_pause)
    assert first["year_review_failed"] == 1 and review_posts(fake_slack, 2026) == []
    assert review_ledger(sf) == {}  # given back

    send_reflection_prompts(sf, client, WS, DECEMBER + timedelta(minutes=15), pace=no_pause)
    assert prompts(fake_slack) == Counter()  # the prompt is not sent again
    assert len(review_posts(fake_slack, 2026)) == 1, "the refused review was never tried again"


def test_a_review_slack_never_answers_does_not_stop_the_other_prompts(job, fake_slack):
    """A call Slack does not answer in time (the client's 5 s) is no reason to leave the rest of the
    workspace unprompted: the prompts treat it so, and the review that goes with one must too."""
    sf, client = job
    fake_slack.users.update({"U1": member("U1"), "U2": member("U2")})
    seed(sf, "U1 broke prod", date(2026, 4, 2), items=())
    seed(sf, "U2 broke staging", date(2026, 5, 2), user="U2", items=())
    prompted_already(sf, "U1")
    prompted_already(sf, "U2")
    fake_slack.delay_once("chat.postMessage", 6)  # U1's review: Slack never answers in time

    try:
        counts = send_reflection_prompts(sf, client, WS, DECEMBER, pace=no_pause)
    except OSError as error:
        pytest.fail(f"the fan-out stopped at U1's review ({type(error).__name__})")

    # U1's stays claimed (Slack may have posted it: never twice), and U2's still goes.
    assert counts["year_review_unconfirmed"] == 1 and counts["year_review_sent"] == 1
    assert set(review_ledger(sf)) == {("U1", "2026"), ("U2", "2026")}
    assert review_ledger(sf)[("U1", "2026")] is None and review_ledger(sf)[("U2", "2026")] is not None


def test_novembers_prompt_sends_no_review(job, fake_slack):
    sf, client = job
    fake_slack.users["U1"] = member("U1")
    seed(sf, "A 2026 mistake", date(2026, 10, 1), items=())
    send_reflection_prompts(sf, client, WS, NOVEMBER, pace=no_pause)
    assert prompts(fake_slack) == Counter(U1=1)
    assert review_posts(fake_slack, 2026) == [] and fake_slack.uploads == {}
    assert review_ledger(sf) == {}


# ---- the team's year: counts only, never below the crowd, once ---------------------------


TEAM_WORDS = {
    "UA": ("Alpha deleted the staging bucket", "Alpha's lesson about buckets", "Alpha's action item"),
    "UB": ("Bravo shipped on a Friday", "Bravo's lesson about Fridays", "Bravo's action item"),
    "UC": ("Charlie forgot the backup", "Charlie's lesson about backups", "Charlie's action item"),
    "UD": ("Delta mislabelled the alert", "Delta's lesson about alerts", "Delta's action item"),
    "UE": ("Echo paged the wrong team", "Echo's lesson about paging", "Echo's action item"),
}


def write(sf, user: str, visibility: str = "named", when: date = date(2026, 3, 3), team: str = "T0001") -> int:
    what, lesson, item = TEAM_WORDS[user]
    return seed(sf, what, when, user=user, team=team, lesson=lesson, visibility=visibility, items=(item,))


def channel_posts(fake, channel: str = "CRETRO") -> list:
    return [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == channel]


def everything_posted(calls) -> str:
    """Every argument of these calls (messages, upload names and titles), as one string."""
    return json.dumps([c.args for c in calls], ensure_ascii=False)


def test_below_the_crowd_the_team_review_posts_nothing(job, fake_slack):
    sf, client = job
    # Two people this year (the default crowd is three); a third only last year, a fourth elsewhere.
    write(sf, "UA")
    write(sf, "UA", "private", date(2026, 7, 1))
    write(sf, "UB", "anonymous")
    write(sf, "UC", when=date(2025, 6, 1))
    write(sf, "UD", team="T0002")

    assert post_team_year_review_once(sf, client, WS, 2026, DECEMBER, "CRETRO") == "below_crowd"

    assert fake_slack.calls_to("chat.postMessage", ok_only=False) == []
    assert fake_slack.uploads == {} and review_ledger(sf, "team_year_review") == {}


def test_at_the_crowd_the_team_review_is_posted_with_counts_and_no_words_or_names(job, fake_slack):
    sf, client = job
    write(sf, "UA")
    carried = write(sf, "UB", "anonymous", date(2026, 3, 9))
    write(sf, "UE", "anonymous", date(2026, 3, 10))  # still waiting for its crowd: counted as private
    write(sf, "UC", "private", date(2026, 8, 1))
    item_entry = write(sf, "UA", "private", date(2026, 8, 2))
    with sf.begin() as session:
        digest = Digest(enterprise_id="", team_id="T0001", channel="CRETRO", message_ts="1700000000.1")
        session.add(digest)
        session.flush()
        session.get(Entry, carried).digest_id = digest.id
    done(sf, item_entry, datetime(2026, 9, 1, tzinfo=UTC))
    write(sf, "UD", when=date(2025, 6, 1))  # last year: not counted

    assert post_team_year_review_once(sf, client, WS, 2026, DECEMBER, "CRETRO") == "posted"

    [message] = channel_posts(fake_slack)
    assert message.args["text"] == "Our 2026 in failures"
    assert headers(message) == ["Our 2026 in failures"]
    text = section_texts(message)
    assert "*5 entries* recorded by the team this year." in text
    assert "Shared by name 1, anonymously 1, kept private 3." in text
    assert "*By category:* Data 5" in text
    assert "*Busiest months:* March 3, August 2" in text
    assert "*1 action item* done this year." in text
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "CRETRO"
    assert list(uploaded_files(fake_slack)) == ["failure-resume-team-2026.png"]
    assert uploaded(fake_slack, ".png").startswith(PNG)
    everything = everything_posted(fake_slack.calls)
    for user, words in TEAM_WORDS.items():
        assert user not in everything
        for word in words:
            assert word not in everything
    for fragment in ("Alpha", "Bravo", "Charlie", "Delta", "<@"):
        assert fragment not in everything
    assert review_ledger(sf, "team_year_review") == {("team", "2026"): DECEMBER}
    assert_no_failed_calls_of(fake_slack)


def test_the_workspace_sets_the_crowd_and_the_channel_of_the_team_review(job, fake_slack):
    sf, client = job
    with sf.begin() as session:
        workspace_store.save_settings(session, WS, "UADMIN", DECEMBER, anonymity_crowd=4, retro_channel="CSETTING")
    for user in ("UA", "UB", "UC"):
        write(sf, user)
    assert post_team_year_review_once(sf, client, WS, 2026, DECEMBER, "CDEFAULT") == "below_crowd"
    assert fake_slack.calls_to("chat.postMessage", ok_only=False) == []

    write(sf, "UD")
    assert post_team_year_review_once(sf, client, WS, 2026, DECEMBER, "CDEFAULT") == "posted"
    assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")] == ["CSETTING"]
    assert fake_slack.calls_to("files.completeUploadExternal")[0].args["channel_id"] == "CSETTING"


def test_the_team_review_is_posted_exactly_once_a_year(job, fake_slack):
    sf, client = job
    for user in ("UA", "UB", "UC"):
        write(sf, user)
    assert post_team_year_review_once(sf, client, WS, 2026, DECEMBER, "CRETRO") == "posted"
    assert post_team_year_review_once(sf, client, WS, 2026, DECEMBER + timedelta(days=3), "CRETRO") == "already"
    assert len(channel_posts(fake_slack)) == 1 and len(fake_slack.uploads) == 1


def test_a_team_review_slack_refuses_is_posted_by_the_next_run(job, fake_slack):
    sf, client = job
    for user in ("UA", "UB", "UC"):
        write(sf, user)
    fake_slack.queue_failure("chat.postMessage", error="channel_not_found")
    assert post_team_year_review_once(sf, client, WS, 2026, DECEMBER, "CRETRO") == "failed"
    assert review_ledger(sf, "team_year_review") == {} and fake_slack.uploads == {}
    assert post_team_year_review_once(sf, client, WS, 2026, DECEMBER, "CRETRO") == "posted"
    assert len(channel_posts(fake_slack)) == 1


def test_the_clock_posts_the_team_review_with_decembers_prompts_once(job, fake_slack):
    sf, client = job
    fake_slack.users.update({user: member(user) for user in TEAM_WORDS})
    for user in ("UA", "UB", "UC"):
        write(sf, user, "private")  # private: no digest, so the channel's only post is the review
    tasks = tasks_now(sf, client, retro_channel="CRETRO")

    def beat(at) -> bool:
        return workspace_tick(sf, single_workspace(client), tasks, at, "clock")

    assert beat(datetime(2026, 11, 30, 23, 0, tzinfo=UTC)) is True  # November: no review
    assert beat(datetime(2026, 12, 1, 9, 59, tzinfo=UTC)) is True  # before 10:00 on the prompt day
    assert channel_posts(fake_slack) == []
    assert beat(DECEMBER) is True
    assert beat(DECEMBER + timedelta(minutes=15)) is True
    assert beat(datetime(2026, 12, 20, 12, 0, tzinfo=UTC)) is True
    [message] = channel_posts(fake_slack)
    assert message.args["text"] == "Our 2026 in failures"
    # The people's own reviews went to their DMs with their prompts, once each.
    assert sorted(c.args["channel"] for c in review_posts(fake_slack, 2026)) == ["UA", "UB", "UC"]
    assert len(fake_slack.uploads) == 4
    in_the_channel = everything_posted(channel_posts(fake_slack))
    assert all(word not in in_the_channel for words in TEAM_WORDS.values() for word in words)
    assert all(user not in in_the_channel for user in TEAM_WORDS)


def test_done_items_of_the_year_are_counted_by_when_they_were_done(job, fake_slack):
    sf, client = job
    for user in ("UA", "UB", "UC"):
        write(sf, user)
    with sf.begin() as session:
        items = list(session.scalars(select(ActionItem).order_by(ActionItem.id)))
        items[0].status, items[0].done_at = "done", datetime(2026, 2, 1, tzinfo=UTC)
        items[1].status, items[1].done_at = "done", datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # last year
    post_team_year_review_once(sf, client, WS, 2026, DECEMBER, "CRETRO")
    assert "*1 action item* done this year." in section_texts(channel_posts(fake_slack)[0])
