"""Action items as tracker issues, over signed Slack requests against the fake Slack and local fake
GitHub, Jira and Linear APIs: an admin connects a tracker in the settings (its token sealed, never
shown again), *Create issue* makes one issue however often it is pressed, the tracker's trouble gets a
clear answer and loses nothing, and a closed issue (webhook or hourly check) makes its item done."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage.models import TrackerConnection
from storage.types import Workspace
from tests import payloads
from tests.harness.bot import BotHarness
from tests.harness.clicks import settings_values, submit_dialog
from tests.harness.trackers import (
    OWN_SECRET,
    connect,
    connect_github,
    issues_made,
    item_rows,
    press_create,
    told,
    tracker_values,
)
from tests.harness.waits import wait_until
from tests.rows import seed

WS = Workspace("", "T0001")


# ---- connecting ------------------------------------------------------------------------------


def test_an_admin_connects_github_from_the_settings_and_its_token_is_sealed_and_never_shown(trackers_bot, fake_github):
    bot = trackers_bot
    assert bot.command("settings").status == 200
    [settings] = bot.fake.wait_for_views()
    buttons = [e for b in settings["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("connect_tracker_button", "github"), ("connect_tracker_button", "jira"), ("connect_tracker_button", "linear")
    ]  # fmt: skip
    pressed = payloads.block_actions(buttons[0], container="view")
    assert bot.interact(pressed).status == 200
    pushed = bot.fake.wait_for("views.push")[0].args["view"]
    assert pushed["callback_id"] == "connect_tracker_modal" and pushed["private_metadata"] == "github"

    connect_github(bot, fake_github)
    [check] = [c for c in fake_github.calls if c.route == "GET /repos/acme/ops"]
    assert check.status == 200 and check.headers["authorization"].startswith("Bearer")
    with bot.session_factory() as session:
        [row] = session.scalars(select(TrackerConnection)).all()
        assert (row.kind, row.target, row.connected_by, row.problem) == ("github", "acme/ops", "U1", None)
        assert fake_github.token not in row.secret and OWN_SECRET not in (row.webhook_secret or "")
    database = bot.settings.database_url
    if database.startswith("sqlite"):
        raw = open(database.removeprefix("sqlite:///"), "rb").read()
        assert fake_github.token.encode() not in raw and OWN_SECRET.encode() not in raw

    bot.fake.reset()
    assert bot.command("settings").status == 200
    wire = json.dumps(bot.fake.wait_for_views()[0])
    assert "Connected to GitHub: acme/ops" in wire and fake_github.token not in wire and OWN_SECRET not in wire


def test_a_refused_token_is_told_to_the_admin_and_shown_in_the_settings(trackers_bot, fake_github):
    bot = trackers_bot
    answer = connect(bot, "github", target="acme/ops", secret="ghp_not_the_right_token")
    assert answer.status == 200
    assert "GitHub could not be connected. GitHub refused the token" in told(bot, "could not be connected")
    bot.fake.reset()
    bot.command("settings")
    assert "The last check failed (bad_credentials)" in json.dumps(bot.fake.wait_for_views()[0])


@pytest.mark.parametrize(
    ("kind", "fields", "block"),
    [
        ("github", dict(target="not a repository", secret="ghp_123456789"), "tracker_target_block"),
        ("github", dict(target="acme/ops", secret="short"), "tracker_secret_block"),
        ("jira", dict(site="ftp://x", target="OPS", account="a@b.co", secret="token12345"), "tracker_site_block"),
        ("jira", dict(site="https://a.io", target="OPS", account="nope", secret="t1234567"), "tracker_account_block"),
        ("linear", dict(target="E N G", secret="lin_api_123456"), "tracker_target_block"),
    ],
)  # fmt: skip
def test_the_tracker_form_refuses_what_the_tracker_could_not_take(trackers_bot, kind, fields, block):
    answer = connect(trackers_bot, kind, **fields)
    body = json.loads(answer.body)
    assert answer.status == 200 and body["response_action"] == "errors" and block in body["errors"]
    with trackers_bot.session_factory() as session:
        assert session.scalars(select(TrackerConnection)).all() == []


def test_without_token_keys_no_tracker_can_be_connected_and_the_settings_say_why(fake_slack, database_url):
    bot = BotHarness(fake_slack, database_url)
    try:
        fake_slack.users["U1"] = payloads.ADMIN
        bot.command("settings")
        wire = json.dumps(fake_slack.wait_for_views()[0])
        assert "TOKEN_ENCRYPTION_KEYS" in wire and "connect_tracker_button" not in wire
        answer = connect(bot, "github", target="acme/ops", secret="ghp_123456789")
        assert "TOKEN_ENCRYPTION_KEYS" in json.loads(answer.body)["errors"]["tracker_secret_block"]
    finally:
        bot.close()


def test_only_an_admin_connects_a_tracker(trackers_bot, fake_github):
    trackers_bot.fake.users["U2"] = {**payloads.ADMIN, "id": "U2", "is_admin": False}
    answer = submit_dialog(trackers_bot, "connect_tracker_modal", tracker_values(target="acme/ops",
                           secret=fake_github.token), metadata="github", user="U2")  # fmt: skip
    assert json.loads(answer.body)["response_action"] == "update"
    with trackers_bot.session_factory() as session:
        assert session.scalars(select(TrackerConnection)).all() == []


def test_an_admin_disconnects_the_tracker_in_the_settings(trackers_bot, fake_github):
    connect_github(trackers_bot, fake_github)
    values = settings_values()
    chosen = [{"text": {"type": "plain_text", "text": "x"}, "value": "yes"}]
    boxes = {"type": "checkboxes", "selected_options": chosen}
    values["tracker_disconnect_block"] = {"tracker_disconnect_input": boxes}
    assert submit_dialog(trackers_bot, "settings_modal", values).status == 200
    with trackers_bot.session_factory() as session:
        assert session.scalars(select(TrackerConnection)).all() == []


# ---- Create issue -------------------------------------------------------------------------------


def test_create_issue_makes_one_issue_however_often_it_is_pressed(trackers_bot, fake_github):
    bot = trackers_bot
    seed(bot, "We shipped without a kill switch", lesson="Flags first", items=("Add a kill switch",))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    home = bot.open_home()
    create = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == "create_issue_button"]  # fmt: skip
    assert [e["value"] for e in create] == [str(item.id)]

    for _ in range(3):  # a double (triple) click
        assert press_create(bot, item.id).status == 200
    text = told(bot, "is in GitHub")
    assert "Issue <http" in text and "|#1>" in text and "Add a kill switch" in text
    bot.drain()
    [made] = issues_made(fake_github)
    assert made.body["title"] == "Add a kill switch"
    assert made.body["body"].startswith("Flags first") and "Shared with the team" not in made.body["body"]
    assert "U1" not in made.body["body"] and "We shipped" not in made.body["body"]
    [row] = item_rows(bot)
    assert (row.issue_tracker, row.issue_key, row.issue_label) == ("github", "acme/ops#1", "#1")

    assert press_create(bot, item.id).status == 200  # pressed again later: its link, no second issue
    wait_until(lambda: len([c for c in bot.fake.calls_to("chat.postMessage") if "is in GitHub" in c.args["text"]]) >= 2)
    bot.drain()
    assert len(issues_made(fake_github)) == 1


def test_a_shared_entry_links_back_to_the_digest_that_carried_it(trackers_bot, fake_github):
    bot = trackers_bot
    from storage.models import Digest, Entry

    entry_id = seed(bot, "Named one", lesson="Review first", visibility="named", items=("Two reviewers",))
    with bot.session_factory.begin() as session:
        digest = Digest(**WS.columns(), channel="C0RETRO", message_ts="1700000000.000900")
        session.add(digest)
        session.flush()
        session.get(Entry, entry_id).digest_id = digest.id
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    press_create(bot, item.id)
    told(bot, "is in GitHub")
    [made] = issues_made(fake_github)
    assert "Shared with the team in Slack: https://" in made.body["body"] and "1700000000000900" in made.body["body"]


def test_nobody_creates_an_issue_from_someone_elses_item(trackers_bot, fake_github):
    bot = trackers_bot
    seed(bot, "Mine, private", lesson="Secret lesson", items=("My private step",))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    bot.fake.users["U2"] = {**payloads.ADMIN, "id": "U2"}
    assert press_create(bot, item.id, user="U2").status == 200
    bot.drain()
    assert issues_made(fake_github) == [] and item_rows(bot)[0].issue_requested_at is None


def test_without_a_tracker_create_issue_says_how_to_connect_one(trackers_bot):
    seed(trackers_bot, "A mistake", items=("A step",))
    [item] = item_rows(trackers_bot)
    press_create(trackers_bot, item.id)
    assert "No issue tracker is connected yet" in told(trackers_bot, "No issue tracker")


def test_create_issue_is_offered_in_the_prompt_and_the_entrys_action_items_form(trackers_bot, fake_github):
    from tests.harness.jobs import NOW, quick_client, run

    bot = trackers_bot
    entry_id = seed(bot, "A mistake", lesson="A lesson", items=("First step", "Second step"))
    connect_github(bot, fake_github)
    first, second = item_rows(bot)
    run((bot.session_factory, quick_client(bot.fake.url)), NOW, force=True)
    prompt = next(c for c in bot.fake.calls_to("chat.postMessage") if "How did this month go" in c.args["text"])
    offered = [e for b in prompt.args["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == "create_issue_button"]  # fmt: skip
    assert [e["value"] for e in offered] == [str(first.id), str(second.id)]
    pressed = payloads.block_actions(offered[1], response_url=bot.fake.response_url("prompt"))
    assert bot.interact(pressed).status == 200
    [(key, answer)] = bot.fake.wait_for_responses()
    assert key == "prompt" and "is in GitHub" in answer["text"] and "Second step" in answer["text"]

    bot.fake.reset()
    menu = payloads.block_actions(payloads.overflow(f"action_items:{entry_id}"), container="view")
    assert bot.interact(menu).status == 200
    modal = bot.fake.wait_for_views()[0]
    sections = {b["text"]["text"]: b.get("accessory") for b in modal["blocks"] if b["type"] == "section"}
    assert sections["☐ First step"]["action_id"] == "create_issue_button"
    [with_issue] = [text for text in sections if "Second step" in text]
    assert "|#1>" in with_issue and sections[with_issue] is None  # made: its link, no second button


def test_no_token_or_secret_reaches_a_log(trackers_bot, fake_github, caplog):
    caplog.set_level("DEBUG")
    bot = trackers_bot
    seed(bot, "A mistake", lesson="A private lesson", items=("A step",))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    fake_github.queue_failure(401)
    press_create(bot, item.id)
    told(bot, "refused the token")
    bot.drain()
    logged = caplog.text
    assert "refused an issue (bad_credentials)" in logged
    for secret in (fake_github.token, OWN_SECRET, "A private lesson", "A step"):
        assert secret not in logged


def test_presses_at_the_same_moment_make_one_issue(trackers_bot, fake_github):
    from concurrent.futures import ThreadPoolExecutor

    bot = trackers_bot
    seed(bot, "A mistake", items=("A step pressed at once",))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: press_create(bot, item.id).status, range(6)))
    assert statuses == [200] * 6
    told(bot, "is in GitHub")
    bot.drain()
    assert len(issues_made(fake_github)) == 1


def test_a_jira_site_on_the_apps_own_network_is_never_called(fake_slack, database_url, fake_jira):
    """An admin cannot make the app call addresses of its private network (or send credentials over http)."""
    from tests.harness.config import TOKEN_KEYS

    bot = BotHarness(fake_slack, database_url, token_keys=TOKEN_KEYS)
    try:
        fake_slack.users["U1"] = payloads.ADMIN
        fields = dict(site=fake_jira.url, target="OPS", account=fake_jira.email, secret=fake_jira.api_token)
        assert connect(bot, "jira", **fields).status == 200
        assert "only over https at a public address" in told(bot, "Jira could not be connected")
        assert fake_jira.calls == []
    finally:
        bot.close()
