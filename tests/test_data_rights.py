"""Data rights over signed HTTP: a person's export (Markdown + JSON), "Delete all my data", and the
admins' CSV of shared entries with counts. Checked on the bytes uploaded to the fake Slack, the rows,
and every call the fake accepted."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from slack_sdk.models.views import View as SdkView
from sqlalchemy import select

from bot.blocks.data_rights import build_delete_all_data_modal
from bot.blocks.fail_command import FailCommand, parse_fail_command
from bot.blocks.resume import build_home_view
from bot.domain.exports import CSV_COLUMNS, PERSONAL_DATA_VERSION, csv_cell
from bot.i18n import ENGLISH
from bot.slack.api import build_web_client
from bot.slack.ids import Action, Block
from bot.tasks.team_digest import post_team_digest
from storage.models import Acknowledgement, ActionItem, Delivery, Digest, Entry, Person
from storage.types import Workspace
from tests import payloads
from tests.checks import assert_no_failed_calls
from tests.harness.clicks import home_click
from tests.harness.config import TOKEN
from tests.payloads import ADMIN
from tests.rows import entries, seed
from tests.uploads import uploaded, uploaded_files

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
WS = Workspace(enterprise_id="", team_id="T0001")
# What people write, as it must come back: Korean, emoji, mentions that must never ping anyone.
KOREAN = "배포 실패 🚀 <!channel> <@U123> 캐시가 터졌어요 😱"
KOREAN_LESSON = "금요일 배포 금지 🙅\n<!here> 플래그 뒤에서 천천히 🐢"
QUICK = "<!channel> <@U123> 롤백을 잊었다 🙈 & <b>"
LONG_WHAT = "실패🔥" * 1000  # 3,000 characters, the most an entry holds
LONG_LESSON = "배움📚" * 1000
LONG_ITEMS = [f"{n:02d} " + "항목✅" * 45 for n in range(20)]  # the most items, filling the field


# ---- helpers --------------------------------------------------------------------------


def unhandled_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.slack.errors"]


def everything_sent(bot) -> bytes:
    """Every argument of every call and every uploaded byte, to search for what must not leave."""
    calls = json.dumps([c.args for c in bot.fake.calls], ensure_ascii=False).encode()
    return calls + b"".join(bot.fake.uploads.values())


def thank(bot, entry_id: int, *fans: str) -> None:
    with bot.session_factory.begin() as session:
        session.add_all(Acknowledgement(entry_id=entry_id, user_id=fan, created_at=NOW) for fan in fans)


def in_a_digest(bot, *entry_ids: int, team: str = "T0001") -> int:
    """Mark entries as carried by a digest already posted; returns the digest's id."""
    with bot.session_factory.begin() as session:
        digest = Digest(enterprise_id="", team_id=team, channel="CRETRO", posted_at=NOW, message_ts="1700000000.1")
        session.add(digest)
        session.flush()
        for entry_id in entry_ids:
            entry = session.get(Entry, entry_id)
            entry.digest_id, entry.shared_at = digest.id, NOW
        return digest.id


def add_rows(bot, *rows) -> None:
    """Merged: a person's row may be there already, made when the app learned their Slack locale."""
    with bot.session_factory.begin() as session:
        for row in rows:
            session.merge(row)


def delivery(user: str, team: str = "T0001", period: str = "2024-05") -> Delivery:
    return Delivery(
        enterprise_id="",
        team_id=team,
        recipient=user,
        kind="reflection_prompt",
        period=period,
        claimed_at=NOW - timedelta(days=30),
        sent_at=NOW - timedelta(days=30),
    )


def person(user: str, team: str = "T0001", stopped: bool = True) -> Person:
    return Person(enterprise_id="", team_id=team, user_id=user, prompts_stopped=stopped, updated_at=NOW)


def all_rows(bot) -> dict[str, set]:
    """Every row that erasure could touch, in a comparable form."""
    with bot.session_factory() as session:
        return {
            "entries": {(e.id, e.team_id, e.user_id, e.what_happened) for e in session.scalars(select(Entry))},
            "action_items": {(i.id, i.entry_id, i.text) for i in session.scalars(select(ActionItem))},
            "acknowledgements": {(a.id, a.entry_id, a.user_id) for a in session.scalars(select(Acknowledgement))},
            "deliveries": {(d.id, d.team_id, d.recipient) for d in session.scalars(select(Delivery))},
            "people": {(p.team_id, p.user_id) for p in session.scalars(select(Person))},
            "digests": {(d.id, d.team_id, d.message_ts) for d in session.scalars(select(Digest))},
        }


def without_u1_here(rows: dict[str, set], u1_entries: set[int]) -> dict[str, set]:
    """What must be left after U1 of T0001 deletes their data: everything else, exactly."""
    return {
        "entries": {r for r in rows["entries"] if r[0] not in u1_entries},
        "action_items": {r for r in rows["action_items"] if r[1] not in u1_entries},
        "acknowledgements": {
            r
            for r in rows["acknowledgements"]
            if r[1] not in u1_entries and not (r[2] == "U1" and in_t0001(rows, r[1]))
        },
        "deliveries": {r for r in rows["deliveries"] if (r[1], r[2]) != ("T0001", "U1")},
        "people": rows["people"] - {("T0001", "U1")},
        "digests": rows["digests"],
    }


def in_t0001(rows: dict[str, set], entry_id: int) -> bool:
    return any(r[0] == entry_id and r[1] == "T0001" for r in rows["entries"])


# ---- /fail export: Markdown and JSON ----------------------------------------------------


def test_export_sends_the_markdown_and_all_the_persons_data_as_json_in_one_upload(bot):
    bot.now = NOW
    bot.submit_entry(
        what=KOREAN,
        lesson=KOREAN_LESSON,
        category="engineering",
        when="2024-03-01",
        safeguards=("gradual_rollout", "kill_switch"),
        action_items="킬 스위치 추가 ✅\n<@U123> 에게 리뷰 요청",
        visibility="anonymous",
        keep_words=True,  # it names someone: the person chose to keep their words
    )
    bot.drain()
    bot.command(QUICK, key="quick")
    bot.drain()
    bot.submit_entry(
        what=LONG_WHAT, lesson=LONG_LESSON, when="2022-12-31", safeguards=(), action_items="\n".join(LONG_ITEMS)
    )
    bot.drain()
    korean, quick, long = (
        next(e for e in entries(bot) if e.what_happened == text) for text in (KOREAN, QUICK, LONG_WHAT)
    )
    # What happened to them since: a Nice job from two teammates, one action item done, prompts stopped.
    thank(bot, korean.id, "UFAN1", "UFAN2")
    others = seed(bot, "U2's entry", user="U2", visibility="named", lesson="U2's lesson")
    thank(bot, others, "U1")
    thank(bot, seed(bot, "Other workspace secret", team="T0002"), "U1")  # a Nice job given elsewhere
    with bot.session_factory.begin() as session:
        session.get(ActionItem, korean.action_items[0].id).done_at = NOW
    add_rows(bot, person("U1"), delivery("U1"), delivery("U1", team="T0002"), delivery("U2"), person("U1", "T0002"))
    bot.fake.reset()

    bot.command("export", key="export")

    [complete] = bot.fake.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU1"
    assert [f["title"] for f in complete.args["files"]] == ["Failure resume", "All your Failure Resume data (JSON)"]
    assert "3 entries" in complete.args["initial_comment"]
    files = uploaded_files(bot.fake)
    assert sorted(files) == ["failure-resume-2024-06-01.md", "failure-resume-data-2024-06-01.json"]
    data = uploaded(bot.fake, ".json")
    markdown = uploaded(bot.fake, ".md").decode("utf-8")

    # Byte for byte: UTF-8, nothing escaped, mentions as written.
    assert KOREAN.encode("utf-8") in data and QUICK.encode("utf-8") in data
    assert LONG_WHAT.encode("utf-8") in data and LONG_LESSON.encode("utf-8") in data
    assert b"\\u" not in data
    document = json.loads(data.decode("utf-8"))
    assert document["format"] == "failure-resume/personal-data"
    assert document["format_version"] == PERSONAL_DATA_VERSION == 1
    assert document["exported_at"] == NOW.isoformat()
    assert document["workspace"] == {"enterprise_id": "", "team_id": "T0001"}
    assert document["user_id"] == "U1"
    assert [e["what_happened"] for e in document["entries"]] == [LONG_WHAT, KOREAN, QUICK]  # oldest first
    record = document["entries"][1]
    assert {k: v for k, v in record.items() if k != "updated_at"} == {
        "id": korean.id,
        "happened_on": "2024-03-01",
        "day_known": True,
        "category": "engineering",
        "section": None,
        "what_happened": KOREAN,
        "lesson": KOREAN_LESSON,
        "safeguards": ["gradual_rollout", "kill_switch"],
        "action_items": [
            {"text": "킬 스위치 추가 ✅", "done": True, "done_at": NOW.isoformat()},
            {"text": "<@U123> 에게 리뷰 요청", "done": False, "done_at": None},
        ],
        "visibility": "anonymous",
        "anonymous": True,
        "shared_at": NOW.isoformat(),
        "in_a_team_digest": False,
        "source_link": None,
        "nice_jobs": 2,
        "created_at": NOW.isoformat(),
    }
    assert datetime.fromisoformat(record["updated_at"]).tzinfo is not None
    assert document["entries"][2]["visibility"] == "private" and document["entries"][2]["anonymous"] is False
    assert document["entries"][2]["lesson"] is None and document["entries"][2]["nice_jobs"] == 0
    assert [i["text"] for i in document["entries"][0]["action_items"]] == LONG_ITEMS
    assert document["nice_jobs_given"] == 1
    settings = document["prompt_settings"]
    # Slack's locale for them is kept too (the fake's users.info says en-US), and exported.
    assert datetime.fromisoformat(settings.pop("updated_at")).tzinfo is not None
    assert settings == {"prompts_stopped": True, "snoozed_until": None, "language": None, "slack_locale": "en-US"}
    assert document["deliveries"] == [
        {
            "kind": "reflection_prompt",
            "period": "2024-05",
            "claimed_at": (NOW - timedelta(days=30)).isoformat(),
            "sent_at": (NOW - timedelta(days=30)).isoformat(),
        }
    ]
    # Who said Nice job stays theirs; another person's and another workspace's data are not here.
    for absent in (b"UFAN1", b"UFAN2", b"U2's entry", b"Other workspace secret", b"T0002"):
        assert absent not in data
    # The Markdown still carries the whole resume, the long entry uncut.
    assert LONG_WHAT in markdown and LONG_LESSON in markdown and all(item in markdown for item in LONG_ITEMS)
    assert KOREAN in markdown and "Other workspace secret" not in markdown
    assert "direct message" in dict(bot.fake.wait_for_responses())["export"]["text"]
    assert_no_failed_calls(bot)


def test_export_button_for_someone_with_nothing_recorded_still_sends_both_files(bot):
    bot.now = NOW
    seed(bot, "Someone else's", user="U2")
    assert home_click(bot, payloads.button("export_button"), user="U3").status == 200
    [complete] = bot.fake.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU3" and len(complete.args["files"]) == 2
    document = json.loads(uploaded(bot.fake, ".json"))
    assert document["user_id"] == "U3"
    assert document["entries"] == [] and document["deliveries"] == []
    assert document["prompt_settings"] is None and document["nice_jobs_given"] == 0
    assert "Nothing recorded yet" in uploaded(bot.fake, ".md").decode()
    assert_no_failed_calls(bot)


# ---- Delete all my data -----------------------------------------------------------------


def test_delete_all_my_data_button_opens_a_confirmation_that_says_what_goes_and_what_stays(bot):
    seed(bot, "Still here after opening the dialog")
    payload = payloads.block_actions(payloads.button("delete_all_data_button"), container="view")
    assert bot.interact(payload).status == 200
    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["trigger_id"] == payload["trigger_id"]
    view = opened.args["view"]
    assert view["callback_id"] == "delete_all_data_modal"
    text = json.dumps(view["blocks"], ensure_ascii=False)
    for promise in ("every entry", "action items", "Nice jobs you gave", "monthly prompts", "prompt settings"):
        assert promise in text
    assert "Team digests already posted are not edited" in text
    assert "other workspaces is not touched" in text
    assert [e.what_happened for e in entries(bot)] == ["Still here after opening the dialog"]
    assert_no_failed_calls(bot)


def test_delete_all_my_data_removes_only_that_persons_data_in_that_workspace(bot, caplog):
    bot.now = NOW
    # U1 here: a private entry, an entry that a posted digest carried (with Nice jobs), a named
    # entry waiting for the next digest, a Nice job given to U2, prompt settings, the ledger.
    mine = seed(bot, "U1 private", items=("U1 item one", "U1 item two"))
    digested = seed(bot, "U1 in last month's digest", visibility="named", lesson="U1 shared lesson")
    waiting = seed(bot, "U1 waiting for the next digest", visibility="named", lesson="U1 next lesson")
    digest_id = in_a_digest(bot, digested)
    with bot.session_factory.begin() as session:
        session.get(Entry, waiting).shared_at = NOW
    thank(bot, digested, "U2", "U3")
    # U2 here, and U1 in another workspace: none of it may change.
    theirs = seed(bot, "U2 shared", user="U2", visibility="named", lesson="U2 lesson", items=("U2 item",))
    with bot.session_factory.begin() as session:
        session.get(Entry, theirs).shared_at = NOW
    thank(bot, theirs, "U1", "U3")
    elsewhere = seed(bot, "U1 in T0002", team="T0002", items=("T0002 item",))
    thank(bot, elsewhere, "U1", "U9")
    add_rows(bot, person("U1"), person("U2"), person("U1", "T0002"))
    add_rows(bot, delivery("U1"), delivery("U1", period="2024-06"), delivery("U2"), delivery("U1", team="T0002"))
    before = all_rows(bot)
    bot.fake.reset()

    view = build_delete_all_data_modal(ENGLISH)
    answer = bot.interact(payloads.view_submission({}, callback_id=view["callback_id"]))
    assert answer.status == 200 and answer.body == b""  # the modal closes

    [told] = bot.fake.wait_for("chat.postMessage")
    assert told.args["channel"] == "U1"
    assert "all your data in this workspace is deleted (3 entries" in told.args["text"]
    [home] = bot.fake.wait_for("views.publish")
    assert home.args["user_id"] == "U1"
    published = json.dumps(home.args["view"])
    assert "Nothing here yet" in published and "0 entries" in published and "U1 private" not in published
    assert all_rows(bot) == without_u1_here(before, {mine, digested, waiting})
    assert digest_id in {d[0] for d in all_rows(bot)["digests"]}
    # Posted digests are not edited...
    assert not [c for c in bot.fake.calls if c.method in ("chat.update", "chat.delete")]
    assert_no_failed_calls(bot)
    assert unhandled_errors(caplog) == []

    # ...and the next digest can no longer carry U1's entries: they are gone.
    client = build_web_client(TOKEN, bot.fake.url)
    assert post_team_digest(bot.session_factory, client, WS, NOW, "CRETRO") == "posted"
    digest_text = json.dumps([c.args for c in bot.fake.calls_to("chat.postMessage")])
    assert "U2 lesson" in digest_text and "U1 next lesson" not in digest_text


def test_a_second_submit_of_delete_all_my_data_is_harmless(bot, caplog):
    seed(bot, "U1 entry")
    kept = seed(bot, "U2 entry", user="U2")
    submit = payloads.view_submission({}, callback_id="delete_all_data_modal", view_id="VDELETE")
    assert bot.interact(submit).status == 200
    bot.fake.wait_for("chat.postMessage")
    after_first = all_rows(bot)
    assert bot.interact(submit).status == 200  # Slack retried, or a double click
    first, second = bot.fake.wait_for("chat.postMessage", count=2)
    assert "(1 entry and" in first.args["text"] and "(0 entries and" in second.args["text"]
    bot.fake.wait_for("views.publish", count=2)
    assert all_rows(bot) == after_first
    assert [e.id for e in entries(bot)] == [kept]
    assert_no_failed_calls(bot)
    assert unhandled_errors(caplog) == []


def test_delete_all_my_data_in_another_workspace_leaves_this_one_alone(bot):
    here = seed(bot, "U1 in T0001")
    seed(bot, "U1 in T0002", team="T0002")
    elsewhere = payloads.view_submission({}, callback_id="delete_all_data_modal", team="T0002")
    answer = bot.interact(elsewhere)  # the token is T0001's: T0002 is not served, and T0001 is untouched
    assert answer.status == 200 and answer.json()["response_action"] == "push"
    assert sorted(e.team_id for e in entries(bot)) == ["T0001", "T0002"]
    assert here in [e.id for e in entries(bot)]


# ---- the admins' export of shared entries -----------------------------------------------


def shared_workspace(bot) -> dict[str, int]:
    """Shared, waiting, private and another workspace's entries; returns the ids that matter.
    Seeded so that neither the order of ids nor the order of authors is the order of dates."""
    anonymous = seed(
        bot, "익명 실패 😅 <!channel>", date(2023, 5, 1), user="UANON3", visibility="anonymous", lesson="<@U123> 덕분"
    )
    named = seed(
        bot,
        '=HYPERLINK("http://evil.example")',
        date(2023, 5, 1),
        user="U2",
        visibility="named",
        lesson="@SUM(A1)",
        items=("-rm -rf", "+1 more"),
        safeguards=("tests", "monitoring"),
    )
    old = seed(bot, "Old named lesson", date(2021, 1, 1), user="UZ9", visibility="named", lesson="Kept it")
    waiting = seed(bot, "Waiting for the crowd", date(2024, 1, 1), user="UANON4", visibility="anonymous")
    seed(bot, "PRIVATE-SECRET", date(2022, 1, 1), user="UPRIV5", lesson="PRIVATE-LESSON", category="career")
    seed(bot, "Other workspace shared", date(2023, 5, 1), user="U2", team="T0002", visibility="named")
    in_a_digest(bot, anonymous)
    thank(bot, anonymous, "U1", "U2")
    with bot.session_factory.begin() as session:
        session.get(ActionItem, session.get(Entry, named).action_items[1].id).done_at = NOW
    return {"old": old, "named": named, "anonymous": anonymous, "waiting": waiting}


def test_admin_export_sends_shared_entries_as_csv_with_counts_and_no_private_words(bot):
    bot.now = NOW
    bot.fake.users["U1"] = ADMIN
    shared_workspace(bot)

    bot.command("admin-export", key="admin")

    [complete] = bot.fake.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU1"
    assert list(uploaded_files(bot.fake)) == ["failure-resume-shared-entries-2024-06-01.csv"]
    data = uploaded(bot.fake, ".csv")
    assert data.startswith(b"\xef\xbb\xbf")  # spreadsheets then read it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_COLUMNS)
    # Named entries by date; then anonymous ones, with only their month, apart from the named ones.
    assert rows[1:] == [
        ["2021-01-01", "data", "named", "UZ9", "Old named lesson", "Kept it", "tests", "[ ] First step", "0"],
        [
            "2023-05-01",
            "data",
            "named",
            "U2",
            '\'=HYPERLINK("http://evil.example")',
            "'@SUM(A1)",
            "tests monitoring",
            "[ ] -rm -rf\n[x] +1 more",
            "0",
        ],
        ["2023-05", "data", "anonymous", "", "익명 실패 😅 <!channel>", "<@U123> 덕분", "tests", "[ ] First step", "2"],
    ]
    comment = complete.args["initial_comment"]
    assert "*5 entries in this workspace*" in comment
    # The anonymous entry still waiting for its crowd counts as private: it must not stand out.
    assert "Private: 2 · Shared with a name: 2 · Shared anonymously: 1" in comment
    assert "By category: Data: 4 · Career: 1" in comment
    assert "By year: 2024: 1 · 2023: 2 · 2022: 1 · 2021: 1" in comment
    # Private words, anonymous authors, entries still waiting for their crowd: nowhere.
    sent = everything_sent(bot)
    for absent in ("PRIVATE-SECRET", "PRIVATE-LESSON", "UPRIV5", "UANON3", "UANON4", "Waiting for the crowd", "T0002"):
        assert absent.encode() not in sent
    assert "direct message" in dict(bot.fake.wait_for_responses())["admin"]["text"]
    assert_no_failed_calls(bot)


def test_admin_export_from_the_home_button(bot):
    bot.now = NOW
    bot.fake.users["U1"] = ADMIN
    ids = shared_workspace(bot)
    assert home_click(bot, payloads.button("export_shared_button")).status == 200
    [complete] = bot.fake.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU1"
    rows = list(csv.reader(io.StringIO(uploaded(bot.fake, ".csv").decode("utf-8-sig"))))
    assert [row[4] for row in rows[1:]] == [
        "Old named lesson",
        '\'=HYPERLINK("http://evil.example")',
        "익명 실패 😅 <!channel>",
    ]
    assert ids["waiting"] and "Waiting for the crowd" not in {row[4] for row in rows}
    assert bot.fake.responses == []
    assert_no_failed_calls(bot)


def test_admin_export_is_refused_to_members_and_uploads_nothing(bot, caplog):
    shared_workspace(bot)
    bot.command("admin-export", user="U2", key="member")
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert "Only workspace admins and owners can export" in answer["text"]
    assert home_click(bot, payloads.button("export_shared_button"), user="U2").status == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "U2" and "Only workspace admins and owners can export" in post.args["text"]
    assert bot.fake.uploads == {}
    assert not [c for c in bot.fake.calls if c.method.startswith("files.") or c.method == "conversations.open"]
    assert b"PRIVATE-SECRET" not in everything_sent(bot)
    assert unhandled_errors(caplog) == []


@pytest.mark.parametrize(
    ("user", "expected"),
    [("U1", ["export_shared_button", "delete_all_data_button"]), ("U2", ["delete_all_data_button"])],
)
def test_home_tab_offers_delete_to_everyone_and_the_shared_export_to_admins(bot, user, expected):
    bot.fake.users["U1"] = ADMIN
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home", "event_ts": "1.2"}
    assert bot.event(event).status == 200
    view = bot.fake.wait_for("views.publish")[0].args["view"]
    data_actions = next(b for b in view["blocks"] if b.get("block_id") == "data_actions_block")
    assert [e["action_id"] for e in data_actions["elements"]] == expected
    assert_no_failed_calls(bot)


def test_help_mentions_the_exports_and_deleting_ones_data(bot):
    bot.command("help", key="help")
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert "`/fail admin-export`" in answer["text"] and "Delete all my data" in answer["text"]
    assert "JSON" in answer["text"]


# ---- the pure pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a = b", "a = b"),
        ("2024-01-01", "2024-01-01"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert csv_cell(value) == cell


def test_delete_all_data_modal_and_home_rows_are_valid_block_kit():
    modal = build_delete_all_data_modal(ENGLISH)
    SdkView(**modal).to_dict()  # Slack's limits on titles and buttons
    assert modal["submit"]["text"] == "Delete everything"
    for is_admin in (True, False):
        home = build_home_view(ENGLISH, [], lessons=0, is_admin=is_admin)
        actions = next(b for b in home["blocks"] if b.get("block_id") == Block.DATA_ACTIONS)
        delete = next(e for e in actions["elements"] if e["action_id"] == Action.DELETE_ALL_DATA)
        assert delete["style"] == "danger"
        assert (Action.EXPORT_SHARED in [e["action_id"] for e in actions["elements"]]) is is_admin


@pytest.mark.parametrize("text", ["admin-export", "Admin-Export", "  admin-export \n"])
def test_admin_export_is_a_subcommand(text):
    assert parse_fail_command(text) == FailCommand("admin-export")


def test_admin_export_with_extra_words_is_a_typo_not_an_entry():
    assert parse_fail_command("admin-export now").action == "typo"
