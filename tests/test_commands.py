"""`/fail` over signed HTTP, answered through the fake Slack Web API."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Entry
from tests import payloads
from tests.checks import notice_shown
from tests.rows import entries, seed
from tests.uploads import uploaded


def response_text(body: dict) -> str:
    """Everything a person can read in a message, blocks included."""
    import json

    return json.dumps(body, ensure_ascii=False)


def test_fail_without_text_opens_the_record_modal(bot):
    answer = bot.command("")
    assert answer.status == 200
    [view] = bot.fake.wait_for_views()
    assert view["callback_id"] == "record_entry_modal"
    block_ids = [block.get("block_id") for block in view["blocks"]]
    for expected in (
        "what_block",
        "lesson_block",
        "category_block",
        "when_block",
        "safeguards_block",
        "action_items_block",
        "visibility_block",
    ):
        assert expected in block_ids
    visibility = next(b for b in view["blocks"] if b.get("block_id") == "visibility_block")
    assert visibility["element"]["initial_option"]["value"] == "private"
    assert entries(bot) == []


def test_the_ack_does_not_wait_for_the_modal_to_open(bot):
    """The listener runs on the request's thread and Slack's 200 leaves when it returns: opening the
    modal on its trigger comes after, so a slow views.open never makes the ack late."""
    bot.fake.delay_once("views.open", 2)  # within the trigger's 3 s
    answer = bot.command("")
    assert answer.status == 200
    assert bot.fake.calls_to("views.open") == []  # still opening when the ack arrived
    [view] = bot.fake.wait_for_views()
    assert view["callback_id"] == "record_entry_modal"


def test_quick_text_records_a_private_entry_and_says_nice_job(bot):
    answer = bot.command("I merged without running the migrations locally")
    assert answer.status == 200
    key, message = bot.fake.wait_for_responses()[0]
    assert key == "cmd"
    assert "Nice job" in message["text"]
    assert message["response_type"] == "ephemeral"
    action_ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert action_ids == ["add_lesson_button", "share_anonymously_button", "undo_button"]
    [entry] = entries(bot)
    assert entry.what_happened == "I merged without running the migrations locally"
    assert entry.visibility == "private"
    assert (entry.team_id, entry.user_id) == ("T0001", "U1")
    bot.drain()


def test_mentions_in_text_are_stored_verbatim_and_never_ping(bot):
    text = "<!channel> <!here> <@U999> & friends broke prod"
    bot.command(text)
    _key, message = bot.fake.wait_for_responses()[0]
    assert entries(bot)[0].what_happened == text
    bot.command("resume", key="resume")
    resume = [body for key, body in bot.fake.wait_for_responses(2) if key == "resume"][0]
    shown = response_text(resume)
    assert "&lt;!channel&gt;" in shown and "&lt;@U999&gt;" in shown and "&amp; friends" in shown
    assert "<!channel>" not in shown and "<@U999>" not in shown


def test_korean_and_emoji_round_trip(bot):
    text = "배포를 금요일에 했어요 🙈 — 캐시가 무너졌습니다"
    bot.command(text)
    bot.fake.wait_for_responses()
    assert entries(bot)[0].what_happened == text


def test_over_long_quick_text_is_refused_and_echoed(bot):
    text = "x" * 3001
    bot.command(text)
    _key, message = bot.fake.wait_for_responses()[0]
    assert entries(bot) == []
    echoed = "".join(b["text"]["text"] for b in message["blocks"][1:])
    assert echoed == text


def test_resume_groups_by_year_newest_first(bot):
    bot.submit_entry(what="Old mistake", when="2021-05-04")
    bot.submit_entry(what="New mistake", when="2024-02-01", lesson=None)
    bot.fake.wait_for("views.publish", count=2)
    bot.command("resume", key="resume")
    _key, resume = bot.fake.wait_for_responses()[0]
    headers = [b["text"]["text"] for b in resume["blocks"] if b["type"] == "header"]
    assert headers[1].startswith("2024") and headers[2].startswith("2021")
    shown = response_text(resume)
    assert shown.index("New mistake") < shown.index("Old mistake")
    assert "Lesson still to come" in shown


def test_resume_for_one_year(bot):
    bot.submit_entry(what="Old mistake", when="2021-05-04")
    bot.submit_entry(what="New mistake", when="2024-02-01")
    bot.fake.wait_for("views.publish", count=2)
    bot.command("resume 2021", key="resume")
    _key, resume = bot.fake.wait_for_responses()[0]
    shown = response_text(resume)
    assert "Old mistake" in shown and "New mistake" not in shown


def test_long_resume_is_paginated_within_block_limits(bot):
    with bot.session_factory.begin() as session:
        for n in range(40):
            session.add(
                Entry(
                    team_id="T0001",
                    enterprise_id="",
                    user_id="U1",
                    what_happened=f"Mistake {n} " + "y" * 2900,
                    lesson="z" * 2900,
                    category="data",
                    happened_on=__import__("datetime").date(2000 + n % 25, 1, 1),
                    safeguards=[],
                    visibility="private",
                )
            )
    bot.command("resume", key="resume")
    _key, resume = bot.fake.wait_for_responses()[0]
    assert len(resume["blocks"]) <= 50
    buttons = [e for b in resume["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["resume_page_button"]
    bot.interact(
        payloads.block_actions(
            payloads.button("resume_page_button", buttons[0]["value"]), response_url=bot.fake.response_url("page")
        )
    )
    _key, page2 = [r for r in bot.fake.wait_for_responses(2) if r[0] == "page"][0]
    assert page2["replace_original"] is True
    assert "Page 2 of 4" in response_text(page2)


def test_help_shows_usage(bot):
    bot.command("help", key="help")
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert "/fail resume" in answer["text"]
    assert entries(bot) == []


def test_one_word_is_recorded_like_any_quick_entry(bot):
    for n, word in enumerate(("deadline", "oops", "test", "rollback")):
        assert bot.command(word, key=f"word{n}").status == 200
    answers = dict(bot.fake.wait_for_responses(4))
    assert all("Nice job" in answer["text"] for answer in answers.values())
    assert sorted(e.what_happened for e in entries(bot)) == ["deadline", "oops", "rollback", "test"]


def typo_answer(bot, text: str, key: str) -> dict:
    answered_before = len(bot.fake.responses)  # wait for this command's answer, not an earlier one
    bot.command(text, key=key)
    return dict(bot.fake.wait_for_responses(answered_before + 1))[key]


def test_a_word_close_to_a_subcommand_saves_nothing_says_so_and_offers_to_record_it(bot):
    for n, (text, meant) in enumerate((("resmue", "resume"), ("exprot", "export"), ("setings", "settings"))):
        answer = typo_answer(bot, text, f"typo{n}")
        assert answer["text"].startswith("Nothing was saved")
        assert f"/fail {meant}" in answer["text"]
        [record_it] = [b["accessory"] for b in answer["blocks"] if b.get("accessory")]
        assert (record_it["action_id"], record_it["value"]) == ("record_typed_button", text)
    assert entries(bot) == []


def test_record_it_stores_the_words_once_however_often_it_is_pressed(bot):
    answer = typo_answer(bot, "exprot", "typo")
    [record_it] = [b["accessory"] for b in answer["blocks"] if b.get("accessory")]
    for _ in range(2):
        press = payloads.block_actions(record_it, response_url=bot.fake.response_url("typo"))
        assert bot.interact(press).status == 200
    thanks = bot.fake.wait_for_responses(2)[1][1]
    assert "Nice job" in thanks["text"] and thanks["replace_original"] is True
    bot.drain()
    assert [e.what_happened for e in entries(bot)] == ["exprot"]


def test_text_starting_with_a_subcommand_word_is_still_an_entry(bot):
    bot.command("resume of mine got rejected by twelve companies")
    bot.fake.wait_for_responses()
    assert entries(bot)[0].what_happened == "resume of mine got rejected by twelve companies"


def test_export_sends_markdown_in_a_dm(bot):
    bot.submit_entry(
        what="Broke the nightly model",
        lesson="Pin the feature schema",
        when="2023-06-01",
        action_items="Schema check in CI",
    )
    bot.fake.wait_for("views.publish")
    bot.command("export", key="export")
    complete = bot.fake.wait_for("files.completeUploadExternal")[0]
    assert complete.args["channel_id"] == "DU1"
    document = uploaded(bot.fake, ".md")
    markdown = document.decode()
    assert "## 2023" in markdown
    assert "Broke the nightly model" in markdown and "Pin the feature schema" in markdown
    assert "- [ ] Schema check in CI" in markdown
    answers = dict(bot.fake.wait_for_responses())
    assert "direct message" in answers["export"]["text"]


def test_bad_signature_is_refused_and_stores_nothing(bot):
    body = payloads.slash_command("a mistake", response_url=bot.fake.response_url())
    answer = bot.post(body, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    assert answer.status == 401
    stale = bot.post(body, headers=payloads.sign("test-signing-secret", body, timestamp=1_600_000_000))
    assert stale.status == 401
    unsigned = bot.post(body, signed=False)
    assert unsigned.status == 401
    assert entries(bot) == []
    assert bot.fake.calls == []


def test_database_down_echoes_the_text_back(fake_slack, tmp_path):
    from tests.harness.bot import BotHarness

    harness = BotHarness(fake_slack, f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        text = "The database was down when I wrote this"
        message = harness.command(text).json()  # the ack itself gives the words back
        assert "could not be saved" in message["text"]
        assert text in response_text(message)
        assert harness.get("/healthz").status == 503
    finally:
        harness.close()


def test_workspaces_do_not_see_each_other(bot):
    bot.command("Team one's secret mistake", team="T0001")
    bot.fake.wait_for_responses()
    other = bot.command("resume", team="T0002", key="other")  # the token is T0001's: T0002 is not served
    assert "isn't installed in this workspace" in other.json()["text"]
    assert "secret" not in other.body.decode()
    with bot.session_factory() as session:
        assert session.scalar(select(func.count(Entry.id))) == 1


def test_a_request_naming_another_org_than_the_tokens_is_refused(bot):
    # SLACK_BOT_TOKEN's workspace is in no Enterprise Grid org; org-wide installs are tested in test_installs.
    body = payloads.slash_command("Grid mistake", enterprise="E0001", response_url=bot.fake.response_url("grid"))
    assert "isn't installed" in bot.post(body).json()["text"]
    assert entries(bot) == []


def test_settings_command_opens_the_modal_for_admins_only(bot):
    bot.fake.users["U9"] = {"id": "U9", "team_id": "T0001", "name": "ada", "is_admin": True, "tz_offset": 0}
    bot.command("settings", user="U9", key="admin")
    [opened] = bot.fake.wait_for_views()
    assert opened["callback_id"] == "settings_modal"
    bot.fake.reset()
    bot.command("settings", user="U1", key="member")
    notice_shown(bot, "Only workspace admins and owners")
    assert bot.fake.responses == []


def test_quick_entries_are_dated_in_the_persons_time_zone(bot):
    from datetime import UTC, date, datetime

    bot.now = datetime(2024, 3, 1, 3, 0, tzinfo=UTC)  # still 29 February in Honolulu
    bot.fake.users["U1"] = {
        "id": "U1",
        "team_id": "T0001",
        "name": "kai",
        "tz": "Pacific/Honolulu",
        "tz_offset": -36000,
    }
    bot.command("Leap day outage")
    bot.fake.wait_for_responses()
    assert entries(bot)[0].happened_on == date(2024, 2, 29)


def test_what_slack_says_about_a_person_is_asked_once_for_several_records(bot):
    for n, user in enumerate(["U1", "U1", "U1", "U2"]):
        bot.command(f"Record {n}", user=user, key=f"r{n}")
        bot.drain()  # the date, the Nice job and the Home: done
    asked = [call.args["user"] for call in bot.fake.calls_to("users.info", ok_only=False)]
    assert asked == ["U1", "U2"]


def test_someone_made_an_admin_a_minute_ago_can_open_the_settings_at_once(bot):
    bot.command("Before the promotion", key="before")
    bot.drain()  # Slack's answer about U1 (not an admin) is kept
    bot.fake.users["U1"] = {"id": "U1", "team_id": "T0001", "name": "ada", "is_admin": True, "tz_offset": 0}
    bot.fake.reset()
    bot.command("settings", key="settings")
    [shown] = bot.fake.wait_for_views()
    assert shown["callback_id"] == "settings_modal"  # an admin gate asks Slack afresh


def test_a_subcommand_followed_by_words_it_does_not_take_saves_nothing_and_says_so(bot):
    for n, text in enumerate(("resume 24", "export now", "settings please", "resume last year")):
        assert typo_answer(bot, text, f"typo{n}")["text"].startswith("Nothing was saved")
    assert entries(bot) == []


def test_export_keeps_user_text_from_becoming_markdown(bot):
    bot.submit_entry(what="# Not a heading\n- not a list", lesson="> not a quote", when="2022-02-02")
    bot.fake.wait_for("views.publish")
    bot.command("export", key="export")
    bot.fake.wait_for("files.completeUploadExternal")
    document = uploaded(bot.fake, ".md")
    markdown = document.decode()
    assert "\\# Not a heading\n\\- not a list" in markdown
    assert "\\> not a quote" in markdown
    assert "\n# Not a heading" not in markdown


def test_a_resume_page_read_alone_is_the_page_of_the_whole_resume(bot):
    from datetime import date

    from bot.blocks.resume import RESUME_PAGE_SIZE, build_resume_message, build_resume_page
    from bot.domain.entries import resume_page
    from bot.i18n import ENGLISH
    from storage.repository import entries as entry_store
    from storage.types import Workspace

    for n in range(23):
        seed(bot, f"Mistake {n}", date(2020 + n % 4, 1 + n % 12, 1 + n))
    ws = Workspace("", "T0001")
    with bot.session_factory() as session:
        everything = entry_store.list_entries(session, ws, "U1")
    for year, page in ((None, 0), (None, 1), (None, 2), (None, 9), (2021, 0), (2030, 0)):
        shown = resume_page(bot.session_factory, ws, "U1", year, page, RESUME_PAGE_SIZE)
        alone = build_resume_page(ENGLISH, shown.entries, shown.per_year, shown.total, year=year, page=shown.page)
        of_year = [e for e in everything if year is None or e.happened_on.year == year]
        assert alone == build_resume_message(ENGLISH, of_year, year=year, page=page), (year, page)
