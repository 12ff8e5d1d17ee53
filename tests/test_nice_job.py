"""Teammates' "Nice job" on digest entries, and an admin's "Post digest now", over signed HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.slack.api import build_web_client
from bot.tasks.team_digest import post_team_digest
from storage.models import Acknowledgement, Entry
from storage.repository import Workspace
from tests import payloads
from tests.conftest import TOKEN
from tests.rows import seed

WS = Workspace(enterprise_id="", team_id="T0001")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def share(bot, user: str, visibility: str, what: str) -> int:
    entry_id = seed(bot, what, user=user, visibility=visibility, lesson=f"Lesson of {what}")
    with bot.session_factory.begin() as session:
        session.get(Entry, entry_id).shared_at = NOW
    return entry_id


def post_digest(bot) -> dict:
    client = build_web_client(TOKEN, bot.fake.url)
    assert post_team_digest(bot.session_factory, client, WS, NOW, "CRETRO") == "posted"
    call = bot.fake.calls_to("chat.postMessage")[-1]
    return {"ts": "1700000000.000100", "text": call.args["text"], "blocks": call.args["blocks"]}


def press(bot, message: dict, entry_id: int, user: str) -> None:
    payload = payloads.block_actions(
        payloads.button("nice_job_button", str(entry_id)),
        user=user,
        response_url=bot.fake.response_url(f"press-{user}"),
    )
    payload["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": "CRETRO"}
    payload["channel"] = {"id": "CRETRO", "name": "retro"}
    payload["message"] = {"type": "message", **message}
    assert bot.interact(payload).status == 200


def nice_job_label(update_call, entry_id: int) -> str:
    block = next(b for b in update_call.args["blocks"] if b.get("block_id") == f"digest_entry_{entry_id}")
    return block["accessory"]["text"]["text"]


def acknowledgements(bot) -> int:
    with bot.session_factory() as session:
        return session.scalar(select(func.count(Acknowledgement.id)))


def test_nice_job_counts_once_per_teammate_and_tells_the_author(bot):
    entry_id = share(bot, "UAUTHOR", "named", "Broke the build")
    message = post_digest(bot)
    bot.fake.reset()
    press(bot, message, entry_id, "UTEAM1")
    [update] = bot.fake.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("CRETRO", message["ts"])
    assert nice_job_label(update, entry_id) == "👏 Nice job · 1"
    [told] = bot.fake.wait_for("chat.postMessage")
    assert told.args["channel"] == "UAUTHOR" and "1 teammate said Nice job" in told.args["text"]

    press(bot, message, entry_id, "UTEAM1")  # a second press does nothing
    press(bot, message, entry_id, "UAUTHOR")  # nor does the author's own
    press(bot, message, entry_id, "UTEAM2")
    updates = bot.fake.wait_for("chat.update", count=2)
    assert len(updates) == 2 and nice_job_label(updates[1], entry_id) == "👏 Nice job · 2"
    assert "2 teammates said Nice job" in bot.fake.wait_for("chat.postMessage", count=2)[1].args["text"]
    assert acknowledgements(bot) == 2


def test_nice_job_on_an_anonymous_entry_never_reveals_the_author(bot):
    ids = [share(bot, f"UANON{n}", "anonymous", f"Anonymous {n}") for n in range(3)]
    message = post_digest(bot)
    bot.fake.reset()
    press(bot, message, ids[0], "UPRESSER")
    [update] = bot.fake.wait_for("chat.update")
    [told] = bot.fake.wait_for("chat.postMessage")
    assert told.args["channel"] == "UANON0"
    assert "UANON" not in json.dumps(update.args)
    assert bot.fake.responses == []  # the presser is told nothing


def test_nice_job_on_entries_not_in_a_digest_here_changes_nothing(bot, caplog):
    private = share(bot, "UAUTHOR", "private", "Private")
    undigested = share(bot, "UAUTHOR", "named", "Not yet in a digest")
    other = seed(bot, "Other workspace", user="UAUTHOR", team="T0002", visibility="named")
    message = {"ts": "1700000000.000100", "text": "x", "blocks": []}
    for entry_id in (private, undigested, other, 0):
        press(bot, message, entry_id, "UTEAM1")
    bot.command("help", key="sync")  # a later request: everything before it has been handled
    bot.fake.wait_for_responses()
    assert acknowledgements(bot) == 0
    assert bot.fake.calls_to("chat.update") == [] and bot.fake.calls_to("chat.postMessage") == []


def home_button(bot, user: str) -> None:
    payload = payloads.block_actions(payloads.button("post_digest_button"), user=user, container="view")
    assert bot.interact(payload).status == 200


def test_an_admin_posts_the_digest_now_from_the_home_tab(bot):
    bot.fake.users["UADMIN"] = {"id": "UADMIN", "team_id": "T0001", "name": "ada", "is_admin": True}
    from storage import repository as repo

    with bot.session_factory.begin() as session:
        repo.save_settings(session, WS, "UADMIN", NOW, retro_channel="CRETRO")
    share(bot, "UAUTHOR", "named", "Posted on demand")
    home_button(bot, "UADMIN")
    calls = bot.fake.wait_for("chat.postMessage", count=2)
    assert calls[0].args["channel"] == "CRETRO" and "Posted on demand" in json.dumps(calls[0].args)
    assert calls[1].args["channel"] == "UADMIN" and "posted" in calls[1].args["text"]


def test_a_member_cannot_post_the_digest(bot):
    share(bot, "UAUTHOR", "named", "Not posted")
    home_button(bot, "UMEMBER")
    [refusal] = bot.fake.wait_for("chat.postMessage")
    assert refusal.args["channel"] == "UMEMBER" and "Only workspace admins" in refusal.args["text"]
    with bot.session_factory() as session:
        assert session.scalar(select(Entry.digest_id)) is None


def test_every_count_in_the_message_is_fresh_and_a_failed_dm_is_not_the_pressers_problem(bot):
    first = share(bot, "UAUTHOR", "named", "First")
    second = share(bot, "UGONE", "named", "Second")
    message = post_digest(bot)
    bot.fake.reset()
    press(bot, message, first, "UTEAM1")
    bot.fake.wait_for("chat.update")
    # The second press carries the message as it was before the first press was shown.
    bot.fake.queue_failure("chat.postMessage", error="user_not_found")
    press(bot, message, second, "UTEAM2")
    updates = bot.fake.wait_for("chat.update", count=2)
    assert nice_job_label(updates[1], first) == "👏 Nice job · 1"
    assert nice_job_label(updates[1], second) == "👏 Nice job · 1"
    bot.command("help", key="sync")
    bot.fake.wait_for_responses()
    assert [key for key, _ in bot.fake.responses] == ["sync"]  # no apology to the presser
