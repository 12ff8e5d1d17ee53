"""Buttons and menus (block_actions) over signed HTTP: acknowledgement buttons, the Home tab, resume pages."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from bot.blocks.entry_modal import ModalContext
from storage.models import WorkspaceSettings
from tests import payloads
from tests.checks import assert_no_failed_calls, notice_shown, shown
from tests.harness.clicks import home_click, quick_entry
from tests.harness.waits import wait_a_while
from tests.payloads import ADMIN
from tests.rows import entries, seed, snapshot
from tests.uploads import uploaded

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
# Values a forged or corrupted button could carry; none of them names an entry.
GARBAGE = ["", "abc", "-1", "99999999999999999999", "0", " 1", "1.0", "²"]


# ---- helpers --------------------------------------------------------------------------


def click(bot, action_id: str, value: str, *, user="U1", team="T0001", key="click"):
    return bot.interact(
        payloads.block_actions(
            payloads.button(action_id, value), user=user, team=team, response_url=bot.fake.response_url(key)
        )
    )


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def unhandled_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.slack.errors"]


def logged(caplog, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records)


def resolve(bot, value: str) -> str:
    """Turn the placeholders `another_user` / `another_workspace` into a real id the requester does not own."""
    if value == "another_user":
        return str(seed(bot, user="U2", what="U2's secret"))
    if value == "another_workspace":
        return str(seed(bot, user="U1", team="T0002", what="T0002's secret"))
    return value


# ---- acknowledgement buttons ------------------------------------------------------------------


def test_add_the_lesson_opens_the_record_modal_prefilled_for_that_entry(bot):
    entry_id, buttons = quick_entry(bot, "Shipped without a rollback plan")
    answer = click(bot, "add_lesson_button", buttons["add_lesson_button"], key="ack")
    assert answer.status == 200
    view = bot.fake.wait_for_views()[0]
    assert view["callback_id"] == "record_entry_modal"
    meta = ModalContext.load(view["private_metadata"])
    assert meta.entry_id == entry_id
    assert meta.response_url == bot.fake.response_url("ack")
    assert block(view, "what_block")["element"]["initial_value"] == "Shipped without a rollback plan"
    assert "initial_value" not in block(view, "lesson_block")["element"]
    assert block(view, "visibility_block")["element"]["initial_option"]["value"] == "private"
    assert view["title"]["text"] == "Edit entry"
    assert_no_failed_calls(bot)

    # Submitting that modal fills in the lesson of the same entry, and says thank you in place.
    bot.submit_entry(
        metadata=view["private_metadata"],
        what="Shipped without a rollback plan",
        lesson="Write the rollback first",
        action_items="Rollback script",
    )
    _key, message = bot.fake.wait_for_responses()[0]
    assert message["text"] == "Saved. Thank you for adding the lesson."
    bot.fake.wait_for("views.publish")
    [entry] = entries(bot)
    assert (entry.id, entry.lesson) == (entry_id, "Write the rollback first")


def test_share_anonymously_changes_visibility_and_replaces_the_message(bot):
    bot.now = NOW
    entry_id, buttons = quick_entry(bot)
    answer = click(bot, "share_anonymously_button", buttons["share_anonymously_button"], key="ack")
    assert answer.status == 200
    key, message = bot.fake.wait_for_responses()[0]
    assert key == "ack"
    assert message["replace_original"] is True
    action_ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "share_anonymously_button" not in action_ids
    bot.fake.wait_for("views.publish")
    [entry] = entries(bot)
    assert (entry.id, entry.visibility, entry.shared_at) == (entry_id, "anonymous", NOW)
    assert_no_failed_calls(bot)


def test_undo_deletes_the_entry_for_good(bot):
    _entry_id, buttons = quick_entry(bot)
    keep = seed(bot, what="Another of mine")
    answer = click(bot, "undo_button", buttons["undo_button"], key="ack")
    assert answer.status == 200
    _key, message = bot.fake.wait_for_responses()[0]
    assert message["replace_original"] is True
    assert "Removed for good" in message["text"]
    home = bot.fake.wait_for("views.publish")[0]
    assert "I force-pushed to main" not in shown(home.args["view"])
    assert [e.id for e in entries(bot)] == [keep]


@pytest.mark.parametrize("value", ["another_user", "another_workspace", *GARBAGE])
def test_add_lesson_on_an_entry_that_is_not_yours_is_refused_in_the_modal(bot, caplog, value):
    caplog.set_level(logging.INFO)
    seed(bot, user="U1", what="Mine, untouched")
    value = resolve(bot, value)
    before = snapshot(bot)
    assert click(bot, "add_lesson_button", value, key="ack").status == 200
    view = notice_shown(bot, "not on your resume")
    assert "secret" not in shown(view)
    assert snapshot(bot) == before
    assert bot.fake.responses == [] and bot.fake.calls_to("views.publish", ok_only=False) == []
    assert unhandled_errors(caplog) == []


@pytest.mark.parametrize("value", ["another_user", "another_workspace", *GARBAGE])
@pytest.mark.parametrize("action_id", ["share_anonymously_button", "undo_button"])
def test_buttons_refuse_entries_that_are_not_yours(bot, caplog, action_id, value):
    caplog.set_level(logging.INFO)
    seed(bot, user="U1", what="Mine, untouched")
    value = resolve(bot, value)
    before = snapshot(bot)
    answer = click(bot, action_id, value, key="ack")
    assert answer.status == 200
    wait_a_while(lambda: bot.fake.responses or unhandled_errors(caplog))
    assert unhandled_errors(caplog) == []
    [(key, message)] = bot.fake.responses
    assert key == "ack" and "not on your resume" in message["text"]
    assert message.get("replace_original") is not True
    assert snapshot(bot) == before
    assert bot.fake.calls_to("views.open", ok_only=False) == []
    assert bot.fake.calls_to("views.publish", ok_only=False) == []


# ---- the Home tab -----------------------------------------------------------------------------


def test_home_overflow_edit_opens_the_record_modal_for_that_entry(bot):
    entry_id = seed(
        bot,
        what="Dropped the prod table",
        lesson="Backups first",
        visibility="named",
        items=("First step", "Second step"),
        safeguards=("tests", "runbook"),
    )
    answer = home_click(bot, payloads.overflow(f"edit:{entry_id}"))
    assert answer.status == 200
    view = bot.fake.wait_for_views()[0]
    assert view["callback_id"] == "record_entry_modal"
    meta = ModalContext.load(view["private_metadata"])
    assert (meta.entry_id, meta.response_url) == (entry_id, None)
    assert block(view, "what_block")["element"]["initial_value"] == "Dropped the prod table"
    assert block(view, "lesson_block")["element"]["initial_value"] == "Backups first"
    assert block(view, "category_block")["element"]["initial_option"]["value"] == "data"
    assert block(view, "when_block")["element"]["initial_date"] == "2023-01-02"
    assert [o["value"] for o in block(view, "safeguards_block")["element"]["initial_options"]] == ["tests", "runbook"]
    assert block(view, "action_items_block")["element"]["initial_value"] == "First step\nSecond step"
    assert block(view, "visibility_block")["element"]["initial_option"]["value"] == "named"
    assert_no_failed_calls(bot)


def test_home_overflow_visibility_opens_the_visibility_modal(bot):
    entry_id = seed(bot, visibility="anonymous")
    home_click(bot, payloads.overflow(f"visibility:{entry_id}"))
    view = bot.fake.wait_for_views()[0]
    assert view["callback_id"] == "change_visibility_modal"
    assert json.loads(view["private_metadata"]) == {"entry_id": entry_id}
    assert block(view, "visibility_block")["element"]["initial_option"]["value"] == "anonymous"
    assert_no_failed_calls(bot)


def test_home_overflow_delete_opens_the_confirmation_and_its_submission_deletes(bot):
    entry_id = seed(bot, what="To be deleted")
    home_click(bot, payloads.overflow(f"delete:{entry_id}"))
    view = bot.fake.wait_for_views()[0]
    assert view["callback_id"] == "delete_entry_modal"
    assert json.loads(view["private_metadata"]) == {"entry_id": entry_id}
    assert "To be deleted" in shown(view)
    assert entries(bot) != []  # opening the confirmation deletes nothing
    confirm = payloads.view_submission({}, callback_id=view["callback_id"], private_metadata=view["private_metadata"])
    bot.interact(confirm)
    bot.fake.wait_for("views.publish")
    assert entries(bot) == []
    assert_no_failed_calls(bot)


@pytest.mark.parametrize("value", ["another_user", "another_workspace", "abc", "-1", "", "99999999999999999999"])
@pytest.mark.parametrize("choice", ["edit", "visibility", "delete"])
def test_home_overflow_on_an_entry_that_is_not_yours_is_refused(bot, caplog, choice, value):
    caplog.set_level(logging.INFO)
    value = resolve(bot, value)
    before = snapshot(bot)
    answer = home_click(bot, payloads.overflow(f"{choice}:{value}"))
    assert answer.status == 200
    view = notice_shown(bot, "not on your resume")
    assert "secret" not in shown(view)
    assert snapshot(bot) == before
    assert bot.fake.calls_to("chat.postMessage", ok_only=False) == []
    assert unhandled_errors(caplog) == []


@pytest.mark.parametrize("value", ["archive:{id}", "EDIT:{id}", "edit :{id}", ":{id}", "{id}", "edit{id}"])
def test_home_overflow_with_an_unknown_choice_is_a_logged_no_op(bot, caplog, value):
    caplog.set_level(logging.INFO)
    entry_id = seed(bot)
    before = snapshot(bot)
    answer = home_click(bot, payloads.overflow(value.format(id=entry_id)))
    assert answer.status == 200
    wait_a_while(lambda: logged(caplog, "Ignored unknown entry menu choice") or unhandled_errors(caplog))
    assert logged(caplog, "Ignored unknown entry menu choice")
    assert unhandled_errors(caplog) == []
    assert bot.fake.calls == [] and bot.fake.responses == []
    assert snapshot(bot) == before


@pytest.mark.parametrize("value", ["edit:{id}:extra", "edit:", "delete:{id}.0"])
def test_home_overflow_with_a_malformed_entry_id_is_refused(bot, caplog, value):
    caplog.set_level(logging.INFO)
    entry_id = seed(bot)
    before = snapshot(bot)
    answer = home_click(bot, payloads.overflow(value.format(id=entry_id)))
    assert answer.status == 200
    notice_shown(bot, "not on your resume")
    assert snapshot(bot) == before
    assert unhandled_errors(caplog) == []


def test_record_button_on_the_home_tab_opens_an_empty_record_modal(bot):
    bot.now = NOW
    answer = home_click(bot, payloads.button("record_button"))
    assert answer.status == 200
    [view] = bot.fake.wait_for_views()
    assert bot.fake.calls_to("views.open")[0].args["trigger_id"]
    assert view["callback_id"] == "record_entry_modal"
    assert json.loads(view["private_metadata"]) == {}
    assert "initial_value" not in block(view, "what_block")["element"]
    assert block(view, "when_block")["element"]["initial_date"] == "2024-06-01"
    assert view["title"]["text"] == "Record a failure"
    assert entries(bot) == []
    assert_no_failed_calls(bot)


def test_export_button_on_the_home_tab_sends_the_resume_by_direct_message(bot):
    seed(bot, what="Exported mistake", lesson="Exported lesson")
    seed(bot, user="U2", what="Not mine to export")
    answer = home_click(bot, payloads.button("export_button"))
    assert answer.status == 200
    complete = bot.fake.wait_for("files.completeUploadExternal")[0]
    assert complete.args["channel_id"] == "DU1"
    document = uploaded(bot.fake, ".md")
    markdown = document.decode()
    assert "Exported mistake" in markdown and "Exported lesson" in markdown
    assert "Not mine to export" not in markdown
    assert bot.fake.responses == []
    assert_no_failed_calls(bot)


def test_settings_button_for_a_member_is_refused(bot):
    answer = home_click(bot, payloads.button("settings_button"), user="U2")
    assert answer.status == 200
    notice_shown(bot, "Only workspace admins")
    assert bot.fake.calls_to("chat.postMessage", ok_only=False) == []


def test_settings_button_for_an_admin_opens_the_settings_modal_with_current_values(bot):
    bot.fake.users["U1"] = ADMIN
    with bot.session_factory.begin() as session:
        session.add(
            WorkspaceSettings(
                enterprise_id="",
                team_id="T0001",
                retro_channel="C0RETRO",
                digest_cadence="weekly",
                prompt_day=12,
                default_visibility="named",
            )
        )
    answer = home_click(bot, payloads.button("settings_button"))
    assert answer.status == 200
    view = bot.fake.wait_for_views()[0]
    assert view["callback_id"] == "settings_modal"
    assert block(view, "retro_channel_block")["element"]["initial_conversation"] == "C0RETRO"
    assert block(view, "digest_cadence_block")["element"]["initial_option"]["value"] == "weekly"
    assert block(view, "prompt_day_block")["element"]["initial_option"]["value"] == "12"
    assert block(view, "default_visibility_block")["element"]["initial_option"]["value"] == "named"
    assert bot.fake.calls_to("chat.postMessage", ok_only=False) == []
    assert_no_failed_calls(bot)


def test_unknown_action_is_acked_and_changes_nothing(bot, caplog):
    """A button from an older version of a message: Slack gets its ack, so the person sees no error."""
    caplog.set_level(logging.INFO)
    seed(bot)
    before = snapshot(bot)
    answer = click(bot, "mystery_button", "1")
    assert answer.status == 200
    wait_a_while(lambda: logged(caplog, "nothing listens for"))
    assert logged(caplog, "nothing listens for")
    assert bot.fake.calls == [] and bot.fake.responses == []
    assert snapshot(bot) == before
    assert unhandled_errors(caplog) == []


# ---- resume pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["not json", "[1]", '{"page": "x"}', '{"page": null}', '{"page": NaN}', '{"page": Infinity}']
)
def test_malformed_resume_page_value_is_a_logged_no_op(bot, caplog, value):
    caplog.set_level(logging.INFO)
    seed(bot)
    answer = click(bot, "resume_page_button", value)
    assert answer.status == 200
    wait_a_while(lambda: logged(caplog, "Ignored a resume page button") or unhandled_errors(caplog) or bot.fake.calls)
    assert unhandled_errors(caplog) == []
    assert logged(caplog, "Ignored a resume page button")
    assert bot.fake.calls == [] and bot.fake.responses == []
