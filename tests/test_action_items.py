"""Action items as tracked items, over signed HTTP: the modal from the entry's menu, the App Home's
open items with Done, "Did it help?" a month later, the digest's follow-up, and the migration."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import text

from bot.blocks.action_items import item_block_id
from bot.slack.api import build_web_client
from bot.tasks.team_digest import post_team_digest
from storage.db import make_engine
from storage.migrate import alembic_config, upgrade_to_head
from storage.models import ActionItem, Digest, Entry
from storage.types import Workspace
from tests import payloads
from tests.harness.config import TOKEN
from tests.harness.jobs import NOW as PROMPT_DAY
from tests.harness.jobs import run
from tests.harness.people import member
from tests.rows import seed

WS = Workspace(enterprise_id="", team_id="T0001")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def items(bot) -> list[ActionItem]:
    with bot.session_factory() as session:
        return list(session.query(ActionItem).order_by(ActionItem.id))


def open_items_modal(bot, entry_id: int, user: str = "U1") -> dict:
    menu = payloads.block_actions(payloads.overflow(f"action_items:{entry_id}"), user=user, container="view")
    assert bot.interact(menu).status == 200
    return bot.fake.wait_for_views()[0]


def status_choice(value: str) -> dict:
    return {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}


def submit_items(bot, entry_id: int, values: dict, user: str = "U1"):
    metadata = json.dumps({"entry_id": entry_id})
    submission = payloads.view_submission(
        values, callback_id="action_items_modal", private_metadata=metadata, user=user
    )
    return bot.interact(submission)


def item_values(item_id: int, status: str = "open", due: str | None = None, owner: str | None = None) -> dict:
    values = {
        item_block_id(item_id, "due"): {"item_due_input": {"type": "datepicker", "selected_date": due}},
        item_block_id(item_id, "status"): {"item_status_input": status_choice(status)},
    }
    if owner:
        values[item_block_id(item_id, "owner")] = {"item_owner_input": {"type": "users_select", "selected_user": owner}}
    return values


def test_the_entry_menu_opens_the_items_with_owner_due_date_and_status_and_saves_them(bot):
    entry_id = seed(bot, "The cache fell over", visibility="named", items=("Add a kill switch", "Alert on misses"))
    first, second = items(bot)
    assert (first.owner_id, first.status, first.due_on) == ("U1", "open", None)
    view = open_items_modal(bot, entry_id)
    assert view["callback_id"] == "action_items_modal"
    ids = [b.get("block_id") for b in view["blocks"]]
    assert item_block_id(first.id, "owner") in ids and item_block_id(second.id, "status") in ids

    answer = submit_items(
        bot,
        entry_id,
        {**item_values(first.id, "open", "2026-12-01", owner="U2"), **item_values(second.id, "done", owner="U1")},
    )
    assert answer.status == 200 and not (answer.json() or {}).get("response_action")
    first, second = items(bot)
    assert (first.owner_id, first.due_on, first.status) == ("U2", date(2026, 12, 1), "open")
    assert second.status == "done" and second.done_at is not None
    [nice] = [c for c in bot.fake.wait_for("chat.postMessage") if c.args["channel"] == "U1"]
    assert "Nice job! Done: Alert on misses" in nice.args["text"]


def test_a_private_or_anonymous_entrys_items_stay_with_their_author(bot):
    entry_id = seed(bot, "Private one", items=("A private step",))
    view = open_items_modal(bot, entry_id)
    assert not any(b.get("block_id", "").endswith("_owner_block") for b in view["blocks"])
    [item] = items(bot)
    forged = {
        **item_values(item.id),
        item_block_id(item.id, "owner"): {"item_owner_input": {"type": "users_select", "selected_user": "U2"}},
    }
    assert submit_items(bot, entry_id, forged).status == 200
    assert items(bot)[0].owner_id == "U1"


def test_someone_else_cannot_change_an_entrys_items_and_bad_values_get_field_errors(bot):
    entry_id = seed(bot, "Mine", visibility="named", items=("Step",))
    [item] = items(bot)
    refused = submit_items(bot, entry_id, item_values(item.id, "done", owner="U2"), user="U2")
    assert refused.status == 200 and items(bot)[0].status == "open"
    bad = submit_items(bot, entry_id, {**item_values(item.id, "finished", "2026-13-45", owner="nobody")})
    body = bad.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {item_block_id(item.id, f) for f in ("owner", "due", "status")}
    assert items(bot)[0].status == "open"


def test_the_home_lists_open_items_oldest_first_with_done_which_says_nice_job(bot):
    seed(bot, "Older", date(2023, 1, 1), items=("Oldest step",))
    seed(bot, "Newer", date(2024, 1, 1), items=("Newer step", "Done already"))
    seed(bot, "Theirs", user="U2", items=("Not mine",))
    with bot.session_factory.begin() as session:
        done = session.query(ActionItem).filter_by(text="Done already").one()
        done.status, done.done_at = "done", NOW
    press_home = payloads.block_actions(payloads.button("clear_search_button"), container="view")
    assert bot.interact(press_home).status == 200
    [home] = bot.fake.wait_for("views.publish")
    blocks = home.args["view"]["blocks"]
    heading = next(
        n for n, b in enumerate(blocks) if b["type"] == "header" and "Open action items" in b["text"]["text"]
    )
    listed = [b["text"]["text"] for b in blocks[heading + 1 : heading + 3]]
    assert listed == ["☐ Oldest step", "☐ Newer step"] and "Not mine" not in json.dumps(blocks)
    done_button = blocks[heading + 1]["accessory"]
    assert done_button["action_id"] == "action_item_done_button"

    assert bot.interact(payloads.block_actions(done_button, container="view")).status == 200
    nice = [c for c in bot.fake.wait_for("chat.postMessage") if c.args["channel"] == "U1"][-1]
    assert "Nice job! Done: Oldest step" in nice.args["text"]
    home = bot.fake.wait_for("views.publish", count=2)[1]
    wire = json.dumps(home.args["view"]["blocks"], ensure_ascii=False)
    open_part, _, done_part = wire.split("Open action items")[1].split("divider")[0].partition("Done lately")
    # Done, it leaves the open items for the ones done lately, marked done, with no Done button.
    assert "Oldest step" not in open_part and "☑ Oldest step" in done_part and "action_item_done" not in done_part


def test_a_teammate_given_an_item_sees_it_in_their_home_and_can_mark_it_done(bot):
    entry_id = seed(bot, "Named one", visibility="named", items=("Their step",))
    [item] = items(bot)
    submit_items(bot, entry_id, item_values(item.id, owner="U2"))
    assert (
        bot.interact(payloads.block_actions(payloads.button("clear_search_button"), user="U2", container="view")).status
        == 200
    )
    home = [c for c in bot.fake.wait_for("views.publish", count=2) if c.args["user_id"] == "U2"][-1]
    assert "Their step" in json.dumps(home.args["view"]["blocks"]) and "Named one" not in json.dumps(home.args["view"])
    done = payloads.block_actions(payloads.button("action_item_done_button", str(item.id)), user="U2", container="view")
    assert bot.interact(done).status == 200
    assert items(bot)[0].status == "done"
    stranger = payloads.block_actions(
        payloads.button("action_item_done_button", str(item.id)), user="U3", container="view"
    )
    with bot.session_factory.begin() as session:
        session.get(ActionItem, item.id).status = "open"
    assert bot.interact(stranger).status == 200
    assert items(bot)[0].status == "open"


# -- "Did it help?" in the monthly prompt


def test_the_prompt_asks_once_whether_an_item_done_a_month_ago_helped(job, fake_slack):
    sf, _client = job
    fake_slack.users["U1"] = member("U1")
    entry_id = seed(
        sf, "The cache fell over", date(2026, 9, 1), lesson="Kill switch", items=("Add a kill switch", "Recent")
    )
    with sf.begin() as session:
        first, second = session.get(Entry, entry_id).action_items
        first.status, first.done_at = "done", PROMPT_DAY - timedelta(days=31)
        second.status, second.done_at = "done", PROMPT_DAY - timedelta(days=3)  # too recent to ask
        first_id = first.id
    run(job, PROMPT_DAY)
    [call] = fake_slack.calls_to("chat.postMessage")
    wire = json.dumps(call.args["blocks"])
    assert "A month ago we did this: Add a kill switch. Did it help?" in wire and "did this: Recent" not in wire
    # The item done lately is still shown, marked done.
    assert "\\u2611 Recent" in wire
    values = [e["value"] for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [f"{first_id}:yes", f"{first_id}:not_yet", f"{first_id}:no"] == [
        v for v in values if v.startswith(f"{first_id}:")
    ]
    with sf() as session:
        assert session.get(ActionItem, first_id).helped_asked_at is not None
    run(job, PROMPT_DAY + timedelta(days=30))  # next month: not asked again
    # December's prompt comes with the year in review, to the same DM: prompts only.
    calls = [c for c in fake_slack.calls_to("chat.postMessage") if not c.args["text"].endswith(" in failures")]
    later = json.dumps(calls[-1].args["blocks"])
    assert len(calls) == 2 and "Add a kill switch" not in later and "this: Recent. Did it help?" in later


def test_the_answer_to_did_it_help_is_kept_with_the_item(bot):
    seed(bot, "X", items=("Step",))
    [item] = items(bot)
    for value in (f"{item.id}:not_yet", "garbage", f"{item.id}:maybe"):
        press = payloads.block_actions(
            payloads.button("item_helped_button", value), response_url=bot.fake.response_url("h")
        )
        assert bot.interact(press).status == 200
    assert items(bot)[0].helped == "not_yet"
    other = payloads.block_actions(
        payloads.button("item_helped_button", f"{item.id}:no"), user="U2", response_url=bot.fake.response_url("o")
    )
    assert bot.interact(other).status == 200
    assert items(bot)[0].helped == "not_yet"


# -- the digest follows up


def test_the_digest_counts_shared_items_done_since_the_last_one_and_the_safeguards_trend(bot):
    sf = bot.session_factory
    client = build_web_client(TOKEN, bot.fake.url)
    earlier = seed(
        bot, "Earlier shared", user="U2", visibility="named", items=("One", "Two", "Three"), safeguards=("tests",)
    )
    private = seed(bot, "Private with items", user="U3", items=("Hidden",), safeguards=("tests",))
    with sf.begin() as session:
        session.get(Entry, earlier).shared_at = NOW - timedelta(days=40)
    assert post_team_digest(sf, client, WS, NOW - timedelta(days=30), "CRETRO") == "posted"
    with sf.begin() as session:
        one, two, _three = session.get(Entry, earlier).action_items
        one.status, one.done_at = "done", NOW - timedelta(days=10)
        two.status, two.done_at = "done", NOW - timedelta(days=40)  # before the last digest: not counted
        hidden = session.get(Entry, private).action_items[0]
        hidden.status, hidden.done_at = "done", NOW - timedelta(days=5)  # private: never counted
        session.get(Digest, session.get(Entry, earlier).digest_id).posted_at = NOW - timedelta(days=30)
    new = seed(bot, "New shared", user="U4", visibility="named", safeguards=("tests", "monitoring"))
    with sf.begin() as session:
        session.get(Entry, new).shared_at = NOW - timedelta(days=1)
    assert post_team_digest(sf, client, WS, NOW, "CRETRO") == "posted"
    digest = bot.fake.calls_to("chat.postMessage")[-1]
    contexts = [b["elements"][0]["text"] for b in digest.args["blocks"] if b["type"] == "context"]
    follow_up = next(c for c in contexts if "done since the last one" in c)
    assert "1 action item from earlier digests done since the last one · 1 still open" in follow_up
    assert "over the last 2 digests" in follow_up and "1 → 1" in follow_up and "0 → 1" in follow_up


# -- the migration


def test_the_migration_makes_existing_action_items_open_items_owned_by_their_author_and_back(database_url):
    config = alembic_config(database_url)
    command.downgrade(config, "0005")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO entries (id, enterprise_id, team_id, user_id, what_happened, category, happened_on, "
                "safeguards, visibility, created_at, updated_at) VALUES (1, '', 'T1', 'UAUTHOR', 'w', 'other', "
                "'2024-01-01', '[]', 'private', '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO action_items (id, entry_id, position, text, done_at) VALUES "
                "(1, 1, 0, 'open one', NULL), (2, 1, 1, 'done one', '2024-02-01 00:00:00')"
            )
        )
    upgrade_to_head(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT text, owner_id, status FROM action_items ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("open one", "UAUTHOR", "open"), ("done one", "UAUTHOR", "done")]
    command.downgrade(config, "0005")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT text, done_at IS NOT NULL FROM action_items ORDER BY id")).all()
    assert [(r[0], bool(r[1])) for r in rows] == [("open one", False), ("done one", True)]
    upgrade_to_head(database_url)
    engine.dispose()


def test_a_home_with_thirty_years_and_open_items_stays_within_slacks_hundred_blocks(bot):
    for year in range(1990, 2026):
        seed(bot, f"Mistake of {year}", date(year, 6, 1), items=(f"Step of {year}",))
    assert bot.interact(payloads.block_actions(payloads.button("clear_search_button"), container="view")).status == 200
    [home] = bot.fake.wait_for("views.publish")
    blocks = home.args["view"]["blocks"]
    assert len(blocks) <= 100
    done_buttons = [b for b in blocks if (b.get("accessory") or {}).get("action_id") == "action_item_done_button"]
    assert "Showing the 28 most recent of 36" in json.dumps(blocks[-1]) and len(done_buttons) == 5


def test_an_item_given_to_a_teammate_comes_back_to_the_author_when_the_entry_stops_being_named(bot):
    entry_id = seed(bot, "Named one", visibility="named", items=("Their step",))
    [item] = items(bot)
    submit_items(bot, entry_id, item_values(item.id, owner="U2"))
    assert items(bot)[0].owner_id == "U2"
    metadata = json.dumps({"entry_id": entry_id})
    anonymous = {
        "visibility_block": {
            "visibility_input": {
                "type": "radio_buttons",
                "selected_option": {"text": {"type": "plain_text", "text": "anonymous"}, "value": "anonymous"},
            }
        }
    }
    submission = payloads.view_submission(anonymous, callback_id="change_visibility_modal", private_metadata=metadata)
    assert bot.interact(submission).status == 200
    assert items(bot)[0].owner_id == "U1"
