"""A tracker's trouble and a tracker's news, over signed requests: GitHub refusing, failing, limiting
or too slow (a clear answer, the item as it was, never two issues), Jira and Linear issues, and an
issue closed or reopened (webhooks signed as each service signs them, or the hourly check) that makes
its item done or open again; done items stay in sight, marked done, with their issue's link."""

from __future__ import annotations

import json
import time

import pytest

from bot.trackers import http as tracker_http
from storage.types import Workspace
from tests.harness.trackers import (
    OWN_SECRET,
    connect,
    connect_github,
    issues_made,
    item_rows,
    press_create,
    told,
)
from tests.harness.waits import wait_until
from tests.rows import seed

WS = Workspace("", "T0001")


def make_issue(bot, fake_github, item_text: str = "Add a kill switch") -> int:
    """An entry with one item, its GitHub issue made through Create issue; returns the item id."""
    seed(bot, "We shipped without a kill switch", lesson="Flags first", items=(item_text,))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    press_create(bot, item.id)
    told(bot, "is in GitHub")
    bot.drain()
    bot.fake.reset()
    return item.id


def status_of(bot, item_id: int) -> str:
    return next(item.status for item in item_rows(bot) if item.id == item_id)


# ---- the tracker's trouble ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "says"),
    [(401, "GitHub refused the token"), (404, "cannot find where the issue should go"),
     (410, "GitHub no longer takes issues there"), (422, "would not take this item")],
)  # fmt: skip
def test_a_refusal_is_answered_clearly_and_the_item_can_be_pressed_again(trackers_bot, fake_github, status, says):
    bot = trackers_bot
    seed(bot, "A mistake", items=("A step",))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    fake_github.queue_failure(status)
    press_create(bot, item.id)
    assert "The action item is unchanged" in told(bot, says)
    bot.drain()
    [row] = item_rows(bot)
    assert row.issue_url is None and row.issue_requested_at is None and row.status == "open"
    assert issues_made(fake_github) == []
    press_create(bot, item.id)  # pressed again once the admin fixed it: made
    told(bot, "is in GitHub")


@pytest.mark.parametrize("status", [503, 429])
def test_a_tracker_failing_or_limiting_for_a_moment_gets_its_issue_made_once(trackers_bot, fake_github, status):
    bot = trackers_bot
    seed(bot, "A mistake", items=("A step",))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    fake_github.queue_failure(status, retry_after=1)
    press_create(bot, item.id)
    told(bot, "is in GitHub")  # by the follow-up's next try
    bot.drain()
    assert len(issues_made(fake_github)) == 1


def test_a_tracker_too_slow_to_answer_gets_one_issue_not_two(trackers_bot, fake_github, monkeypatch):
    """A try that timed out may have made the issue: the next try finds it by its reference."""
    monkeypatch.setattr(tracker_http, "TIMEOUT_SECONDS", 1)
    bot = trackers_bot
    seed(bot, "A mistake", items=("A slow step",))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    fake_github.set_delay(2.5)
    press_create(bot, item.id)
    wait_until(lambda: fake_github.issues.get("acme/ops"), what="the issue made after the client gave up")
    fake_github.set_delay(0)
    text = told(bot, "is in GitHub")
    assert "|#1>" in text
    bot.drain()
    assert len(issues_made(fake_github)) == 1 and len(fake_github.issues["acme/ops"]) == 1
    assert item_rows(bot)[0].issue_key == "acme/ops#1"


# ---- Jira and Linear -----------------------------------------------------------------------------


def test_a_jira_issue_is_made_in_the_project_and_closes_its_item(trackers_bot, fake_jira):
    bot = trackers_bot
    seed(bot, "The deploy broke", lesson="Canary first", items=("Add a canary stage",))
    answer = connect(bot, "jira", site=fake_jira.url, target="ops", account=fake_jira.email,
                     secret=fake_jira.api_token, webhook_secret=OWN_SECRET)  # fmt: skip
    assert answer.status == 200
    told(bot, "Jira is connected")
    [item] = item_rows(bot)
    press_create(bot, item.id)
    assert "|OPS-1>" in told(bot, "is in Jira")
    [made] = [c for c in fake_jira.calls if c.route == "POST /rest/api/3/issue"]
    fields = made.body["fields"]
    assert fields["summary"] == "Add a canary stage" and fields["project"] == {"key": "OPS"}
    assert fields["description"]["type"] == "doc" and "Canary first" in json.dumps(fields["description"])

    fake_jira.transition("OPS-1", "done")
    assert fake_jira.issue_webhook("OPS-1", secret=OWN_SECRET).post(f"{bot.url}/webhooks/jira") == 200
    assert status_of(bot, item.id) == "done"
    assert "Nice job! Done: Add a canary stage" in told(bot, "Nice job! Done")


def test_a_linear_issue_is_made_with_the_id_we_chose_and_closes_its_item(trackers_bot, fake_linear):
    bot = trackers_bot
    seed(bot, "Paged the wrong team", lesson="Own the rotation", items=("Fix the rotation",))
    assert connect(bot, "linear", target="eng", secret=fake_linear.api_key, webhook_secret=OWN_SECRET).status == 200
    told(bot, "Linear is connected")
    [item] = item_rows(bot)
    press_create(bot, item.id)
    assert "|ENG-1>" in told(bot, "is in Linear")
    [row] = item_rows(bot)
    assert row.issue_key in fake_linear.issues

    fake_linear.complete(row.issue_key)
    assert fake_linear.issue_webhook(row.issue_key, secret=OWN_SECRET).post(f"{bot.url}/webhooks/linear") == 200
    assert status_of(bot, item.id) == "done"
    stale = fake_linear.issue_webhook(
        row.issue_key, secret=OWN_SECRET, webhook_timestamp=int(time.time() * 1000) - 600_000
    )
    fake_linear.reopen(row.issue_key)
    stale = fake_linear.issue_webhook(
        row.issue_key, secret=OWN_SECRET, webhook_timestamp=int(time.time() * 1000) - 600_000
    )
    assert stale.post(f"{bot.url}/webhooks/linear") == 200  # a replay of old news changes nothing
    assert status_of(bot, item.id) == "done"


# ---- webhooks and the hourly check -------------------------------------------------------------


def test_a_github_webhook_signed_by_the_workspace_closes_and_reopens_the_item(trackers_bot, fake_github):
    bot = trackers_bot
    item_id = make_issue(bot, fake_github)
    fake_github.close(1)
    assert fake_github.issue_webhook(1, secret=OWN_SECRET).post(f"{bot.url}/webhooks/github") == 200
    assert status_of(bot, item_id) == "done"
    assert "Nice job! Done: Add a kill switch" in told(bot, "Nice job! Done")
    [row] = item_rows(bot)
    assert row.done_at is not None and row.helped_asked_at is None  # "Did it help?" follows in a month

    home = json.dumps(bot.open_home(), ensure_ascii=False)
    assert "Done lately" in home and "☑ Add a kill switch" in home and "|#1>" in home

    fake_github.reopen(1)
    assert fake_github.issue_webhook(1, secret=OWN_SECRET).post(f"{bot.url}/webhooks/github") == 200
    assert status_of(bot, item_id) == "open" and item_rows(bot)[0].done_at is None


@pytest.mark.parametrize("forged", ["wrong secret", "tampered", "unsigned"])
def test_a_webhook_not_signed_with_a_known_secret_is_refused_and_changes_nothing(trackers_bot, fake_github, forged):
    bot = trackers_bot
    item_id = make_issue(bot, fake_github)
    fake_github.close(1)
    webhook = fake_github.issue_webhook(1, secret="not-our-secret" if forged == "wrong secret" else OWN_SECRET,
                                        tamper=forged == "tampered")  # fmt: skip
    if forged == "unsigned":
        webhook.headers.pop("X-Hub-Signature-256")
    assert webhook.post(f"{bot.url}/webhooks/github") == 401
    assert status_of(bot, item_id) == "open"


def test_the_operators_webhook_secret_serves_every_workspace(fake_slack, database_url, fake_github):
    from tests import payloads
    from tests.harness.bot import BotHarness
    from tests.harness.config import TOKEN_KEYS

    bot = BotHarness(fake_slack, database_url, token_keys=TOKEN_KEYS, github_api_url=fake_github.url,
                     github_webhook_secret=fake_github.webhook_secret)  # fmt: skip
    try:
        fake_slack.users["U1"] = payloads.ADMIN
        seed(bot, "A mistake", items=("A step",))
        connect_github(bot, fake_github, webhook_secret=None)
        [item] = item_rows(bot)
        press_create(bot, item.id)
        told(bot, "is in GitHub")
        fake_github.close(1)
        assert fake_github.issue_webhook(1).post(f"{bot.url}/webhooks/github") == 200
        assert status_of(bot, item.id) == "done"
        assert fake_github.ping_webhook().post(f"{bot.url}/webhooks/github") == 200
    finally:
        bot.close()


def test_the_hourly_check_finds_an_issue_closed_where_no_webhook_reaches(trackers_bot, fake_github):
    bot = trackers_bot
    item_id = make_issue(bot, fake_github)
    fake_github.close(1)
    from bot.scheduler import issues_tick

    # The clock's hourly beat enqueues the check of each workspace with a tracker; a worker does it.
    assert issues_tick(bot.session_factory, bot.tasks, bot.clock(), "clock-1")
    wait_until(lambda: status_of(bot, item_id) == "done", what="the item done by the hourly check")
    told(bot, "Nice job! Done")
    fake_github.reopen(1)
    bot.tasks.check_issues(WS, now=bot.clock())
    wait_until(lambda: status_of(bot, item_id) == "open", what="the item open again")


def test_rotate_keys_reseals_the_trackers_token_and_issues_are_still_made(trackers_bot, fake_github, tmp_path):
    from cryptography.fernet import Fernet

    from tests.harness.bot import BotHarness
    from tests.harness.config import TOKEN_KEYS
    from tests.harness.processes import run_cli

    bot = trackers_bot
    seed(bot, "A mistake", items=("A step",))
    connect_github(bot, fake_github)
    new = Fernet.generate_key().decode()
    env = dict(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=bot.fake.url, DATABASE_URL=bot.settings.database_url)
    rotated = run_cli(tmp_path, "rotate-keys", TOKEN_ENCRYPTION_KEYS=f"{new},{TOKEN_KEYS}", **env)
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted under the first key of TOKEN_ENCRYPTION_KEYS: 2." in rotated.stdout  # token, webhook secret
    bot.stop_worker()
    harness = BotHarness(bot.fake, bot.settings.database_url, token_keys=new, github_api_url=fake_github.url)
    try:
        [item] = item_rows(harness)
        press_create(harness, item.id)
        told(harness, "is in GitHub")  # the new key alone opened the token
    finally:
        harness.close()


def test_a_tracker_down_for_good_is_told_after_its_tries_and_nothing_is_made(trackers_bot, fake_github, monkeypatch):
    import bot.tasks

    monkeypatch.setattr(bot.tasks, "RETRY_DELAY_SECONDS", 0.2)  # the follow-up's waits between tries, shortened
    harness = trackers_bot
    seed(harness, "A mistake", items=("A step",))
    connect_github(harness, fake_github)
    [item] = item_rows(harness)
    fake_github.queue_failure(503, times=20)
    press_create(harness, item.id)
    assert "The action item is unchanged" in told(harness, "GitHub is not answering right now")
    harness.drain()
    [row] = item_rows(harness)
    assert row.issue_url is None and row.issue_requested_at is None and row.issue_tries == 5
    assert issues_made(fake_github) == []


def test_a_persons_done_is_theirs_an_open_issue_never_reopens_it(trackers_bot, fake_github):
    """Done pressed in Slack while the issue is still open: neither the hourly check nor the issue's
    other news reopen it; only an issue that closed the item reopens it."""
    from tests import payloads
    from tests.harness.clicks import home_click

    bot = trackers_bot
    item_id = make_issue(bot, fake_github)
    assert home_click(bot, payloads.button("action_item_done_button", str(item_id))).status == 200
    wait_until(lambda: status_of(bot, item_id) == "done", what="the item done by its owner")
    bot.tasks.check_issues(WS, now=bot.clock())
    bot.drain()
    assert fake_github.issue_webhook(1, action="reopened", secret=OWN_SECRET).post(f"{bot.url}/webhooks/github") == 200
    assert status_of(bot, item_id) == "done"
    assert any(c.route == "GET /repos/acme/ops/issues/1" for c in fake_github.calls)  # the check did look


def test_a_signature_header_of_any_bytes_gets_a_clear_401(trackers_bot, fake_github):
    bot = trackers_bot
    item_id = make_issue(bot, fake_github)
    fake_github.close(1)
    webhook = fake_github.issue_webhook(1, secret=OWN_SECRET)
    webhook.headers["X-Hub-Signature-256"] = "sha256=\u00e9\u00e9"
    assert webhook.post(f"{bot.url}/webhooks/github") == 401
    assert status_of(bot, item_id) == "open"


def test_connecting_the_same_tracker_again_keeps_its_webhook_secret(trackers_bot, fake_github):
    bot = trackers_bot
    item_id = make_issue(bot, fake_github)  # connected with OWN_SECRET
    assert connect(bot, "github", target="acme/ops", secret=fake_github.token).status == 200  # secret left empty
    told(bot, "GitHub is connected")
    fake_github.close(1)
    assert fake_github.issue_webhook(1, secret=OWN_SECRET).post(f"{bot.url}/webhooks/github") == 200
    assert status_of(bot, item_id) == "done"


def test_an_item_its_issue_closed_is_asked_about_a_month_later(trackers_bot, fake_github):
    """ "Did it help?" follows an issue's close as it follows a Done pressed in Slack."""
    from datetime import timedelta

    from tests.harness.jobs import quick_client, run

    bot = trackers_bot
    item_id = make_issue(bot, fake_github)
    fake_github.close(1)
    assert fake_github.issue_webhook(1, secret=OWN_SECRET).post(f"{bot.url}/webhooks/github") == 200
    bot.drain()
    run((bot.session_factory, quick_client(bot.fake.url)), bot.clock() + timedelta(days=31), force=True)
    prompt = next(c for c in bot.fake.calls_to("chat.postMessage") if "How did this month go" in c.args["text"])
    wire = json.dumps(prompt.args["blocks"])
    assert "A month ago we did this: Add a kill switch. Did it help?" in wire and f'"{item_id}:yes"' in wire


def test_korean_emoji_mentions_and_a_long_item_make_an_issue_that_pings_nobody(trackers_bot, fake_github):
    bot = trackers_bot
    text = "배포 전에 카나리 단계 추가 🚀 <!channel> <@U2> @ops-team " + "긴 글 " * 1000  # over 5,000 characters
    seed(bot, "배포가 깨졌어요", lesson="작게 나눠서 배포 @oncall <!here>", items=(text,))
    connect_github(bot, fake_github)
    [item] = item_rows(bot)
    assert press_create(bot, item.id).status == 200
    answer = told(bot, "is in GitHub")
    assert "<!channel>" not in answer and "<@U2>" not in answer and "&lt;!channel&gt;" in answer
    [made] = issues_made(fake_github)
    assert len(made.body["title"]) <= 256 and made.body["title"].startswith("배포 전에 카나리 단계 추가 🚀")
    assert "@ops-team" not in made.body["title"] and "@\u2060ops-team" in made.body["title"]
    assert "@\u2060oncall" in made.body["body"] and "작게 나눠서 배포" in made.body["body"]
    [row] = item_rows(bot)
    assert row.text == text  # the item itself keeps every word
