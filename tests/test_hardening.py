"""The hardened request path: a catalogue of bad input and bad luck, one section per kind.

Every request goes over signed HTTP into the real app (BotHarness), and the fake Slack Web API checks
and records every call. Where a test elsewhere already covers an item, its section names that test
instead of repeating it. Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select

from bot.blocks.data_rights import build_shared_export_refused_message
from bot.blocks.entry_modal import TEXT_MAX, ModalContext, build_record_modal
from bot.blocks.fail_command import SUBCOMMANDS, parse_fail_command
from bot.blocks.imports import build_import_modal
from bot.blocks.messages import (
    build_admins_only_message,
    build_help_message,
    build_nice_job_message,
    build_not_saved_message,
    build_text_message,
    build_too_long_message,
    build_typo_message,
)
from bot.blocks.resume import build_home_view, build_resume_message
from bot.blocks.review import build_review_message, build_review_year_message
from bot.blocks.similar import build_search_message
from bot.domain.suggestions import SearchPage
from bot.domain.yearly_review import personal_review
from bot.i18n import ENGLISH
from bot.slack import api
from bot.slack.ids import View
from storage.models import ActionItem, Entry, WorkspaceSettings
from tests import payloads
from tests.checks import assert_field_error, assert_inert, shown
from tests.fakes.rules import MESSAGE_BLOCKS_MAX, blocks_problem, content_refusal, view_problem
from tests.harness.bot import BotHarness
from tests.harness.clicks import home_click, modal_ctx, quick_entry, settings_values, submit_dialog
from tests.harness.config import SIGNING_SECRET
from tests.harness.digest import press
from tests.harness.http import FORM, JSON
from tests.harness.properties import PROPERTY
from tests.harness.waits import wait_a_while, wait_until
from tests.payloads import ADMIN
from tests.rows import entries, seed, snapshot

# ---- helpers ----------------------------------------------------------------------------------


def settle(bot, key: str = "settle") -> None:
    """A later request, answered: the listeners of the requests before it have run by now."""
    bot.command("help", key=key)
    wait_a_while(lambda: any(k == key for k, _ in bot.fake.responses))


def answers(bot, key: str) -> list[dict]:
    return [message for k, message in bot.fake.responses if k == key]


def assert_still_serves(bot) -> None:
    """A good request after the bad one is answered and stored as usual."""
    before = [e.what_happened for e in entries(bot)]
    assert bot.command("The good request after the bad one", key="after").status == 200
    wait_a_while(lambda: answers(bot, "after"))
    [message] = answers(bot, "after")
    assert "Nice job" in message["text"]
    bot.drain()  # the work after the ack, done: nothing outlives the test
    assert [e.what_happened for e in entries(bot)] == [*before, "The good request after the bad one"]


def button_values(message: dict) -> set[str]:
    return {e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def action_item_count(bot) -> int:
    with bot.session_factory() as session:
        return session.scalar(select(func.count()).select_from(ActionItem))


def resume_document(bot) -> bytes:
    """The Markdown resume among the files an export uploaded, uploaded once."""
    [document] = [data for data in bot.fake.uploads.values() if data.startswith(b"# ")]
    return document


def with_retro_channel(bot, channel: str = "C0RETRO") -> None:
    with bot.session_factory.begin() as session:
        session.add(WorkspaceSettings(enterprise_id="", team_id="T0001", retro_channel=channel))


# ---- 1. signatures and replays ------------------------------------------------------------------
#
# Already covered: test_commands.py::test_bad_signature_is_refused_and_stores_nothing (a wrong,
# a stale and no signature on /fail), test_events.py::test_event_with_a_bad_signature_is_refused and
# ::test_url_verification_with_a_bad_signature_is_refused, test_prompts.py::
# test_an_unsigned_button_press_is_refused_with_no_side_effects, and test_privacy.py::
# test_requests_failing_verification_are_logged_without_their_body. A view submitted twice:
# test_views.py::test_same_view_submitted_twice_stores_one_entry_and_acknowledges_once (and
# concurrently); a second "Nice job" from the same teammate: test_nice_job.py::
# test_nice_job_counts_once_per_teammate_and_tells_the_author.


def _signed(body: bytes, **kwargs) -> dict:
    return payloads.sign(SIGNING_SECRET, body, **kwargs)


FORGERIES = {
    "nothing": lambda body: {},
    "timestamp_only": lambda body: {"X-Slack-Request-Timestamp": str(int(time.time()))},
    "signature_only": lambda body: {"X-Slack-Signature": _signed(body)["X-Slack-Signature"]},
    "signature_of_another_body": lambda body: _signed(body + b"&extra=1"),
    "another_secret": lambda body: payloads.sign("not-our-signing-secret", body),
    "another_scheme": lambda body: {k: v.replace("v0=", "v1=") for k, v in _signed(body).items()},
    "six_minutes_old": lambda body: _signed(body, timestamp=int(time.time()) - 360),
    "six_minutes_ahead": lambda body: _signed(body, timestamp=int(time.time()) + 360),
    # Bolt raised on these before checking the signature, and answered the unverified body's response_url.
    "timestamp_not_a_number": lambda body: {**_signed(body), "X-Slack-Request-Timestamp": "1e9"},
    "timestamp_with_a_fraction": lambda body: {**_signed(body), "X-Slack-Request-Timestamp": f"{int(time.time())}.0"},
}


def _request_that_would_act(bot, surface: str) -> tuple[bytes, str]:
    """A request that changes something or calls Slack if accepted."""
    response_url = bot.fake.response_url("forged")
    if surface == "command":
        return payloads.slash_command("Forged: nobody typed this", response_url=response_url), FORM
    if surface == "view_submission":
        metadata = ModalContext(response_url=response_url).dump()
        return payloads.interactive(payloads.view_submission(payloads.record_values(), private_metadata=metadata)), FORM
    if surface == "undo_button":
        action = payloads.button("undo_button", str(seed(bot, what="Mine, not to be undone")))
        return payloads.interactive(payloads.block_actions(action, response_url=response_url)), FORM
    event = {"type": "app_home_opened", "user": "U1", "tab": "home", "channel": "D0001", "event_ts": "1.1"}
    return payloads.event_callback(event), JSON


@pytest.mark.parametrize("surface", ["command", "view_submission", "undo_button", "event"])
@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_request_failing_verification_is_refused_with_401_and_changes_nothing(bot, surface, forgery):
    body, content_type = _request_that_would_act(bot, surface)
    before = snapshot(bot)
    answer = bot.post(body, content_type=content_type, signed=False, headers=FORGERIES[forgery](body))
    assert answer.status == 401
    settle(bot)
    assert snapshot(bot) == before
    assert [c.method for c in bot.fake.calls] == ["response"]  # only the settling /fail help
    assert answers(bot, "forged") == []


def test_a_replayed_quick_fail_stores_one_entry(bot):
    """Slack signs the body, not the moment: within 5 minutes the same request can arrive twice."""
    body = payloads.slash_command("Replayed: I rebooted the wrong server", response_url=bot.fake.response_url("cmd"))
    headers = payloads.sign(SIGNING_SECRET, body)
    assert bot.post(body, signed=False, headers=headers).status == 200
    assert bot.post(body, signed=False, headers=headers).status == 200
    [(_key, reply)] = bot.fake.wait_for_responses(1)
    bot.drain()
    bot.fake.wait_for("users.info")  # the first one's date lookup, whose answer the Home's admin check reuses
    time.sleep(0.2)  # the replay stored nothing before its ack: give it the moment it would need to answer
    # One Nice job, and one Home: a first entry publishes it.
    assert len(bot.fake.responses) == 1 and len(bot.fake.calls_to("views.publish")) == 1
    [entry] = entries(bot)  # the entry is keyed by the request's trigger_id
    assert entry.what_happened == "Replayed: I rebooted the wrong server"
    assert button_values(reply) == {str(entry.id)}


def _replay(bot, action_id: str, value: str, key: str) -> None:
    body = payloads.interactive(
        payloads.block_actions(payloads.button(action_id, value), response_url=bot.fake.response_url(key))
    )
    headers = payloads.sign(SIGNING_SECRET, body)
    for count in (1, 2):
        assert bot.post(body, signed=False, headers=headers).status == 200
        wait_a_while(lambda: len(answers(bot, key)) == count)


def test_a_replayed_undo_removes_the_entry_once_and_nothing_else(bot):
    entry_id, buttons = quick_entry(bot, "Replayed undo")
    kept = seed(bot, what="Mine, untouched")
    _replay(bot, "undo_button", buttons["undo_button"], "undo")
    first, second = answers(bot, "undo")
    assert "Removed for good" in first["text"]
    assert "not on your resume" in second["text"] and second.get("replace_original") is not True
    assert [e.id for e in entries(bot)] == [kept] and kept != entry_id
    bot.fake.wait_for("views.publish")  # after the first press only


def test_a_replayed_share_keeps_the_first_share(bot):
    first_press, replay = datetime(2024, 6, 1, 12, tzinfo=UTC), datetime(2024, 6, 1, 12, 4, tzinfo=UTC)
    entry_id, buttons = quick_entry(bot, "Replayed share")
    bot.now = first_press
    body = payloads.interactive(
        payloads.block_actions(
            payloads.button("share_anonymously_button", buttons["share_anonymously_button"]),
            response_url=bot.fake.response_url("share"),
        )
    )
    headers = payloads.sign(SIGNING_SECRET, body)
    assert bot.post(body, signed=False, headers=headers).status == 200
    bot.fake.wait_for("views.publish")
    bot.now = replay
    assert bot.post(body, signed=False, headers=headers).status == 200
    bot.fake.wait_for("views.publish", count=2)
    [entry] = entries(bot)
    assert (entry.id, entry.visibility, entry.shared_at) == (entry_id, "anonymous", first_press)


# ---- 2. malformed payloads: 400 or ignored, never a 500, nothing stored ---------------------------
#
# Already covered by test_web.py::test_signed_garbage_is_refused_or_ignored_never_a_500 (24 kinds:
# truncated and non-JSON payloads, non-UTF-8 form and JSON bodies, unknown envelope and event types,
# missing users and views, a view that is a string, state values that are a list, actions that are a
# string or empty, a user that is a string...), ::test_body_over_one_megabyte_is_refused_with_413_and_
# nothing_stored and ::test_a_body_of_exactly_one_megabyte_reaches_the_app. The kinds below add to them.


def _view_submission(**changes) -> dict:
    payload = payloads.view_submission(payloads.record_values())
    for path, value in changes.items():
        node = payload
        *parents, last = path.split("__")
        for name in parents:
            node = node[name]
        node[last] = value
    return payload


def _block_actions(**changes) -> dict:
    payload = payloads.block_actions(payloads.button("undo_button", "1"), response_url="http://127.0.0.1:9/none")
    payload.update(changes)
    return payload


def _command(**fields) -> bytes:
    body = dict(parse_qsl(payloads.slash_command("A quick entry here", response_url="http://127.0.0.1:9/x").decode()))
    body.update(fields)
    return urlencode({k: v for k, v in body.items() if v is not None}).encode()


def _shortcut(**changes) -> dict:
    payload = payloads.message_shortcut("A message", response_url="http://127.0.0.1:9/none")
    payload.update(changes)
    return payload


def _event(event: object) -> bytes:
    return payloads.event_callback(event)  # type: ignore[arg-type]


MORE_GARBAGE = {
    # wrong types and missing fields in a view submission
    "view_submission_user_is_a_string": (payloads.interactive(_view_submission(user="U1")), FORM),
    "view_submission_user_without_id": (payloads.interactive(_view_submission(user={"team_id": "T0001"})), FORM),
    "view_submission_values_null": (payloads.interactive(_view_submission(view__state__values=None)), FORM),
    "view_submission_state_null": (payloads.interactive(_view_submission(view__state=None)), FORM),
    "view_submission_what_is_a_list": (
        payloads.interactive(_view_submission(view__state__values__what_block__what_input__value=["x"])),
        FORM,
    ),
    "view_submission_callback_id_null": (payloads.interactive(_view_submission(view__callback_id=None)), FORM),
    # wrong types in a button press
    "block_actions_actions_is_a_dict": (payloads.interactive(_block_actions(actions={"action_id": "undo"})), FORM),
    "block_actions_action_without_action_id": (payloads.interactive(_block_actions(actions=[{"value": "1"}])), FORM),
    "block_actions_action_id_is_a_number": (payloads.interactive(_block_actions(actions=[{"action_id": 5}])), FORM),
    "block_actions_response_url_is_a_number": (payloads.interactive(_block_actions(response_url=5)), FORM),
    "overflow_selected_option_is_a_string": (
        payloads.interactive(
            _block_actions(actions=[{"type": "overflow", "action_id": "entry_overflow", "selected_option": "edit:1"}])
        ),
        FORM,
    ),
    # interaction types nothing listens for
    **{
        f"interactive_type_{name}": (payloads.interactive(_block_actions(type=value)), FORM)
        for name, value in {
            "dialog_submission": "dialog_submission",
            "interactive_message": "interactive_message",
            "view_closed": "view_closed",
            "block_suggestion": "block_suggestion",
            "null": None,
            "number": 5,
            "list": ["block_actions"],
        }.items()
    },
    "unknown_global_shortcut": (payloads.interactive(_shortcut(type="shortcut", callback_id="nope")), FORM),
    "shortcut_message_is_a_string": (payloads.interactive(_shortcut(message="text")), FORM),
    "shortcut_message_text_is_a_number": (
        payloads.interactive(_shortcut(message={"type": "message", "ts": "1.2", "text": 5})),
        FORM,
    ),
    # events
    "app_home_opened_user_is_an_object": (
        _event({"type": "app_home_opened", "user": {"id": "U1"}, "tab": "home"}),
        JSON,
    ),
    "app_home_opened_user_is_a_number": (_event({"type": "app_home_opened", "user": 5, "tab": "home"}), JSON),
    "app_home_opened_user_is_a_lone_surrogate": (
        _event({"type": "app_home_opened", "user": "U\ud800", "tab": "home"}),
        JSON,
    ),
    "json_nested_too_deep": (b"[" * 100_000 + b"]" * 100_000, JSON),
    # slash commands
    "slash_command_without_trigger_id": (_command(trigger_id=None), FORM),
    "slash_command_without_team": (_command(team_id=None), FORM),
    "slash_command_for_another_command": (_command(command="/other"), FORM),
    # percent-encoded bytes that are not UTF-8: the form parser would store them as U+FFFD
    "slash_command_text_not_utf8": (_command(text="PLACEHOLDER").replace(b"PLACEHOLDER", b"I+broke+%FF%FE+it"), FORM),
    "payload_not_utf8": (b"payload=%7B%22type%22%3A%22block_actions%22%2C%22x%22%3A%22%FF%22%7D", FORM),
}


@pytest.mark.parametrize("name", sorted(MORE_GARBAGE))
def test_more_signed_garbage_is_refused_or_ignored_never_a_500(bot, name):
    body, content_type = MORE_GARBAGE[name]
    before = snapshot(bot)
    answer = bot.post(body, content_type=content_type)
    assert 200 <= answer.status < 500 and answer.status != 401, f"{name}: HTTP {answer.status} {answer.body[:200]!r}"
    settle(bot)
    assert snapshot(bot) == before
    assert_still_serves(bot)


# ---- 3. a view_submission for a view the person did not open ---------------------------------------
#
# Already covered: test_views.py::test_editing_an_entry_that_is_not_yours_is_refused_and_changes_nothing
# (an edit modal naming another person's entry, another workspace's entry, no entry at all),
# ::test_delete_modal_never_deletes_someone_elses_entry (and garbage metadata),
# ::test_change_visibility_of_someone_elses_entry_is_refused and
# ::test_non_admin_settings_submission_is_politely_refused. Added: the admin check fails closed.


def test_settings_are_not_saved_when_slack_cannot_say_who_is_an_admin(bot):
    bot.fake.users["U1"] = ADMIN
    for _ in range(4):  # every retry of users.info refused
        bot.fake.queue_failure("users.info", status=429, retry_after=0)
    answer = submit_dialog(bot, "settings_modal", settings_values())
    assert answer.status == 200
    [told] = bot.fake.wait_for("chat.postMessage")
    assert told.args["channel"] == "U1" and "went wrong" in told.args["text"]
    assert snapshot(bot) == ([], [])


# ---- 4. buttons and menus naming another person's or another workspace's entry ---------------------
#
# Already covered: test_actions.py::test_buttons_refuse_entries_that_are_not_yours (Add the lesson,
# Share anonymously, Undo; another user, another workspace and eight kinds of garbage value),
# ::test_home_overflow_on_an_entry_that_is_not_yours_is_refused (edit, visibility, delete; nothing
# of the entry is shown), test_prompts.py::test_done_refuses_another_persons_item_and_garbage_without_
# changing_anything, and test_nice_job.py::test_nice_job_on_entries_not_in_a_digest_here_changes_nothing
# (a private entry, one not yet in a digest, another workspace's).


# ---- 5. mrkdwn and mention injection in every text field ---------------------------------------------

INJECTION = "<!channel> <!here> <!everyone> <@U123> <#C1> *bold* _it_ ~gone~ `code` <https://x|y> &amp; &"
LIVE = ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C1>", "<https://x|y>")
INERT = "&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;@U123&gt; &lt;#C1&gt;"


def mrkdwn_texts(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str) else []
        return own + [text for value in node.values() for text in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in mrkdwn_texts(value)]
    return []


def live_texts(fake) -> list[tuple[str, str]]:
    """(method, text) for every string Slack parses for mentions and links in what the app sent:
    mrkdwn objects, a message's own `text` and a file's `initial_comment`."""
    found = []
    for call in fake.calls:
        found += [(call.method, text) for text in mrkdwn_texts(call.args)]
        found += [(call.method, call.args[k]) for k in ("text", "initial_comment") if isinstance(call.args.get(k), str)]
    return found


def test_injected_markup_is_stored_verbatim_and_never_a_live_mention_anywhere(bot):
    bot.fake.users["U1"] = ADMIN
    with_retro_channel(bot)
    what, lesson = f"What {INJECTION}", f"Lesson {INJECTION}"
    items = (f"First {INJECTION}", f"Second {INJECTION}")
    bot.submit_entry(
        metadata=modal_ctx(bot, "modal"),
        what=what,
        lesson=lesson,
        action_items="\n".join(items),
        visibility="named",
        keep_words=True,
    )
    bot.drain()
    bot.command(f"Quick {INJECTION}", key="quick")
    bot.open_home()  # the Home, with both entries
    modal_entry, quick = entries(bot)
    assert (modal_entry.what_happened, modal_entry.lesson) == (what, lesson)
    assert tuple(i.text for i in modal_entry.action_items) == items
    assert quick.what_happened == f"Quick {INJECTION}"

    # Every surface that shows the text: resume, export, the edit and delete modals, the digest and
    # its Nice job, and the echo of a text too long to keep.
    bot.command("resume", key="resume")
    bot.command("export", key="export")
    bot.fake.wait_for("files.completeUploadExternal")
    home_click(bot, payloads.overflow(f"edit:{modal_entry.id}"))
    home_click(bot, payloads.overflow(f"delete:{quick.id}"))
    bot.fake.wait_for_views(count=2)
    home_click(bot, payloads.button("post_digest_button"))
    [digest] = [c for c in bot.fake.wait_for("chat.postMessage", count=2) if c.args["channel"] == "C0RETRO"]
    press(
        bot,
        {"ts": "1700000000.000100", "text": digest.args["text"], "blocks": digest.args["blocks"]},
        modal_entry.id,
        "U2",
    )
    bot.fake.wait_for("chat.update")
    bot.fake.wait_for("chat.postMessage", count=3)  # the author hears about the Nice job
    bot.command(INJECTION * 40, key="long")
    wait_a_while(lambda: answers(bot, "long") and answers(bot, "resume") and answers(bot, "export"))

    failed = [(c.method, c.error) for c in bot.fake.calls if not c.ok]
    assert failed == []
    live = live_texts(bot.fake)
    for method, text in live:
        for token in LIVE:
            assert token not in text, f"a live {token} in {method}: {text[:200]!r}"
    # Not vacuous: the text did reach each of those surfaces, inert.
    for method in ("views.publish", "response", "chat.postMessage", "chat.update"):
        assert any(INERT in text for m, text in live if m == method), method
    assert INJECTION * 40 in "".join(b["text"]["text"] for b in answers(bot, "long")[0]["blocks"][1:])
    [edit] = [view for view in bot.fake.wait_for_views(count=2) if view["callback_id"] == View.RECORD]
    assert what in shown(edit) and lesson in shown(edit)  # verbatim in plain_text inputs, which never ping
    document = resume_document(bot)
    assert what.encode() in document and items[1].encode() in document


# ---- 6. 3,000 characters and more in every field -----------------------------------------------------
#
# Already covered: test_views.py::test_invalid_submission_shows_the_error_on_the_field_and_stores_nothing
# (3,001 characters in what happened, the lesson and the action items, an action item over 500, 21
# action items: each an error on its field, and Slack keeps the modal open with the person's text),
# ::test_limits_are_inclusive, test_commands.py::test_over_long_quick_text_is_refused_and_echoed (the
# whole text given back), test_web.py::test_a_body_of_exactly_one_megabyte_reaches_the_app, and
# test_shortcuts.py::test_a_5000_character_message_is_cut_to_fit_the_input. Added: text at the limit
# that grows when escaped, through every surface.


def test_text_at_the_limit_that_grows_when_escaped_fits_every_surface(bot):
    bot.fake.users["U1"] = ADMIN
    with_retro_channel(bot)
    what, lesson = "<" * TEXT_MAX, "&" * TEXT_MAX
    items = tuple(">" * 499 for _ in range(6))  # 2,999 characters with their newlines
    answer = bot.submit_entry(
        metadata=modal_ctx(bot, "modal"), what=what, lesson=lesson, action_items="\n".join(items), visibility="named"
    )
    assert answer.status == 200 and answer.body == b""
    bot.drain()
    bot.command("&" * TEXT_MAX, key="quick")
    assert "&amp;" * 100 in shown(bot.open_home())  # the Home, with both entries
    modal_entry, quick = entries(bot)
    assert (modal_entry.what_happened, modal_entry.lesson, quick.what_happened) == (what, lesson, "&" * TEXT_MAX)
    assert tuple(i.text for i in modal_entry.action_items) == items

    bot.command("resume", key="resume")
    home_click(bot, payloads.overflow(f"edit:{modal_entry.id}"))
    bot.fake.wait_for_views()
    home_click(bot, payloads.button("post_digest_button"))
    bot.fake.wait_for("chat.postMessage", count=2)
    bot.command("export", key="export")
    bot.fake.wait_for("files.completeUploadExternal")
    wait_a_while(lambda: answers(bot, "resume") and answers(bot, "export"))
    failed = [(c.method, c.error) for c in bot.fake.calls if not c.ok]
    assert failed == []  # the fake refuses anything over Slack's limits, as Slack does
    document = resume_document(bot)
    assert what.encode() in document and lesson.encode() in document


# ---- 7. NUL and other control characters -------------------------------------------------------------
#
# PostgreSQL refuses NUL in a text column, and the other C0 controls are invisible: they are dropped
# where text enters (bot/slack_text.py clean_text), tab and newline kept, a Windows line end becoming a
# newline. A lone UTF-16 surrogate (half an emoji), which no database can store as UTF-8, becomes U+FFFD.

CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\x7f"


def test_control_characters_are_dropped_from_a_quick_entry(bot):
    bot.command(f"Broke\x00 the build\x07\x1b[31m red{CONTROLS}\r\nsecond\tline", key="quick")
    [(_key, message)] = bot.fake.wait_for_responses()
    assert message["text"].startswith("Nice job")
    bot.drain()
    [entry] = entries(bot)
    assert entry.what_happened == "Broke the build[31m red\nsecond\tline"


def test_control_characters_are_dropped_from_every_field_of_the_modal(bot):
    answer = bot.submit_entry(
        metadata=modal_ctx(bot, "modal"),
        what=f"What\x00 happened{CONTROLS}",
        lesson=f"The\x00 lesson\r\nin two lines{CONTROLS}",
        action_items=f"First\x00 step\r\nSecond\x0b step{CONTROLS}\r\n\x00\x01\r\nThird\tstep",
    )
    assert answer.status == 200 and answer.body == b""
    [(_key, message)] = bot.fake.wait_for_responses()
    assert message["text"].startswith("Nice job")
    bot.drain()
    [entry] = entries(bot)
    assert (entry.what_happened, entry.lesson) == ("What happened", "The lesson\nin two lines")
    assert [i.text for i in entry.action_items] == ["First step", "Second step", "Third\tstep"]


def test_text_of_nothing_but_control_characters_is_no_text(bot):
    bot.command("\x00\x01\x07", key="quick")
    assert bot.fake.wait_for_views()[0]["callback_id"] == "record_entry_modal"
    assert_field_error(bot.submit_entry(what=CONTROLS), "what_block")
    assert entries(bot) == [] and bot.fake.responses == []


def test_a_lone_surrogate_is_stored_as_a_replacement_character(bot):
    answer = bot.submit_entry(metadata=modal_ctx(bot, "modal"), what="Half an emoji: \ud83d.", lesson="\udc00")
    assert answer.status == 200
    [(_key, message)] = bot.fake.wait_for_responses()
    assert message["text"].startswith("Nice job")
    bot.drain()
    [entry] = entries(bot)
    assert (entry.what_happened, entry.lesson) == ("Half an emoji: \ufffd.", "\ufffd")


# ---- 8. right-to-left text, Korean and emoji, byte for byte -------------------------------------------
#
# Also: test_views.py::test_unicode_and_mentions_round_trip_byte_for_byte (modal to database and Home)
# and test_commands.py::test_korean_and_emoji_round_trip (quick text to database).

ARABIC = "نشرنا يوم الجمعة فانهارت الذاكرة المؤقتة"
HEBREW = "פרסנו ביום שישי \u202eexe.txt\u202c ואז \u202bשבר\u202c"  # RLO and RLE, closed by PDF
KOREAN = "배포를 금요일에 했어요. 캐시가 무너졌습니다"
EMOJI = "👩\u200d👩\u200d👧\u200d👦 👍🏽 🧑🏿\u200d💻 🏳️\u200d🌈 🇰🇷 ❤️ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠜎 e\u0301"
SEPARATORS = "one\u2028two\u2029three\u0085four"  # not newlines: they stay inside the line


def test_rtl_korean_and_emoji_round_trip_byte_for_byte_to_every_surface(bot):
    what, lesson = f"{ARABIC} {HEBREW}", f"{KOREAN} {EMOJI}"
    items = (f"{KOREAN} {EMOJI}", HEBREW, SEPARATORS)
    quick_text = f"{HEBREW} {KOREAN} {EMOJI} {ARABIC}"
    bot.submit_entry(what=what, lesson=lesson, action_items="\n".join(items), when="2023-05-05")
    bot.drain()
    bot.command(quick_text, key="quick")
    home = bot.open_home()
    modal_entry, quick = entries(bot)
    assert modal_entry.what_happened.encode() == what.encode() and modal_entry.lesson.encode() == lesson.encode()
    assert [i.text.encode() for i in modal_entry.action_items] == [i.encode() for i in items]
    assert quick.what_happened.encode() == quick_text.encode()

    bot.command("resume", key="resume")
    bot.command("export", key="export")
    bot.fake.wait_for("files.completeUploadExternal")
    home_click(bot, payloads.overflow(f"edit:{modal_entry.id}"))
    edit = bot.fake.wait_for_views()[0]
    wait_a_while(lambda: answers(bot, "resume"))
    [resume] = answers(bot, "resume")
    document = resume_document(bot)
    for text in (what, lesson, *items, quick_text):
        assert text in "\n".join(mrkdwn_texts(home)), text
        assert text in "\n".join(mrkdwn_texts(resume)), text
        assert text.encode() in document, text
    assert ModalContext.load(edit["private_metadata"]).entry_id == modal_entry.id
    inputs = {b["block_id"]: b["element"].get("initial_value") for b in edit["blocks"] if b["type"] == "input"}
    assert (inputs["what_block"], inputs["lesson_block"]) == (what, lesson)
    assert inputs["action_items_block"] == "\n".join(items)


# ---- 9. the command parser, property-based -------------------------------------------------------------
#
# Also: test_blocks.py::test_parse_fail_command_never_raises_and_classifies_consistently (what each text
# means). Here: whatever the text, the reply the app would send is one Slack accepts.

any_character = st.characters(exclude_categories=())  # controls and lone surrogates included
any_text = st.one_of(
    st.text(any_character, max_size=200),
    st.text(st.sampled_from("<>&!@#|*_~`:\x00\r\n\t \u202e\u200d👩🏽"), max_size=60),
    st.builds(payloads.slack_encoded, st.text(any_character, max_size=200)),
    st.builds(lambda c, n: c * n, st.text(any_character, min_size=1, max_size=3), st.integers(900, 1600)),
    st.builds(
        lambda word, rest: word + rest,
        st.sampled_from([*SUBCOMMANDS, *(word.upper() for word in SUBCOMMANDS), " resume "]),
        st.text(any_character, max_size=20),
    ),
)


def replies_for(text: str) -> list[dict]:
    """The messages and views `/fail <text>` can answer with, built as the listener builds them."""
    t, today = ENGLISH, date(2024, 3, 1)
    parsed = parse_fail_command(text)
    if parsed.action == "form":
        context = ModalContext(response_url="https://hooks.slack.com/commands/T1/1/x")
        return [build_record_modal(t, today=today, default_visibility="private", context=context)]
    if parsed.action == "resume":
        return [build_resume_message(t, [], year=parsed.year)]
    if parsed.action == "export":
        return [build_text_message(t("Sent to you in a direct message."))]
    if parsed.action == "settings":
        return [build_admins_only_message(t)]
    if parsed.action == "help":
        return [build_help_message(t)]
    if parsed.action == "admin-export":
        return [build_shared_export_refused_message(t), build_text_message(t("Sent to you in a direct message."))]
    if parsed.action == "typo":
        return [build_typo_message(t, parsed.text, parsed.suggestion)]
    if parsed.action == "search":
        return [build_search_message(t, SearchPage(parsed.text, [], 0, False))]
    if parsed.action == "import":
        return [build_import_modal(t)]
    if parsed.action == "review":
        empty = personal_review([], parsed.year or 2024, {}, 0)
        unusable = build_review_year_message(t, parsed.text, parsed.year, [2018, 2019, 2024], 2024)
        return [build_review_message(t, empty), build_text_message(t("Sent to you in a direct message.")), unusable]
    assert parsed.action == "record"
    if len(parsed.text) > TEXT_MAX:
        return [build_too_long_message(t, parsed.text, TEXT_MAX)]
    entry = Entry(
        id=1,
        what_happened=parsed.text,
        lesson=None,
        category="other",
        happened_on=today,
        safeguards=[],
        visibility="private",
        action_items=[],
    )
    return [
        build_nice_job_message(t, entry, quick=True),
        build_not_saved_message(t, parsed.text),
        build_resume_message(t, [entry]),
        build_home_view(t, [entry], lessons=0, is_admin=False),
    ]


@settings(PROPERTY, max_examples=300)
@given(text=any_text)
@example(text="\x00")
@example(text="resume \ud800")
@example(text="x" * 3001)
@example(text="<!channel> " * 400)
def test_any_command_text_gets_a_reply_slack_accepts(text):
    parsed = parse_fail_command(text)
    parsed.text.encode("utf-8")  # storable: no lone surrogate
    assert not any(ch in parsed.text for ch in CONTROLS)
    for reply in replies_for(text):
        if reply.get("type") in ("modal", "home"):
            assert view_problem(reply) is None
        else:
            assert content_refusal("chat.postMessage", {"text": reply["text"], "blocks": reply["blocks"]}) is None
            assert blocks_problem(reply["blocks"], MESSAGE_BLOCKS_MAX) is None
            assert reply["text"].strip()
        assert_inert(reply.get("blocks"), reply.get("text"))


# ---- 10. faults: a locked database, and Slack failing or not answering -----------------------------------
#
# Already covered: test_slack_trouble.py (views.open rate limited, chat.postMessage 500, a dead
# response_url falling back to a DM, views.open failing past every retry, slow Slack not holding up
# acks), test_web.py::test_healthz_answers_503_when_the_database_is_down, test_views.py::
# test_database_down_gives_back_what_the_person_wrote, test_commands.py::
# test_database_down_echoes_the_text_back, test_privacy.py::
# test_entry_text_is_never_logged_when_the_database_refuses_writes.
#
# Slack not answering within the client's 5 s is tried on the two calls where it cost something:
# users.info before a quick entry is saved (its text was lost) and the acknowledgement after one is
# saved (the apology invited a second copy). On every other call a timeout is an OSError, never
# retried (Slack may have acted): logged, and the person told when what they asked for did not happen;
# a response_url that times out falls back to a DM, so that answer may arrive twice but is never lost.


@pytest.fixture
def impatient_bot(fake_slack, database_url):
    """The app; on PostgreSQL with a 1 s statement_timeout instead of production's 10 s, so that a
    statement waiting for a lock gives up about as soon as on SQLite (2 s busy timeout)."""
    engine = None
    if database_url.startswith("postgresql"):
        options = {"options": "-c statement_timeout=1000"}
        engine = create_engine(database_url, connect_args=options, hide_parameters=True)
    harness = BotHarness(fake_slack, database_url, engine=engine)
    yield harness
    harness.close()


@contextmanager
def write_lock(bot):
    """Another connection holds a write lock: on SQLite a write transaction on the same file, on
    PostgreSQL the entries table locked against writes. Reads go on in both."""
    if bot.engine.dialect.name == "sqlite":
        connection = sqlite3.connect(bot.settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
            connection.execute("ROLLBACK")
        finally:
            connection.close()
    else:
        with bot.engine.connect() as connection:
            connection.exec_driver_sql("LOCK TABLE entries IN EXCLUSIVE MODE")
            yield
            connection.rollback()


def assert_healthz_tells_the_truth(bot) -> None:
    """The database answers (readers do not wait for a writer): 200, not a hang."""
    answer = bot.get("/healthz")
    assert (answer.status, answer.json()) == (200, {"ok": True, "database": "ok"})


def test_a_locked_database_during_a_modal_submit_gives_the_words_back(impatient_bot):
    bot = impatient_bot
    metadata = modal_ctx(bot, "locked")
    with write_lock(bot):
        answer = bot.submit_entry(
            metadata=metadata, what="Written while locked", lesson="Keep a copy", action_items="Retry\nTell the team"
        )
        # The modal stays open, with the words in it, and says why.
        assert answer.status == 200 and answer.json()["response_action"] == "errors"
        assert "could not be saved" in answer.json()["errors"]["what_block"]
        assert_healthz_tells_the_truth(bot)
        assert entries(bot) == [] and action_item_count(bot) == 0  # nothing half-written
    assert bot.fake.responses == []
    assert bot.fake.calls_to("views.publish", ok_only=False) == []
    assert_healthz_tells_the_truth(bot)
    bot.submit_entry(what="Written while locked", action_items="Retry\nTell the team")  # trying again works
    bot.fake.wait_for("views.publish")
    [entry] = entries(bot)
    assert [i.text for i in entry.action_items] == ["Retry", "Tell the team"]
    assert_still_serves(bot)


def test_a_locked_database_during_a_quick_fail_gives_the_text_back(impatient_bot):
    bot = impatient_bot
    with write_lock(bot):
        answer = bot.command("Typed while the database was locked", key="locked")
        assert answer.status == 200
        message = answer.json()  # the ack itself gives the text back
        assert_healthz_tells_the_truth(bot)
    assert "could not be saved" in message["text"]
    assert "Typed while the database was locked" in shown(message["blocks"])
    assert "Nice job" not in shown(message)
    assert entries(bot) == []
    assert_still_serves(bot)


def _open_the_form(bot) -> None:
    bot.command("", key="form")
    bot.fake.wait_for_views()


def _quick_entry(bot) -> None:
    bot.command("Slack had a bad minute", key="quick")
    bot.drain()
    [(_key, message)] = bot.fake.responses
    assert message["text"].startswith("Nice job")
    assert [e.what_happened for e in entries(bot)] == ["Slack had a bad minute"]


def _modal_entry_by_dm(bot) -> None:
    bot.submit_entry(what="Acknowledged by DM")
    bot.fake.wait_for("views.publish")
    [dm] = bot.fake.calls_to("chat.postMessage")
    assert dm.args["channel"] == "U1" and dm.args["text"].startswith("Nice job")
    assert [e.what_happened for e in entries(bot)] == ["Acknowledged by DM"]


def _export(bot) -> None:
    seed(bot, what="Exported once")
    bot.command("export", key="export")
    bot.fake.wait_for("files.completeUploadExternal")
    wait_a_while(lambda: answers(bot, "export"))
    document = resume_document(bot)
    assert b"Exported once" in document
    assert len(bot.fake.calls_to("conversations.open")) == 1


def _entry_from_a_shortcut(bot) -> None:
    metadata = ModalContext(response_url=bot.fake.response_url("shortcut"), source_channel="C0001", source_ts="1.2")
    bot.submit_entry(metadata=metadata.dump(), what="From a message")
    bot.drain()
    [entry] = entries(bot)
    assert entry.source_link == "https://fake-team.slack.com/archives/C0001/p12"


def _open_the_home(bot) -> None:
    seed(bot, what="Shown in the Home")
    assert "Shown in the Home" in shown(bot.open_home())


SLACK_FLOWS = {
    "views.open": _open_the_form,
    "views.publish": _open_the_home,
    "chat.postMessage": _modal_entry_by_dm,
    "conversations.open": _export,
    "files.getUploadURLExternal": _export,
    "files.completeUploadExternal": _export,
    "users.info": _quick_entry,
    "chat.getPermalink": _entry_from_a_shortcut,
    "response": _quick_entry,
}


@pytest.mark.parametrize("method", list(SLACK_FLOWS))
def test_slack_rate_limiting_then_failing_is_retried_and_nothing_is_lost_or_doubled(bot, method):
    # A trigger lives 3 seconds, too short to wait out a 429 and a 500 (test_slack_trouble.py has the 429).
    failures = [500] if method == "views.open" else [429, 500]
    for status in failures:
        bot.fake.queue_failure(method, status=status, retry_after=0)
    SLACK_FLOWS[method](bot)
    statuses = [c.status for c in bot.fake.calls_to(method, ok_only=False)]
    assert statuses[: len(failures) + 1] == [*failures, 200]
    # Once each: users.info for the person's date (the Home tab reuses its answer); an upload URL for each file.
    expected = {"files.getUploadURLExternal": len(bot.fake.uploads)}.get(method, 1)
    assert len(bot.fake.calls_to(method)) == expected
    assert "went wrong" not in shown([c.args for c in bot.fake.calls])  # no apology
    if method != "chat.postMessage":
        assert bot.fake.calls_to("chat.postMessage", ok_only=False) == []  # no DM instead of, or as well as


@pytest.fixture
def hasty_bot(fake_slack, database_url, monkeypatch):
    """The app with a 1 s Web API timeout instead of 5 s, so that every method can time out in a test."""
    monkeypatch.setattr(api, "TIMEOUT_SECONDS", 1)
    harness = BotHarness(fake_slack, database_url)
    yield harness
    harness.close()


def _shortcut_entry(bot) -> None:
    metadata = ModalContext(response_url=bot.fake.response_url("shortcut"), source_channel="C0001", source_ts="1.2")
    bot.submit_entry(metadata=metadata.dump(), what="Slack had a bad minute")


# What each timed-out call is part of, and whether that flow records an entry.
EXPORT = lambda bot: bot.command("export", key="export")  # noqa: E731
# What each flow promises when one of its calls is answered too late: the entry kept ("entry"), the
# person told it went wrong ("told"), or the export delivered by the follow-up's next run ("export").
TIMEOUT_FLOWS = {
    "views.open": (lambda bot: bot.command("", key="form"), "told"),
    "views.publish": (lambda bot: bot.submit_entry(what="Slack had a bad minute"), "entry"),  # from the Home
    "chat.postMessage": (lambda bot: bot.submit_entry(what="Slack had a bad minute"), "entry"),
    "conversations.open": (EXPORT, "export"),
    "files.getUploadURLExternal": (EXPORT, "export"),
    "files.completeUploadExternal": (EXPORT, "export"),
    "users.info": (lambda bot: bot.command("Slack had a bad minute", key="quick"), "entry"),
    "chat.getPermalink": (_shortcut_entry, "entry"),
    "response": (lambda bot: bot.command("Slack had a bad minute", key="quick"), "entry"),
}


@pytest.mark.parametrize("method", list(TIMEOUT_FLOWS))
def test_slack_not_answering_in_time_loses_nothing_and_the_app_keeps_serving(hasty_bot, method):
    """Slack may have acted on a call it never answered: nothing is shown twice, an entry is never lost,
    an export still arrives, and a flow that could not finish says so."""
    bot = hasty_bot
    start, promise = TIMEOUT_FLOWS[method]
    bot.fake.delay_once(method, 1.5)
    start(bot)
    wait_until(lambda: bot.fake.calls_to(method, ok_only=False))  # the slow call, answered too late
    if promise == "entry":
        bot.drain(timeout=30)
        assert [e.what_happened for e in entries(bot)] == ["Slack had a bad minute"]
        assert "went wrong" not in shown([c.args for c in bot.fake.calls])  # no "please try again"
        assert len(bot.fake.calls_to(method, ok_only=False)) == 1  # never sent again
    elif promise == "told":
        wait_until(lambda: "went wrong" in shown([m for _key, m in bot.fake.responses]))  # told, with a reference
        assert entries(bot) == []
        assert len(bot.fake.calls_to(method, ok_only=False)) == 1  # never sent again
    else:
        # Run again once its lease is given back: the steps that show nothing are repeated, the
        # files are shared once (a share Slack took though it answered too late is not repeated).
        wait_until(lambda: "Sent to you in a direct message" in shown([m for _key, m in bot.fake.responses]))
        bot.drain(timeout=30)
        assert len(bot.fake.calls_to("files.completeUploadExternal", ok_only=False)) == 1
        assert "went wrong" not in shown([m for _key, m in bot.fake.responses])
    bot.fake.reset()
    bot.command("After the bad minute", key="after")
    wait_until(lambda: answers(bot, "after"))
    assert answers(bot, "after")[0]["text"].startswith("Nice job")


def test_an_acknowledgement_slack_keeps_refusing_is_not_reported_as_a_failure(bot):
    """The entry is saved: an apology ("please try again") would get it recorded twice."""
    for _ in range(4):
        bot.fake.queue_failure("chat.postMessage", status=429, retry_after=0)
    bot.submit_entry(what="Saved, though Slack refused the thanks")
    home = bot.fake.wait_for("views.publish")[0]
    assert "Saved, though Slack refused the thanks" in shown(home.args["view"])
    assert [c.status for c in bot.fake.calls_to("chat.postMessage", ok_only=False)] == [429] * 4
    assert len(entries(bot)) == 1
    assert_still_serves(bot)


def test_users_info_not_answering_in_time_still_records_the_quick_entry(bot):
    """The time zone is worth less than the entry: without an answer the date is taken in UTC."""
    bot.now = datetime(2024, 3, 1, 3, 0, tzinfo=UTC)  # still 29 February in Honolulu
    bot.fake.users["U1"] = {**ADMIN, "tz": "Pacific/Honolulu", "tz_offset": -36000}
    bot.fake.delay_once("users.info", 5.5)  # the client gives up after 5 s
    bot.command("Recorded although Slack was slow", key="slow")
    bot.drain(timeout=30)
    [message] = answers(bot, "slow")
    assert message["text"].startswith("Nice job")
    [entry] = entries(bot)
    assert (entry.what_happened, entry.happened_on) == ("Recorded although Slack was slow", date(2024, 3, 1))
    assert_still_serves(bot)


def test_an_acknowledgement_not_answered_in_time_is_sent_once_and_not_apologised_for(bot):
    """Slack may well have posted it: it is neither sent again nor followed by an apology."""
    bot.fake.delay_once("chat.postMessage", 5.5)
    bot.submit_entry(what="Thanked slowly")
    bot.fake.wait_for("views.publish", timeout=15)
    bot.fake.wait_for("chat.postMessage", timeout=15)  # recorded once the slow answer is sent
    [thanks] = bot.fake.calls_to("chat.postMessage", ok_only=False)
    assert thanks.args["text"].startswith("Nice job")
    assert len(entries(bot)) == 1
    assert_still_serves(bot)
