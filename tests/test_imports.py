"""The Markdown import over signed HTTP: `/fail import` and the Home's Import button open the form, a
pasted resume is previewed in the modal, a file shared in the app's DM is downloaded by a worker and
previewed in the DM, and only Import saves. Checked on the HTTP answers, on what the fake Slack was
sent (the file's download included), and on the rows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.blocks.imports import YEAR_OPTIONS, build_preview_message, build_preview_modal, parse_year_choice
from bot.domain.markdown_import import Anomaly, ImportedEntry, ImportPlan, decode_markdown
from bot.domain.markdown_reading import parse_resume
from bot.i18n import translator
from bot.slack.files import is_slack_host
from storage.models import ActionItem, PendingImport
from tests import payloads
from tests.checks import assert_no_failed_calls
from tests.fakes.rules import MESSAGE_BLOCKS_MAX, blocks_problem, view_problem
from tests.harness.bot import BotHarness
from tests.harness.drafts import DRAFT_LESSONS
from tests.rows import entries, seed
from tests.uploads import uploaded

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "fixtures" / "import"

# Three entries in two years: a category heading, a nested lesson, action items (one done), a
# "Lesson:" line, and an entry with no lesson.
RESUME = """# My failures

## 2024

### Engineering

- Deployed on a Friday and the cache fell over
  - Lesson: deploy early in the week
  - [x] Add a kill switch
  - [ ] Alert on cache misses
- Skipped the design review

## 2023

- Promised a date without asking the team
  Lesson: ask first
"""
# What RESUME saves: (what happened, lesson, day, day known, category, safeguards, visibility, action items).
RESUME_ROWS = [
    (
        "Deployed on a Friday and the cache fell over",
        "deploy early in the week",
        date(2024, 1, 1),
        False,  # a bullet under `## 2024`: only its year is known
        "engineering",
        (),
        "private",
        (("Add a kill switch", True), ("Alert on cache misses", False)),
    ),
    ("Skipped the design review", None, date(2024, 1, 1), False, "engineering", (), "private", ()),
    ("Promised a date without asking the team", "ask first", date(2023, 1, 1), False, "other", (), "private", ()),
]
# Line 1: a future year; line 9: an empty year; line 15: a year out of order (2019 then 2022).
ANOMALIES = """## 2031

- Will surely forget to plan this

## 2024

- Broke the build twice in one day

## 2023

## 2019

- Chose a database because it was fashionable

## 2022

- Ran the load test against production
"""
KOREAN = "배포 실패 🚀 <!channel> <@U123> 캐시가 터졌어요 & <b>"
KOREAN_LESSON = "금요일 배포 금지 <!here>"
KOREAN_RESUME = f"## 2024년\n\n- {KOREAN}\n  - 배운 점: {KOREAN_LESSON}\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
NOT_READABLE = "We couldn't read that file from Slack"


# ---- helpers --------------------------------------------------------------------------


@pytest.fixture
def bot(bot):
    bot.now = NOW
    return bot


def import_values(text: str | None) -> dict:
    return {"import_text_block": {"import_text_input": {"type": "plain_text_input", "value": text}}}


def paste(bot, text: str | None, user: str = "U1"):
    """Submit the import modal with `text` pasted into it."""
    submission = payloads.view_submission(import_values(text), callback_id="import_modal", user=user)
    return bot.interact(submission)


def submit_preview(bot, import_id: int | str, user: str = "U1"):
    """Press Import under a pasted resume's preview modal."""
    submission = payloads.view_submission(
        {}, callback_id="import_preview_modal", private_metadata=str(import_id), user=user
    )
    return bot.interact(submission)


def file_share(user: str, files: list[dict], channel: str | None = None) -> dict:
    """The `message` event Slack sends when a person shares files in the app's DM."""
    return {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": channel or f"D{user}",
        "user": user,
        "text": "",
        "files": files,
        "upload": False,
        "display_as_bot": False,
        "ts": "1700000000.000500",
        "event_ts": "1700000000.000500",
    }


def share(bot, data: bytes, name: str = "resume.md", user: str = "U1", mimetype: str = "text/markdown", **file):
    """Share a file in the app's DM; `file`: fields of Slack's file object to change (its `size`)."""
    shared = {**bot.fake.share_file(name, data, mimetype=mimetype), **file}
    answer = bot.event(file_share(user, [shared]))
    assert answer.status == 200
    return shared


def dm_posts(bot, channel: str, count: int = 1) -> list:
    """The chat.postMessage calls to `channel`, once there are `count` of them."""
    bot.fake.wait_for("chat.postMessage", count=count)
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == channel]
    assert len(posts) >= count, [c.args["channel"] for c in bot.fake.calls_to("chat.postMessage")]
    return posts


def the_answer(bot, channel: str = "DU1") -> str:
    """The one message posted to `channel`, after the queue ran: its text."""
    bot.fake.wait_for("chat.postMessage")
    bot.drain()
    posts = [(c.args["channel"], c.args["text"]) for c in bot.fake.calls_to("chat.postMessage")]
    answers = [text for to, text in posts if to == channel]
    assert len(answers) == 1, posts
    return answers[0]


def preview_of(bot, channel: str = "DU1") -> dict:
    """The file's preview message in the DM (it has the Import/Cancel buttons)."""
    [post] = dm_posts(bot, channel)
    assert any(b.get("block_id") == "import_actions_block" for b in post.args["blocks"]), post.args
    return post.args


def buttons(message: dict) -> dict[str, dict]:
    [actions] = [b for b in message["blocks"] if b.get("block_id") == "import_actions_block"]
    return {element["action_id"]: element for element in actions["elements"]}


def press(bot, element: dict, key: str, user: str = "U1"):
    """Press a button of the preview in the DM; its answer goes to response_url `key`."""
    payload = payloads.block_actions(element, user=user, response_url=bot.fake.response_url(key))
    payload["container"].update(channel_id=f"D{user}", is_ephemeral=False)
    payload["channel"] = {"id": f"D{user}", "name": "directmessage"}
    return bot.interact(payload)


def mrkdwn_texts(node) -> list[str]:
    """Every mrkdwn text in a view or message, wherever it sits."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for child in node.values() for t in mrkdwn_texts(child)]
    if isinstance(node, list):
        return [t for child in node for t in mrkdwn_texts(child)]
    return []


def pending_imports(bot) -> list[PendingImport]:
    with bot.session_factory() as session:
        return list(session.scalars(select(PendingImport).order_by(PendingImport.id)))


def entry_rows(bot, user: str = "U1") -> list[tuple]:
    """The person's entries in the order they were saved: (what happened, lesson, day, whether the day
    is known, category, safeguards, visibility, action items as (text, done))."""
    return [
        (
            e.what_happened,
            e.lesson,
            e.happened_on,
            e.day_known,
            e.category,
            tuple(e.safeguards),
            e.visibility,
            tuple((i.text, i.status == "done" and i.done_at is not None) for i in e.action_items),
        )
        for e in entries(bot)
        if e.user_id == user
    ]


def mark_done(bot, item_text: str) -> None:
    """Done, pressed in the Home's open action items."""
    with bot.session_factory() as session:
        item_id = session.scalars(select(ActionItem.id).where(ActionItem.text == item_text)).one()
    done = payloads.block_actions(payloads.button("action_item_done_button", str(item_id)), container="view")
    assert bot.interact(done).status == 200
    bot.drain()


def import_shared(bot, data: bytes, key: str, user: str = "U1") -> str:
    """Share `data`, press Import under its preview, and return the answer that replaced it."""
    before, posted = len(bot.fake.responses), len(bot.fake.calls_to("chat.postMessage"))
    share(bot, data, user=user)
    post = bot.fake.wait_for("chat.postMessage", count=posted + 1)[posted]
    assert post.args["channel"] == f"D{user}"
    assert press(bot, buttons(post.args)["import_confirm_button"], key, user=user).status == 200
    [(answered_to, answer)] = bot.fake.wait_for_responses(before + 1)[before:]
    assert answered_to == key
    return answer["text"]


# ---- opening the form -----------------------------------------------------------------


def test_fail_import_opens_the_import_modal(bot):
    answer = bot.command("import")
    assert answer.status == 200
    [view] = bot.fake.wait_for_views()
    assert view["callback_id"] == "import_modal"
    [field] = [b for b in view["blocks"] if b.get("block_id") == "import_text_block"]
    assert field["type"] == "input"
    assert field["element"]["action_id"] == "import_text_input" and field["element"]["multiline"] is True
    assert view["submit"]["text"] == "Preview"
    assert entries(bot) == [] and pending_imports(bot) == []
    assert_no_failed_calls(bot)


def test_the_home_import_button_opens_the_import_modal(bot):
    press_home = payloads.block_actions(payloads.button("import_button"), container="view")
    assert bot.interact(press_home).status == 200
    [view] = bot.fake.wait_for_views()
    assert view["callback_id"] == "import_modal"
    assert "import_text_block" in [b.get("block_id") for b in view["blocks"]]
    assert_no_failed_calls(bot)


# ---- a pasted resume ------------------------------------------------------------------


def test_a_pasted_resume_is_previewed_in_the_modal_and_nothing_is_saved_yet(bot):
    answer = paste(bot, RESUME)
    assert answer.status == 200
    body = answer.json()
    assert body["response_action"] == "update"
    view = body["view"]
    assert view["callback_id"] == "import_preview_modal"
    assert view["submit"]["text"] == "Import"
    [pending] = pending_imports(bot)
    assert view["private_metadata"] == str(pending.id)
    assert (pending.user_id, pending.status) == ("U1", "pending")
    text = "\n".join(mrkdwn_texts(view))
    assert "*3 entries* to import" in text and "2024: 2 entries, 2023: 1 entry" in text
    assert "Deployed on a Friday and the cache fell over" in text and "_deploy early in the week_" in text
    assert entries(bot) == []


@pytest.mark.parametrize(
    ("pasted", "error"),
    [
        ("  \n \n", "there is nothing to import"),
        (None, "there is nothing to import"),
        ("Dear diary, today the deploy went wrong.\n- and so did lunch", "We found no year headings"),
    ],
    ids=["blank", "missing", "no-years"],
)
def test_a_paste_that_is_no_resume_gets_an_error_on_the_field(bot, pasted, error):
    answer = paste(bot, pasted)
    assert answer.status == 200
    body = answer.json()
    assert body and body.get("response_action") == "errors", answer.body
    assert list(body["errors"]) == ["import_text_block"]
    assert error in body["errors"]["import_text_block"]
    bot.drain()
    assert entries(bot) == [] and pending_imports(bot) == []
    assert bot.fake.calls == []


def test_the_preview_shows_a_future_year_an_empty_year_and_a_year_out_of_order(bot):
    view = paste(bot, ANOMALIES).json()["view"]
    text = "\n".join(mrkdwn_texts(view))
    assert "*3 entries* to import" in text
    assert "Line 1: 2031 is in the future, so its entries are left out." in text
    assert "Line 9: 2023 has no entries." in text
    assert "Line 15: 2022 is out of order among the years around it (imported under 2022)." in text
    assert "Will surely forget" not in text


def test_a_paste_with_nothing_to_import_has_no_import_button(bot):
    view = paste(bot, "## 2031\n\n- Next year's mistake\n").json()["view"]
    assert view["callback_id"] == "import_preview_modal"
    assert "submit" not in view
    assert "2031 is in the future" in "\n".join(mrkdwn_texts(view))


def test_importing_a_pasted_resume_saves_private_entries_and_says_nice_job_in_the_dm(bot):
    import_id = paste(bot, RESUME).json()["view"]["private_metadata"]
    answer = submit_preview(bot, import_id)
    assert answer.status == 200 and not (answer.json() or {}).get("response_action")

    [nice] = dm_posts(bot, "U1")
    assert nice.args["text"].startswith("Nice job! 3 entries are now in your failure resume, private to you.")
    [home] = bot.fake.wait_for("views.publish")
    assert home.args["user_id"] == "U1"
    assert "Deployed on a Friday and the cache fell over" in json.dumps(home.args["view"])
    assert entry_rows(bot) == RESUME_ROWS
    [pending] = pending_imports(bot)
    assert (pending.status, pending.text) == ("imported", "")
    assert_no_failed_calls(bot)


def test_an_imported_done_item_is_not_asked_about_a_month_later(bot):
    submit_preview(bot, paste(bot, RESUME).json()["view"]["private_metadata"])
    bot.fake.wait_for("views.publish")
    with bot.session_factory() as session:
        [done] = session.scalars(select(ActionItem).where(ActionItem.status == "done")).all()
    # Done long ago (its entry's day): "Did it help?" is for items done this month, not imported ones.
    assert done.done_at == datetime(2024, 1, 1, tzinfo=UTC) and done.helped_asked_at is not None


def test_submitting_the_preview_twice_imports_once(bot):
    import_id = paste(bot, RESUME).json()["view"]["private_metadata"]
    assert submit_preview(bot, import_id).status == 200
    assert submit_preview(bot, import_id).status == 200
    bot.fake.wait_for("chat.postMessage")
    bot.drain()
    assert len(entries(bot)) == 3
    assert len(dm_posts(bot, "U1")) == 1


def test_someone_else_cannot_import_a_persons_pasted_resume(bot):
    import_id = paste(bot, RESUME).json()["view"]["private_metadata"]
    assert submit_preview(bot, import_id, user="U2").status == 200
    bot.drain()
    assert entries(bot) == []
    assert pending_imports(bot)[0].status == "pending"
    assert bot.fake.calls_to("chat.postMessage") == []


# ---- a file shared in the app's DM ----------------------------------------------------


def test_a_shared_file_is_downloaded_and_previewed_in_the_dm_with_import_and_cancel(bot):
    shared = share(bot, RESUME.encode())
    message = preview_of(bot)
    [download] = bot.fake.calls_to("download")
    assert download.args == {"file_id": shared["id"]}
    [pending] = pending_imports(bot)
    found = buttons(message)
    assert list(found) == ["import_confirm_button", "import_cancel_button"]
    assert {element["value"] for element in found.values()} == {str(pending.id)}
    assert found["import_confirm_button"]["text"]["text"] == "Import 3 entries"
    text = "\n".join(mrkdwn_texts(message["blocks"]))
    assert "*3 entries* to import" in text and "2024: 2 entries, 2023: 1 entry" in text
    bot.drain()
    assert entries(bot) == []
    assert_no_failed_calls(bot)


def test_import_under_a_files_preview_saves_its_entries_and_replaces_the_preview(bot):
    share(bot, RESUME.encode())
    confirm = buttons(preview_of(bot))["import_confirm_button"]
    assert press(bot, confirm, "confirm").status == 200

    [(key, answer)] = bot.fake.wait_for_responses()
    assert key == "confirm" and answer["replace_original"] is True
    assert answer["text"].startswith("Nice job! 3 entries are now in your failure resume, private to you.")
    [home] = bot.fake.wait_for("views.publish")
    assert home.args["user_id"] == "U1" and "Skipped the design review" in json.dumps(home.args["view"])
    assert entry_rows(bot) == RESUME_ROWS
    assert_no_failed_calls(bot)


def test_import_pressed_twice_imports_once(bot):
    share(bot, RESUME.encode())
    confirm = buttons(preview_of(bot))["import_confirm_button"]
    assert press(bot, confirm, "first").status == 200
    assert press(bot, confirm, "second").status == 200
    bot.fake.wait_for_responses()
    bot.drain()
    assert len(entries(bot)) == 3
    assert [key for key, _ in bot.fake.responses] == ["first"]
    assert [c.args["channel"] for c in bot.fake.calls_to("chat.postMessage")] == ["DU1"]  # the preview only


def test_cancel_stores_nothing_and_says_so(bot):
    share(bot, RESUME.encode())
    found = buttons(preview_of(bot))
    assert press(bot, found["import_cancel_button"], "cancel").status == 200
    [(key, answer)] = bot.fake.wait_for_responses()
    assert key == "cancel" and answer["replace_original"] is True
    assert answer["text"] == "Cancelled: nothing was imported."
    [pending] = pending_imports(bot)
    assert (pending.status, pending.text) == ("cancelled", "")

    assert press(bot, found["import_confirm_button"], "late").status == 200  # Import after Cancel
    bot.drain()
    assert entries(bot) == []
    assert [key for key, _ in bot.fake.responses] == ["cancel"]


def test_cancel_after_import_does_not_claim_that_nothing_was_imported(bot):
    share(bot, RESUME.encode())
    found = buttons(preview_of(bot))
    assert press(bot, found["import_confirm_button"], "confirm").status == 200
    bot.fake.wait_for_responses()
    bot.drain()
    assert press(bot, found["import_cancel_button"], "cancel").status == 200  # a second window, say
    bot.drain()
    assert len(entries(bot)) == 3
    said = [answer["text"] for key, answer in bot.fake.responses if key == "cancel"]
    assert all("nothing was imported" not in text for text in said), said


def test_someone_else_cannot_import_a_persons_shared_file(bot):
    share(bot, RESUME.encode())
    confirm = buttons(preview_of(bot))["import_confirm_button"]
    assert press(bot, confirm, "stranger", user="U2").status == 200
    bot.drain()
    assert entries(bot) == []
    assert pending_imports(bot)[0].status == "pending"
    assert bot.fake.responses == []


def test_korean_and_mentions_are_shown_in_the_preview_without_pinging_anyone(bot):
    share(bot, KOREAN_RESUME.encode("utf-8"))
    message = preview_of(bot)
    texts = mrkdwn_texts(message["blocks"])
    wire = json.dumps(message, ensure_ascii=False)
    assert any("배포 실패 🚀 &lt;!channel&gt; &lt;@U123&gt; 캐시가 터졌어요 &amp; &lt;b&gt;" in t for t in texts), texts
    assert any("금요일 배포 금지 &lt;!here&gt;" in t for t in texts), texts
    for ping in ("<!channel>", "<@U123>", "<!here>"):
        assert ping not in wire

    press(bot, buttons(message)["import_confirm_button"], "confirm")
    bot.fake.wait_for_responses()
    bot.drain()
    [entry] = entries(bot)
    assert (entry.what_happened, entry.lesson, entry.happened_on) == (KOREAN, KOREAN_LESSON, date(2024, 1, 1))


def test_a_pasted_resume_with_mentions_is_previewed_without_pinging_anyone(bot):
    view = paste(bot, KOREAN_RESUME).json()["view"]
    wire = json.dumps(view, ensure_ascii=False)
    assert "&lt;!channel&gt; &lt;@U123&gt;" in "\n".join(mrkdwn_texts(view))
    assert "<!channel>" not in wire and "<@U123>" not in wire and "<!here>" not in wire


def test_the_files_preview_shows_its_anomalies(bot):
    share(bot, ANOMALIES.encode())
    text = "\n".join(mrkdwn_texts(preview_of(bot)["blocks"]))
    assert "Line 1: 2031 is in the future, so its entries are left out." in text
    assert "Line 9: 2023 has no entries." in text
    assert "Line 15: 2022 is out of order" in text


def test_importing_the_same_file_again_adds_nothing_twice(bot):
    first = import_shared(bot, RESUME.encode(), "first")
    assert first.startswith("Nice job! 3 entries are now")
    bot.drain()
    again = import_shared(bot, RESUME.encode(), "again")
    bot.drain()
    assert again == "Everything in it is in your failure resume already, so nothing was added twice."
    assert entry_rows(bot) == RESUME_ROWS


def test_a_file_already_partly_there_adds_only_the_new_entries(bot):
    seed(bot, "Skipped the design review", date(2024, 5, 2), items=())
    answer = import_shared(bot, RESUME.encode(), "confirm")
    bot.drain()
    assert answer.startswith("Nice job! 2 entries are now")
    assert "1 was in it already and is not added twice." in answer
    assert len(entries(bot)) == 3


def test_a_file_without_files_read_gets_a_clear_answer_and_stores_nothing(bot):
    bot.fake.scopes = tuple(scope for scope in bot.fake.scopes if scope != "files:read")
    share(bot, RESUME.encode())
    assert NOT_READABLE in the_answer(bot)
    [download] = bot.fake.calls_to("download")  # Slack answered its sign-in page
    assert download.status == 200
    assert entries(bot) == [] and pending_imports(bot) == []


def test_a_file_link_outside_slack_is_never_fetched_with_the_token(bot):
    shared = bot.fake.share_file("resume.md", RESUME.encode())
    link = "https://files.example.com/resume.md"
    elsewhere = {**shared, "url_private": link, "url_private_download": link + "?download=1"}
    bot.event(file_share("U1", [elsewhere]))
    assert NOT_READABLE in the_answer(bot)
    assert bot.fake.calls_to("download", ok_only=False) == []
    assert pending_imports(bot) == []


def test_a_link_with_a_korean_name_left_unencoded_is_still_read(bot):
    shared = bot.fake.share_file("실패 이력서.md", RESUME.encode())
    raw = unquote(shared["url_private_download"])
    assert raw != shared["url_private_download"]  # the fake encodes it, as Slack does; a client may not
    bot.event(file_share("U1", [{**shared, "url_private_download": raw}]))
    assert "import_actions_block" in json.dumps(preview_of(bot)["blocks"])


def test_a_redirect_away_from_slack_is_not_followed_with_the_token(bot):
    # A port of loopback nothing answers on: were the redirect followed, the answer would be a failure.
    shared = bot.fake.share_file("resume.md", RESUME.encode(), redirect="http://127.0.0.1:9/steal")
    bot.event(file_share("U1", [shared]))
    assert NOT_READABLE in the_answer(bot)
    assert [c.status for c in bot.fake.calls_to("download", ok_only=False)] == [302]
    assert pending_imports(bot) == []


def test_slacks_file_host_failing_once_is_tried_again_and_the_preview_comes(bot):
    bot.fake.queue_failure("download", status=500)
    share(bot, RESUME.encode())
    # The follow-up is handed over again after its retry delay (10 s).
    post = bot.fake.wait_for("chat.postMessage", timeout=30)[0]
    assert "import_actions_block" in json.dumps(post.args["blocks"])
    assert [c.status for c in bot.fake.calls_to("download", ok_only=False)] == [500, 200]
    assert len(pending_imports(bot)) == 1


# ---- files refused ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "mimetype", "said"),
    [
        ("empty.md", b"", "text/markdown", "That file is empty, so there is nothing to import."),
        ("blank.md", b"\n   \n\t\n", "text/markdown", "That file is empty, so there is nothing to import."),
        ("picture.png", PNG, "image/png", "That doesn't look like a text file."),
        ("nul.md", b"## 2024\n\n- A mistake\x00 with a NUL\n", "text/markdown", "That doesn't look like a text file."),
        (
            "many.md",
            ("## 2024\n\n" + "".join(f"- Mistake number {n}\n" for n in range(5000))).encode(),
            "text/markdown",
            "That file has 5,000 entries; one import takes up to 1,000. Please split it by years.",
        ),
        (
            "list.md",
            b"# Things that went wrong\n\n- Deployed on a Friday\n- Missed a deadline\n",
            "text/markdown",
            "We found no year headings such as `## 2024` in it",
        ),
    ],
    ids=["empty", "blank", "png", "nul", "too-many", "no-years"],
)
def test_a_file_that_is_no_resume_gets_a_clear_answer_and_stores_nothing(bot, name, data, mimetype, said):
    share(bot, data, name=name, mimetype=mimetype)
    answer = the_answer(bot)
    assert said in answer
    assert bot.fake.calls_to("download")
    assert entries(bot) == [] and pending_imports(bot) == []
    assert_no_failed_calls(bot)


def test_a_file_over_a_megabyte_is_refused_without_being_downloaded(bot):
    share(bot, RESUME.encode(), size=1_000_001)
    assert the_answer(bot) == "That file is over 1 MB. Please split it by years and import each part."
    assert [c for c in bot.fake.calls if c.method == "download"] == []
    assert entries(bot) == [] and pending_imports(bot) == []


def test_a_pdf_is_refused_as_no_text_file_without_being_downloaded(bot):
    share(bot, b"%PDF-1.7 ...", name="resume.pdf", mimetype="application/pdf", filetype="pdf", size=5_000_000)
    assert the_answer(bot).startswith("That doesn't look like a text file.")
    assert [c for c in bot.fake.calls if c.method == "download"] == []
    assert pending_imports(bot) == []


def test_the_preview_quotes_the_start_of_each_line_it_left_out(bot):
    share(bot, b"Notes before the years\n\n## 2024\n\n- A mistake <!here>\n")
    preview = json.dumps(preview_of(bot), ensure_ascii=False)
    assert "Line 1: text before the first year heading is left out. \u201cNotes before the years\u201d" in preview


def test_a_file_bigger_than_its_event_says_is_refused_after_one_megabyte(bot):
    data = ("## 2024\n\n- A mistake\n" + "x" * 1_000_000).encode()
    share(bot, data, size=1_000)
    assert "That file is over 1 MB." in the_answer(bot)
    assert entries(bot) == [] and pending_imports(bot) == []


# ---- other messages in the DM ---------------------------------------------------------


def test_a_typed_message_in_the_dm_gets_a_hint(bot):
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "DU1",
        "user": "U1",
        "text": "hello, can I import my resume?",
        "ts": "1700000000.000600",
        "event_ts": "1700000000.000600",
    }
    assert bot.event(event).status == 200
    [hint] = dm_posts(bot, "U1")
    assert "share its .md file here" in hint.args["text"] and "/fail" in hint.args["text"]
    # A second message that day is not answered again; the next day's is.
    assert bot.event({**event, "ts": "1700000000.000700", "event_ts": "1700000000.000700"}).status == 200
    bot.drain()
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    bot.now = bot.now + timedelta(days=1)
    assert bot.event({**event, "ts": "1700000000.000800", "event_ts": "1700000000.000800"}).status == 200
    bot.fake.wait_for("chat.postMessage", count=2)
    assert entries(bot) == [] and pending_imports(bot) == []


def test_the_apps_own_messages_in_the_dm_get_no_answer(bot):
    own = {
        "type": "message",
        "subtype": "bot_message",
        "channel_type": "im",
        "channel": "DU1",
        "bot_id": "BBOT",
        "text": "Import preview",
        "ts": "1700000000.000700",
        "event_ts": "1700000000.000700",
    }
    assert bot.event(own).status == 200
    # A typed message after it is the marker that the first event has been handled.
    typed = {key: value for key, value in own.items() if key not in ("subtype", "bot_id")}
    bot.event({**typed, "user": "U1", "text": "hi", "ts": "1700000000.000800"})
    dm_posts(bot, "U1")
    bot.drain()
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


# ---- the round trip: record, export, import -------------------------------------------


def test_an_exported_resume_imports_back_the_same_entries(bot):
    recorded = [
        dict(
            what="We deployed on a Friday & the cache fell over.\n- It was not the first time\n# nor the last",
            lesson="Deploy early in the week, behind a flag.\n1. Flags first\n2. Then the deploy",
            category="engineering",
            when="2024-03-01",
            safeguards=("gradual_rollout", "kill_switch"),
            action_items="Add a kill switch\nAlert on cache misses",
            visibility="named",
        ),
        dict(
            what="배포 실패 🚀 캐시가 터졌어요",
            lesson="금요일 배포 금지 🙅",
            category="career",
            when="2022-12-31",
            safeguards=("runbook",),
            action_items="런북 작성",
            visibility="private",
        ),
        dict(
            what="Promised a date without asking the team",
            lesson=None,
            category="management",
            when="2023-07-14",
            safeguards=(),
            action_items=None,
            visibility="private",
        ),
    ]
    for n, values in enumerate(recorded, start=1):
        answer = bot.submit_entry(**values)
        assert answer.status == 200 and not (answer.json() or {}).get("response_action"), answer.body
        bot.fake.wait_for("views.publish", count=n)
    bot.drain()
    mark_done(bot, "Alert on cache misses")
    originals = entry_rows(bot, "U1")
    assert len(originals) == 3 and ("Alert on cache misses", True) in originals[0][7]

    bot.command("export", key="export")
    bot.fake.wait_for("files.completeUploadExternal")
    markdown = uploaded(bot.fake, ".md")
    bot.drain()
    bot.fake.reset()

    answer = import_shared(bot, markdown, "import", user="U2")
    assert answer.startswith("Nice job! 3 entries are now in your failure resume")
    bot.drain()
    imported = entry_rows(bot, "U2")
    by_words = {row[0]: row for row in imported}
    assert sorted(by_words) == sorted(row[0] for row in originals)
    for original in originals:
        assert by_words[original[0]] == (*original[:6], "private", original[7])


@pytest.mark.parametrize(
    ("api", "link", "trusted"),
    [
        ("https://slack.com/api/", "https://files.slack.com/files-pri/T1-F1/resume.md", True),
        ("https://slack-gov.com/api/", "https://files.slack-gov.com/files-pri/T1-F1/resume.md", True),
        ("https://slack-gov.com/api/", "https://files.slack.com/files-pri/T1-F1/resume.md", False),
        ("https://slack.com/api/", "http://files.slack.com/files-pri/T1-F1/resume.md", False),  # in clear
        ("https://slack.com/api/", "https://files.slack.com.example.net/resume.md", False),
        ("https://slack.com/api/", "https://evilslack.com/resume.md", False),
        ("http://127.0.0.1:8080/api/", "http://127.0.0.1:8080/files-pri/F1/resume.md", True),
        ("http://127.0.0.1:8080/api/", "http://127.0.0.1:9/files-pri/F1/resume.md", False),
    ],
)
def test_the_bot_token_goes_only_to_the_slack_the_app_talks_to(api, link, trusted):
    assert is_slack_host(link, WebClient(token="xoxb-test", base_url=api)) is trusted


def test_an_entry_with_only_its_year_shows_its_year_and_comes_back_so_from_the_export(bot):
    assert import_shared(bot, RESUME.encode(), "first").startswith("Nice job! 3 entries")
    bot.drain()
    bot.fake.reset()
    bot.command("resume 2023", key="resume")
    [(_key, page)] = bot.fake.wait_for_responses()
    wire = json.dumps(page["blocks"], ensure_ascii=False)
    assert "*2023* · Other" in wire and "Jan 1, 2023" not in wire  # the year alone, as it was written

    bot.command("export", key="export")
    bot.fake.wait_for("files.completeUploadExternal")
    markdown = uploaded(bot.fake, ".md")
    assert "### 2023 · Other" in markdown.decode()
    bot.fake.wait_for_responses(2)  # the resume page, and the export's "Sent to you"
    answer = import_shared(bot, markdown, "again", user="U2")
    assert answer.startswith("Nice job! 3 entries")
    bot.drain()
    assert sorted(entry_rows(bot, "U2"), key=str) == sorted(entry_rows(bot, "U1"), key=str)


def test_with_the_database_down_a_pasted_resume_stays_in_the_open_form(fake_slack, tmp_path):
    harness = BotHarness(fake_slack, f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        answer = paste(harness, RESUME)
        # Slack keeps the form, and so the pasted resume, open; nothing claims it was kept.
        assert answer.status == 200 and answer.json()["response_action"] == "errors"
        assert "could not be saved just now" in answer.json()["errors"]["import_text_block"]
        assert fake_slack.calls == []
    finally:
        harness.close()


# ---- resumes written for readers, shared in the DM --------------------------------------


def kept_rows(bot, user: str = "U1") -> list[tuple]:
    """The person's entries as saved: (year, what happened, lesson, category, section), in order."""
    assert all(e.day_known is False and e.visibility == "private" for e in entries(bot) if e.user_id == user)
    return [
        (e.happened_on.year, e.what_happened, e.lesson, e.category, e.section)
        for e in entries(bot)
        if e.user_id == user
    ]


BLOG_ROWS = [
    (
        2023,
        "Built a churn model on leaky features; it scored 0.99 offline and fell apart in production.",
        "I learnt the importance of checking when every feature becomes known.",
        "data",
        "Top DS Failures",
    ),
    (
        2019,
        "Shipped a recommender without an A/B test.",
        "I learned that offline metrics are not the product.",
        "data",
        "Top DS Failures",
    ),
    (
        2020,
        "Spent three months tuning a model nobody had asked for (2020).",
        "talk to the people who will use it first.",
        "data",
        "Top DS Failures",
    ),
    (2023, "Trusted a dashboard without reading the query behind it", None, "data", "Top DS Failures"),
    (
        2021,
        "Hired too fast for a team of five.",
        "We learned to write the role down before opening it.",
        "management",
        "Top management failures",
    ),
    (
        2023,
        "Skipped one-on-ones during a crunch, and two people left.",
        "the crunch is when one-on-ones matter most",
        "management",
        "Top management failures",
    ),
    (
        2022,
        "Promised a launch date to leadership without asking the team",
        None,
        "management",
        "Top management failures",
    ),
]


def shared_fixture(bot, name: str) -> tuple[dict, str]:
    """Share a fixture in the DM: its preview message, and the preview's words."""
    share(bot, (FIXTURES / name).read_bytes())
    message = preview_of(bot)
    return message, "\n".join(mrkdwn_texts(message["blocks"]))


def test_an_english_blog_post_without_year_headings_imports_its_seven_failures(bot):
    message, text = shared_fixture(bot, "blog_post.md")
    assert "*7 entries* to import" in text
    assert "2023: 3 entries, 2022: 1 entry, 2021: 1 entry, 2020: 1 entry, 2019: 1 entry" in text
    assert "*2023* · Data · Top DS Failures\nBuilt a churn model" in text
    assert "• Text before the first section is left out: line 8 “Eight years" in text
    assert "• 1 image skipped (line 13)." in text and "• 2 reference links skipped (lines 31, 32)." in text
    assert "import_year_block" not in json.dumps(message)  # the front matter's date gave every entry its year
    assert buttons(message)["import_confirm_button"]["text"]["text"] == "Import 7 entries"

    assert press(bot, buttons(message)["import_confirm_button"], "confirm").status == 200
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert answer["text"].startswith("Nice job! 7 entries are now in your failure resume, private to you.")
    bot.drain()
    assert kept_rows(bot) == BLOG_ROWS
    assert_no_failed_calls(bot)


def test_the_export_of_an_imported_blog_post_keeps_its_sections_and_adds_nothing_back(bot):
    import_shared(bot, (FIXTURES / "blog_post.md").read_bytes(), "first")
    bot.drain()
    bot.fake.reset()
    bot.command("export", key="export")
    bot.fake.wait_for("files.completeUploadExternal")
    markdown = uploaded(bot.fake, ".md")
    assert "### 2023 · Data · Top DS Failures" in markdown.decode()
    data = json.loads(uploaded(bot.fake, ".json"))
    assert [e["section"] for e in data["entries"]][:2] == ["Top DS Failures", "Top DS Failures"]  # 2019, 2020
    bot.fake.wait_for_responses()
    bot.command("resume 2019", key="resume")
    [_export, (_key, page)] = bot.fake.wait_for_responses(2)
    assert "*2019* · Data · Top DS Failures" in json.dumps(page["blocks"], ensure_ascii=False)
    bot.drain()

    bot.fake.reset()
    assert import_shared(bot, markdown, "mine").startswith("Everything in it is in your failure resume already")
    bot.drain()
    assert import_shared(bot, markdown, "theirs", user="U2").startswith("Nice job! 7 entries")
    bot.drain()
    assert sorted(kept_rows(bot, "U2"), key=str) == sorted(BLOG_ROWS, key=str)
    assert len(entries(bot)) == 14


def test_a_korean_draft_imports_the_resume_inside_its_comment_and_says_what_it_skipped(bot):
    from tests.harness.people import korean_person

    korean_person(bot)
    message, text = shared_fixture(bot, "draft_ko.md")
    assert "가져올 기록이 *12건* 있어요." in text
    assert "• 25번째 줄: 2025년이 앞뒤 연도와 순서가 맞지 않아요." in text
    assert "• 31~75번째 줄은 HTML 주석(`<!--`) 안에 있어서" in text
    assert "• 기록이 없는 해: 2024, 2017, 2016, 2025, 2014, 2013." in text
    assert "• 참고 링크 4개를 건너뛰었어요(70, 71, 72, 73번째 줄)." in text
    assert "2023년에는 기록이 없어요" not in text
    assert text.index("2025년이 앞뒤 연도와") < text.index("기록이 없는 해")  # what changes the import comes first

    assert press(bot, buttons(message)["import_confirm_button"], "confirm").status == 200
    bot.fake.wait_for_responses()
    bot.drain()
    saved = kept_rows(bot)
    assert [year for year, *_ in saved] == [2023, 2023, 2022, 2022, 2021, 2021, 2020, 2020, 2019, 2019, 2018, 2018]
    assert [lesson for _y, _w, lesson, *_ in saved] == DRAFT_LESSONS["draft_ko.md"]
    assert saved[2][1] == "세 번째 면접에서 떨어졌다[^1]\n[^1]: 세 번째 면접까지 간 것은 처음이었다."
    assert not any("example.com" in what for _y, what, *_ in saved)  # no reference link became a failure


# ---- entries without a year: the year menu ----------------------------------------------


def pick_year(bot, menu: dict, year: int, key: str | None = None, user: str = "U1", view: dict | None = None):
    """Pick `year` in a preview's year menu: in the DM's message (its answer to response_url `key`),
    or in the modal `view`."""
    [chosen] = [o for o in menu["options"] if o["text"]["text"] == str(year)]
    action = {"type": "static_select", "action_id": menu["action_id"], "block_id": "import_year_block"}
    action["selected_option"] = chosen
    if view is None:
        payload = payloads.block_actions(action, user=user, response_url=bot.fake.response_url(key))
        payload["container"].update(channel_id=f"D{user}", is_ephemeral=False)
        payload["channel"] = {"id": f"D{user}", "name": "directmessage"}
    else:
        payload = payloads.block_actions(action, user=user, container="view")
        payload["container"]["view_id"] = view["id"]
        payload["view"] = {**payload["view"], **{k: view[k] for k in ("id", "callback_id", "private_metadata")}}
        payload["view"]["type"] = "modal"
    return bot.interact(payload)


def year_menu(blocks: list[dict]) -> dict:
    [block] = [b for b in blocks if b.get("block_id") == "import_year_block"]
    return block["accessory"]


KOREAN_BLOG_DATED = {"A/B 테스트 없이 추천 모델을 배포했다.": 2019, "다섯 명 팀에 사람을 너무 빨리 뽑았다.": 2021}


def test_entries_without_a_year_get_the_year_picked_in_the_dms_preview_then_import(bot):
    share(bot, (FIXTURES / "blog_post_ko.md").read_bytes())
    message = preview_of(bot)
    assert list(buttons(message)) == ["import_cancel_button"]  # no Import until every entry has a year
    [pending] = pending_imports(bot)

    assert pick_year(bot, year_menu(message["blocks"]), 2018, "year").status == 200
    [(key, again)] = bot.fake.wait_for_responses()
    assert key == "year" and again["replace_original"] is True
    assert year_menu(again["blocks"])["initial_option"]["text"]["text"] == "2018"
    assert "*3 entries* without a year are imported under *2018*." in "\n".join(mrkdwn_texts(again["blocks"]))
    assert pending_imports(bot)[0].year == 2018 and entries(bot) == []

    confirm = buttons(again)["import_confirm_button"]
    assert confirm["text"]["text"] == "Import 5 entries" and confirm["value"] == str(pending.id)
    assert press(bot, confirm, "confirm").status == 200
    bot.fake.wait_for_responses(2)
    bot.drain()
    saved = kept_rows(bot)
    assert [(year, what) for year, what, *_ in saved] == [
        (KOREAN_BLOG_DATED.get(what, 2018), what) for _year, what, *_ in saved
    ]
    assert [(category, section) for *_, category, section in saved] == [("data", "데이터 분석 실패")] * 3 + [
        ("management", "관리 실패")
    ] * 2
    assert_no_failed_calls(bot)


def test_a_pasted_resume_gets_the_year_menu_in_its_modal(bot):
    bot.command("import")
    [form] = bot.fake.wait_for_views()
    pasted = (FIXTURES / "blog_post_ko.md").read_text()
    submission = payloads.view_submission(import_values(pasted), callback_id="import_modal", view_id=form["id"])
    preview = bot.interact(submission).json()["view"]
    assert "submit" not in preview
    preview = {**preview, "id": form["id"]}  # what Slack now shows in that modal

    assert pick_year(bot, year_menu(preview["blocks"]), 2017, view=preview).status == 200
    bot.fake.wait_for("views.update")
    [shown] = bot.fake.wait_for_views()
    assert shown["callback_id"] == "import_preview_modal" and shown["submit"]["text"] == "Import"
    assert year_menu(shown["blocks"])["initial_option"]["text"]["text"] == "2017"

    assert submit_preview(bot, shown["private_metadata"]).status == 200
    bot.fake.wait_for("chat.postMessage")
    bot.drain()
    assert sorted(year for year, *_ in kept_rows(bot)) == [2017, 2017, 2017, 2019, 2021]


def test_import_without_a_year_picked_saves_nothing(bot):
    import_id = paste(bot, (FIXTURES / "blog_post_ko.md").read_text()).json()["view"]["private_metadata"]
    assert submit_preview(bot, import_id).status == 200  # a crafted submission: the modal had no Import
    bot.drain()
    assert entries(bot) == [] and pending_imports(bot)[0].status == "pending"


def test_nobody_else_picks_the_year_and_a_year_picked_after_the_import_changes_nothing(bot):
    share(bot, (FIXTURES / "blog_post_ko.md").read_bytes())
    message = preview_of(bot)
    assert pick_year(bot, year_menu(message["blocks"]), 2018, "stranger", user="U2").status == 200
    bot.drain()
    assert pending_imports(bot)[0].year is None and bot.fake.responses == []

    pick_year(bot, year_menu(message["blocks"]), 2018, "year")
    [(_key, again)] = bot.fake.wait_for_responses()
    press(bot, buttons(again)["import_confirm_button"], "confirm")
    bot.fake.wait_for_responses(2)
    bot.drain()
    assert pick_year(bot, year_menu(message["blocks"]), 2010, "late").status == 200
    bot.drain()
    assert [key for key, _ in bot.fake.responses] == ["year", "confirm"]
    assert pending_imports(bot)[0].year == 2018 and len(entries(bot)) == 5


@pytest.mark.parametrize(
    ("name", "count", "picked"),
    [("blog_post.md", 7, None), ("blog_post_ko.md", 5, 2016), ("draft.md", 12, None), ("draft_ko.md", 12, None)],
)
def test_each_fixture_shared_in_the_dm_imports_exactly_its_entries_once(bot, name, count, picked):
    """Share, pick the year where the preview asks for one, Import: the rows are the parser's entries
    field for field (tests/test_markdown_import.py pins those); the same file again adds nothing."""
    plan = fixture_plan(name)
    expected = [
        (
            (entry.happened_on or date(picked, 1, 1)).year,
            entry.what_happened,
            entry.lesson,
            entry.category,
            entry.section,
        )
        for entry in plan.entries
    ]
    answers = []
    for attempt in ("first", "again"):
        before = len(bot.fake.responses)
        posted = len(bot.fake.calls_to("chat.postMessage"))
        share(bot, (FIXTURES / name).read_bytes())
        message = bot.fake.wait_for("chat.postMessage", count=posted + 1)[posted].args
        assert f"*{count} entries* to import" in "\n".join(mrkdwn_texts(message["blocks"]))
        if picked:
            assert "import_confirm_button" not in buttons(message)
            pick_year(bot, year_menu(message["blocks"]), picked, f"{attempt}-year")
            message = bot.fake.wait_for_responses(before + 1)[before][1]
            before += 1
        assert press(bot, buttons(message)["import_confirm_button"], attempt).status == 200
        answers.append(bot.fake.wait_for_responses(before + 1)[before][1]["text"])
        bot.drain()
        assert kept_rows(bot) == expected
    assert answers[0].startswith(f"Nice job! {count} entries are now in your failure resume")
    assert answers[1] == "Everything in it is in your failure resume already, so nothing was added twice."
    assert_no_failed_calls(bot)


# ---- the preview, built (pure) --------------------------------------------------------


def fixture_plan(name: str) -> ImportPlan:
    return parse_resume(decode_markdown((FIXTURES / name).read_bytes()), NOW.date())


def listed(blocks: list[dict]) -> list[str]:
    """The preview's lines of warnings and notes, in order, each with the title it is under."""
    lines, title = [], None
    for text in mrkdwn_texts(blocks):
        for line in text.split("\n"):
            if line in ("*Please look at these:*", "*Also:*"):
                title = line
            elif line.startswith("• "):
                lines.append((title, line[2:]))
    return lines


def test_the_preview_says_each_kind_once_what_changes_the_import_first():
    blocks = build_preview_message(translator("en"), fixture_plan("draft.md"), 7)["blocks"]
    assert listed(blocks) == [
        (
            "*Please look at these:*",
            "Line 25: 2025 is out of order among the years around it (imported under 2025). “2025”",
        ),
        (
            "*Please look at these:*",
            "Lines 31 to 75 are inside an HTML comment (`<!--`), which readers of the file don't see; what is in "
            "them is offered too.",
        ),
        ("*Also:*", "Empty years: 2024, 2017, 2016, 2025, 2014, 2013."),
        ("*Also:*", "4 reference links skipped (lines 70, 71, 72, 73)."),
    ]
    text = "\n".join(mrkdwn_texts(blocks))
    assert "*12 entries* to import" in text
    assert (
        "2023: 2 entries, 2022: 2 entries, 2021: 2 entries, 2020: 2 entries, 2019: 2 entries, 2018: 2 entries" in text
    )
    assert "Import 12 entries" in json.dumps(blocks) and "import_year_block" not in json.dumps(blocks)


def test_the_korean_preview_says_the_same_in_korean():
    blocks = build_preview_message(translator("ko"), fixture_plan("draft_ko.md"), 7)["blocks"]
    lines = [line for _title, line in listed(blocks)]
    assert lines[2] == "기록이 없는 해: 2024, 2017, 2016, 2025, 2014, 2013."
    assert lines[3] == "참고 링크 4개를 건너뛰었어요(70, 71, 72, 73번째 줄)."
    assert lines[0].startswith("25번째 줄: 2025년이 앞뒤 연도와 순서가 맞지 않아요.")


def test_a_long_list_of_notes_is_never_cut_silently_and_the_years_are_never_cut():
    entry = ImportedEntry(date(2020, 1, 1), "Broke it", None, "other", (), (), None, 5000)
    years = range(2026, 2826)  # 800 years in the future, and as many out of order
    anomalies = (
        [Anomaly("future_year", 10 + n, year, str(year)) for n, year in enumerate(years)]
        + [Anomaly("year_out_of_order", 2000 + n, year - 900, str(year - 900)) for n, year in enumerate(years)]
        + [Anomaly("unknown_line", 3000 + n, 2020, "x" * 70) for n in range(300)]
        + [Anomaly("reference", 4000 + n) for n in range(100)]
    )
    plan = ImportPlan((entry,) * 40, tuple(anomalies), 2025)
    message = build_preview_message(translator("en"), plan, 1)
    assert blocks_problem(message["blocks"], MESSAGE_BLOCKS_MAX) is None
    assert view_problem(build_preview_modal(translator("ko"), plan, 1)) is None
    text = "\n".join(mrkdwn_texts(message["blocks"]))
    assert all(f"{year} (line {10 + n})" in text for n, year in enumerate(years))
    assert all(f"{year - 900} (line {2000 + n})" in text for n, year in enumerate(years))
    assert "and 290 more." in text and "100 reference links skipped" in text and "and 70 more)." in text
    assert "…and 35 more." in text  # the entries past the first five


def test_entries_without_a_year_get_one_menu_and_import_only_once_it_is_picked():
    t, plan = translator("en"), fixture_plan("blog_post_ko.md")
    before = build_preview_message(t, plan, 42)
    [menu_block] = [b for b in before["blocks"] if b.get("block_id") == "import_year_block"]
    menu = menu_block["accessory"]
    assert menu["action_id"] == "import_year_select" and "initial_option" not in menu
    assert len(menu["options"]) == YEAR_OPTIONS == 100
    assert [o["text"]["text"] for o in menu["options"][:2]] == ["2025", "2024"]
    assert parse_year_choice(menu["options"][-1]["value"]) == (42, 1926)
    assert "*3 entries have no year.*" in menu_block["text"]["text"]
    assert list(buttons(before)) == ["import_cancel_button"]
    assert "submit" not in build_preview_modal(t, plan, 42)
    assert "*year to pick* · Data · 데이터 분석 실패" in "\n".join(mrkdwn_texts(before["blocks"]))

    after = build_preview_message(t, plan, 42, year=2018)
    [menu_block] = [b for b in after["blocks"] if b.get("block_id") == "import_year_block"]
    assert menu_block["accessory"]["initial_option"]["value"] == "42:2018"
    assert "*3 entries* without a year are imported under *2018*." in menu_block["text"]["text"]
    assert list(buttons(after)) == ["import_confirm_button", "import_cancel_button"]
    assert build_preview_modal(t, plan, 42, year=2018)["submit"]["text"] == "Import"
    assert "*2018* · Data · 데이터 분석 실패" in "\n".join(mrkdwn_texts(after["blocks"]))
    assert blocks_problem(after["blocks"], MESSAGE_BLOCKS_MAX) is None


@pytest.mark.parametrize("value", ["", "42", "42:", ":2019", "42:19", "x:2019", "42:2019:1", None, "-1:2019"])
def test_a_year_choice_that_is_not_one_of_ours_is_refused(value):
    assert parse_year_choice(value) is None
