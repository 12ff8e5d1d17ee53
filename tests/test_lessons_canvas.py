"""The lessons canvas in the retro channel, rewritten after each digest, against a real database and the
fake Slack Web API: created once then edited, read-only for the channel, the digest's privacy rules, a
canvas someone deleted, and a workspace without canvases:write or without canvases at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.blocks.lessons_canvas import CANVAS_LESSONS_MAX, build_lessons_canvas
from bot.blocks.settings_modal import build_settings_modal
from bot.domain.digest import DigestItem
from bot.domain.workspace_settings import lessons_canvas_state
from bot.i18n import translator
from bot.slack.api import build_web_client
from bot.tasks.team_digest import post_team_digest
from storage.models import Entry, LessonsCanvas, WorkspaceSettings
from storage.types import Workspace
from tests.harness.clicks import choice, submit_dialog
from tests.harness.config import TOKEN
from tests.harness.people import member
from tests.harness.waits import wait_until
from tests.rows import seed

WS = Workspace(enterprise_id="", team_id="T0001")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
CANVAS_METHODS = ("canvases.create", "canvases.edit", "canvases.access.set", "canvases.delete")


def share(sf, user: str, visibility: str, what: str, category: str = "data", lesson: str | None = None) -> int:
    entry_id = seed(sf, what, user=user, visibility=visibility, lesson=lesson or f"Lesson of {what}", category=category)
    with sf.begin() as session:
        session.get(Entry, entry_id).shared_at = NOW - timedelta(days=1)
    return entry_id


def digest(sf, client, now: datetime = NOW) -> None:
    assert post_team_digest(sf, client, WS, now, "CRETRO") == "posted"


def canvas_calls(fake, ok_only: bool = True) -> list:
    return [call for call in fake.calls if call.method in CANVAS_METHODS and (call.ok or not ok_only)]


def the_canvas(fake) -> dict:
    [canvas_id] = fake.canvas_ids
    return fake.canvas(canvas_id)


def kept(sf) -> LessonsCanvas | None:
    with sf() as session:
        return session.get(LessonsCanvas, ("", "T0001"))


def test_two_digests_create_the_canvas_once_then_edit_it_read_only_for_the_channel(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named", "Dropped the index", category="data")
    digest(sf, client)
    [created] = fake_slack.calls_to("canvases.create")
    assert created.args["channel_id"] == "CRETRO" and created.args["title"] == "Lessons the team learned"
    assert created.args["document_content"]["type"] == "markdown"
    [canvas_id] = fake_slack.canvas_ids
    assert fake_slack.canvas(canvas_id)["access"] == {"CRETRO": "read"}
    assert kept(sf).canvas_id == canvas_id and kept(sf).channel == "CRETRO" and kept(sf).problem is None

    share(sf, "UOTHER", "named", "Paged the wrong rotation", category="data")
    share(sf, "UOTHER", "named", "Missed the visa deadline", category="career")
    digest(sf, client, NOW + timedelta(days=30))
    assert len(fake_slack.calls_to("canvases.create")) == 1
    [edit] = fake_slack.calls_to("canvases.edit")
    assert edit.args["canvas_id"] == canvas_id
    [change] = edit.args["changes"]
    assert change["operation"] == "replace" and "section_id" not in change
    markdown = fake_slack.canvas(canvas_id)["markdown"]
    assert markdown == change["document_content"]["markdown"]
    # One section per category in the digest's order; newest first within each; authors as canvas mentions.
    assert markdown.index("## Data") < markdown.index("Paged the wrong rotation") < markdown.index("Dropped the index")
    assert markdown.index("Dropped the index") < markdown.index("## Career") < markdown.index("Missed the visa")
    assert "**![](@UNAMED) learned:** Lesson of Dropped the index" in markdown
    assert "  - _What happened:_ Dropped the index" in markdown
    assert fake_slack.canvas(canvas_id)["access"] == {"CRETRO": "read"}


def test_private_entries_never_appear_and_anonymous_ones_never_with_their_author(job, fake_slack):
    sf, client = job
    fake_slack.users.update({user: member(user) for user in ("UHIDDENA", "UHIDDENB", "UHIDDENC", "USECRET")})
    share(sf, "UNAMED", "named", "Named mistake")
    share(sf, "UHIDDENA", "anonymous", "First anonymous")
    share(sf, "UHIDDENB", "anonymous", "Second anonymous")
    share(sf, "USECRET", "private", "Private mistake")
    digest(sf, client)
    first = the_canvas(fake_slack)["markdown"]
    assert "Named mistake" in first
    assert "anonymous" not in first.replace("anonymous lessons never name", "")  # two people: not yet a crowd

    share(sf, "UHIDDENC", "anonymous", "Third anonymous")
    digest(sf, client, NOW + timedelta(days=30))
    second = the_canvas(fake_slack)["markdown"]
    for what in ("First anonymous", "Second anonymous", "Third anonymous"):
        assert f"**We learned:** Lesson of {what}" in second
    everything = json.dumps([call.args for call in canvas_calls(fake_slack, ok_only=False)], ensure_ascii=False)
    for author in ("UHIDDENA", "UHIDDENB", "UHIDDENC"):
        assert author not in everything and member(author)["real_name"] not in everything
        assert member(author)["name"] not in everything.lower()
    assert "Private mistake" not in everything and "USECRET" not in everything


def test_an_entry_made_private_or_deleted_after_a_digest_leaves_the_canvas_at_once(bot):
    sf, client = bot.session_factory, build_web_client(TOKEN, bot.fake.url)
    regretted = share(sf, "U1", "named", "Regretted sharing this")
    deleted = share(sf, "U2", "named", "Deleted since")
    digest(sf, client)
    assert "Regretted sharing this" in the_canvas(bot.fake)["markdown"]

    visibility = {"visibility_block": choice("visibility_input", "radio_buttons", "private")}
    answer = submit_dialog(bot, "change_visibility_modal", visibility, json.dumps({"entry_id": regretted}))
    assert answer.status == 200
    # Rewritten by the change's own follow-up, not left for the next digest.
    wait_until(lambda: "Regretted sharing this" not in the_canvas(bot.fake)["markdown"], what="the canvas rewritten")
    with sf.begin() as session:
        assert session.get(Entry, regretted).visibility == "private"
    answer = submit_dialog(bot, "delete_entry_modal", {}, json.dumps({"entry_id": deleted}), user="U2")
    assert answer.status == 200
    wait_until(lambda: "Deleted since" not in the_canvas(bot.fake)["markdown"], what="the deleted lesson gone")
    share(sf, "U3", "named", "Something new to post")
    digest(sf, client, NOW + timedelta(days=30))
    markdown = the_canvas(bot.fake)["markdown"]
    assert "Something new to post" in markdown
    assert "Regretted sharing this" not in markdown and "Deleted since" not in markdown


def test_a_canvas_someone_deleted_is_made_again(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named", "First lesson")
    digest(sf, client)
    [first] = fake_slack.canvas_ids
    fake_slack.delete_canvas(first)

    share(sf, "UNAMED", "named", "Second lesson")
    digest(sf, client, NOW + timedelta(days=30))
    assert [c.error for c in fake_slack.calls_to("canvases.edit", ok_only=False)] == ["canvas_not_found"]
    [second] = fake_slack.canvas_ids
    assert second != first and kept(sf).canvas_id == second
    canvas = fake_slack.canvas(second)
    assert canvas["access"] == {"CRETRO": "read"} and canvas["channel"] == "CRETRO"
    assert "First lesson" in canvas["markdown"] and "Second lesson" in canvas["markdown"]


def test_a_new_retro_channel_gets_its_own_canvas_and_the_old_one_goes(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named", "First lesson")
    digest(sf, client)
    [old] = fake_slack.canvas_ids
    share(sf, "UNAMED", "named", "Second lesson")
    assert post_team_digest(sf, client, WS, NOW + timedelta(days=30), "CNEWRETRO") == "posted"
    assert [c.args["canvas_id"] for c in fake_slack.calls_to("canvases.delete")] == [old]
    [new] = fake_slack.canvas_ids
    assert fake_slack.canvas(new)["channel"] == "CNEWRETRO" and fake_slack.canvas(new)["access"] == {
        "CNEWRETRO": "read"
    }
    assert (kept(sf).canvas_id, kept(sf).channel) == (new, "CNEWRETRO")


def test_without_canvases_write_the_digest_goes_out_alone_and_the_settings_say_why(bot):
    sf, client = bot.session_factory, build_web_client(TOKEN, bot.fake.url)
    bot.fake.users["U1"] = member("U1", is_admin=True)
    bot.fake.withhold_scopes("canvases:write")
    share(sf, "U2", "named", "Shared lesson")
    digest(sf, client)
    assert bot.fake.calls_to("chat.postMessage")[0].args["channel"] == "CRETRO"
    assert canvas_calls(bot.fake) == [] and bot.fake.canvas_ids == []
    assert {c.error for c in canvas_calls(bot.fake, ok_only=False)} == {"missing_scope"}
    assert "canvases:write" in settings_canvas_line(bot)

    bot.fake.scopes += ("canvases:write",)  # an admin reinstalled the app and allowed it
    share(sf, "U2", "named", "Another lesson")
    digest(sf, client, NOW + timedelta(days=30))
    assert "Shared lesson" in the_canvas(bot.fake)["markdown"]
    assert "<#CRETRO>" in settings_canvas_line(bot)


def settings_canvas_line(bot) -> str:
    bot.fake.reset()
    assert bot.command("settings").status == 200
    view = bot.fake.wait_for_views()[0]
    [line] = [b for b in view["blocks"] if b.get("block_id") == "lessons_canvas_block"]
    return line["elements"][0]["text"]


def test_a_plan_without_canvases_keeps_the_digest_and_says_why(job, fake_slack):
    sf, client = job
    fake_slack.canvases_refused = "team_tier_cannot_create_canvases"
    share(sf, "UNAMED", "named", "Shared lesson")
    digest(sf, client)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1 and fake_slack.canvas_ids == []
    assert lessons_canvas_state(sf, WS) == (None, "no_canvases")
    view = build_settings_modal(translator("en"), WorkspaceSettings(language="en"), canvas_problem="no_canvases")
    [line] = [b for b in view["blocks"] if b.get("block_id") == "lessons_canvas_block"]
    assert "plan has no canvases" in line["elements"][0]["text"]


def test_slack_down_for_the_canvas_never_fails_or_repeats_the_digest(job, fake_slack):
    sf, client = job
    share(sf, "UNAMED", "named", "Shared lesson")
    for _ in range(5):  # more than the client's retries
        fake_slack.queue_failure("canvases.create", status=500)
    digest(sf, client)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1 and fake_slack.canvas_ids == []
    assert kept(sf) is None  # nothing to explain: the next digest makes it
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "nothing"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_words_in_an_entry_never_mention_anyone_or_shape_the_canvas(job, fake_slack):
    sf, client = job
    share(
        sf,
        "UNAMED",
        "named",
        "<!channel> broke it, ask <@U999> or ![](@U999) in ![](#C999) [here](https://x.test)",
        lesson="# Not a heading\n- not a list <!here> **not bold** | not | a table",
    )
    digest(sf, client)
    markdown = the_canvas(fake_slack)["markdown"]
    for mention in ("<!channel>", "<!here>", "<@U999>", "![](@U999)", "![](#C999)", "[here]("):
        assert mention not in markdown
    assert "\\<\\!channel\\> broke it" in markdown and "\\!\\[\\]\\(@U999\\)" in markdown
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == ["## Data"]
    assert all(line.startswith(("- ", "  - ", "## ")) for line in markdown.splitlines()[2:] if line)


def test_the_canvas_keeps_the_newest_lessons_and_says_how_many_more_in_the_workspaces_language():
    items = [
        DigestItem(n, "data", f"Mistake {n}", f"Lesson {n}", (), (), None if n % 2 else f"U{n}")
        for n in range(CANVAS_LESSONS_MAX + 5)
    ]
    markdown = build_lessons_canvas(translator("en"), items)
    assert "Lesson 0\n" in markdown and f"Lesson {CANVAS_LESSONS_MAX - 1}\n" in markdown
    assert f"Lesson {CANVAS_LESSONS_MAX}\n" not in markdown
    assert markdown.rstrip().endswith("…and 5 earlier lessons, in earlier digests.")
    korean = build_lessons_canvas(translator("ko"), items[:2])
    assert "우리가 배운 점:" in korean and "![](@U0)님이 배운 점:" in korean
    assert build_lessons_canvas(translator("en"), []).rstrip().endswith("No lessons shared yet.")


def test_a_long_lesson_is_cut_within_the_canvas():
    item = DigestItem(1, "data", "x" * 5000, "y" * 5000, (), (), "U1")
    markdown = build_lessons_canvas(translator("en"), [item])
    assert "x" * 599 + "…" in markdown and "x" * 600 not in markdown
    assert len(markdown) < 2000  # the canvas stays a page, not a dump


def test_a_rewrite_slack_fails_is_tried_again_until_the_lesson_has_left(bot, monkeypatch):
    import bot.tasks as tasks_module

    monkeypatch.setattr(tasks_module, "RETRY_DELAY_SECONDS", 0.2)
    sf, client = bot.session_factory, build_web_client(TOKEN, bot.fake.url)
    regretted = share(sf, "U1", "named", "Regretted at once")
    digest(sf, client)
    for _ in range(4):  # past the Web API client's own retries
        bot.fake.queue_failure("canvases.edit", status=500)
    visibility = {"visibility_block": choice("visibility_input", "radio_buttons", "private")}
    assert submit_dialog(bot, "change_visibility_modal", visibility, json.dumps({"entry_id": regretted})).status == 200
    wait_until(lambda: "Regretted at once" not in the_canvas(bot.fake)["markdown"], what="the canvas rewritten")


def test_a_lesson_made_private_while_a_rewrite_lands_still_leaves_the_canvas(job, fake_slack):
    """A rewrite of the lessons as they were read lands after the change: it reads them again and
    writes once more, so the older words do not stay."""
    import threading

    from bot.tasks.lessons_canvas import rewrite_lessons_canvas

    sf, client = job
    regretted = share(sf, "U1", "named", "Private by the time it lands")
    digest(sf, client)
    assert "Private by the time it lands" in the_canvas(fake_slack)["markdown"]
    fake_slack.set_delay("canvases.edit", 1.0)
    rewrite = threading.Thread(target=rewrite_lessons_canvas, args=(sf, client, WS, "CRETRO", NOW))
    rewrite.start()
    wait_until(lambda: fake_slack.arrived.get("canvases.edit"), what="the rewrite's edit on its way")
    with sf.begin() as session:  # made private while the rewrite's edit is on its way
        session.get(Entry, regretted).visibility = "private"
    rewrite.join(timeout=60)
    assert "Private by the time it lands" not in the_canvas(fake_slack)["markdown"]


def test_an_admins_post_digest_now_writes_the_canvas(bot):
    """Over a signed request, as an admin would: *Post digest now* in the App Home, then the canvas."""
    from tests import payloads
    from tests.harness.clicks import home_click

    bot.fake.users["U1"] = payloads.ADMIN
    share(bot.session_factory, "U2", "named", "Shared before the button")
    with bot.session_factory.begin() as session:
        session.merge(WorkspaceSettings(enterprise_id="", team_id="T0001", retro_channel="CRETRO"))
    assert home_click(bot, payloads.button("post_digest_button")).status == 200
    wait_until(lambda: bot.fake.canvas_ids, what="the lessons canvas made")
    markdown = the_canvas(bot.fake)["markdown"]
    assert "Shared before the button" in markdown and "![](@U2)" in markdown
