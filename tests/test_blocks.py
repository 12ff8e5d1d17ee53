"""Pure Block Kit builders and parsers, checked the way Slack checks them (slack_sdk.models), no HTTP."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block as SdkBlock
from slack_sdk.models.views import View as SdkView

from bot.blocks.common import SECTION_TEXT_MAX, escape, escape_within
from bot.blocks.entry_dialogs import build_delete_modal, build_visibility_modal
from bot.blocks.entry_modal import (
    ACTION_ITEM_MAX,
    ACTION_ITEMS_MAX,
    TEXT_MAX,
    ModalContext,
    build_record_modal,
    parse_record_submission,
)
from bot.blocks.fail_command import SUBCOMMANDS, FailCommand, parse_fail_command
from bot.blocks.messages import build_nice_job_message, build_not_saved_message, build_too_long_message
from bot.blocks.resume import HOME_ENTRIES_MAX, RESUME_PAGE_SIZE, build_home_view, build_resume_message
from bot.blocks.settings_modal import build_settings_modal, parse_settings_submission
from bot.domain.entries import markdown_text
from bot.domain.vocabulary import CATEGORIES, DIGEST_CADENCES, PROMPT_DAYS, SAFEGUARDS, VISIBILITIES
from bot.i18n import ENGLISH as t
from bot.slack.ids import Action, Block, View
from bot.text import clean_text
from storage.models import ActionItem, Entry, WorkspaceSettings
from storage.types import EntryFields
from tests import payloads
from tests.checks import assert_inert, text_objects
from tests.fakes.rules import empty_text_problem
from tests.harness.properties import PROPERTY

TODAY = date(2024, 3, 1)
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100


# -- how Slack would judge a builder's output -----------------------------------------------


def assert_sections_fit(blocks: list[dict]) -> None:
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= SECTION_TEXT_MAX, f"section of {len(block['text']['text'])} chars"
    assert empty_text_problem(blocks) is None


def assert_valid_view(view: dict, kind: str = "modal") -> None:
    assert view["type"] == kind
    assert SdkView(**view).to_dict() == view  # Slack's limits, and no key slack_sdk does not know
    assert len(view["blocks"]) <= VIEW_BLOCKS_MAX
    assert_sections_fit(view["blocks"])
    assert_inert(view)


def assert_valid_message(message: dict) -> None:
    assert isinstance(message["text"], str) and message["text"].strip()
    parsed = SdkBlock.parse_all(message["blocks"])
    assert None not in parsed
    assert [block.to_dict() for block in parsed] == message["blocks"]
    assert 0 < len(message["blocks"]) <= MESSAGE_BLOCKS_MAX
    assert_sections_fit(message["blocks"])
    assert_inert(message["blocks"], message["text"])


def by_block_id(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def make_entry(
    entry_id: int = 1,
    *,
    what: str = "Deployed on a Friday",
    lesson: str | None = "Deploy early",
    category: str = "engineering",
    happened_on: date = date(2024, 2, 1),
    safeguards=("tests",),
    visibility: str = "private",
    items: tuple[str, ...] = (),
    done: tuple[bool, ...] = (),
) -> Entry:
    return Entry(
        id=entry_id,
        enterprise_id="",
        team_id="T0001",
        user_id="U1",
        what_happened=what,
        lesson=lesson,
        category=category,
        happened_on=happened_on,
        safeguards=list(safeguards),
        visibility=visibility,
        action_items=[
            ActionItem(text=text, position=n, done_at=NOW if n < len(done) and done[n] else None)
            for n, text in enumerate(items)
        ],
    )


# -- strategies ---------------------------------------------------------------------------

SPICY = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0001>",
    "<#C0001>",
    "&<>",
    "&amp;",
    "&lt;!channel&gt;",
    "<https://evil.example|click>",
    "*bold* _it_ ~s~ `c`",
    "\n",
    "> ",
    "🙈",
    "배포",
    "\u200b",
    "\x00",
]
# Repeats of one piece reach every limit (3,000, 900, 500, 150) in few examples.
repeated = st.builds(
    lambda piece, n: (piece * n)[:5000],
    st.sampled_from(["&", "<!channel>", "a\n", "x", "🙈 ", "<@U1>"]),
    st.integers(0, 5000),
)
user_text = st.one_of(
    st.text(max_size=5000),
    st.lists(st.one_of(st.sampled_from(SPICY), st.text(max_size=40)), max_size=30).map("".join),
    repeated,
)
# What happened is never blank once stored: every surface that records it strips and requires it.
what_text = user_text.map(lambda s: s if s.strip() else s + "x")


@st.composite
def entries_strategy(draw, min_size: int = 0, max_size: int = 12) -> list[dict]:
    """make_entry() keyword arguments (readable in a falsifying example), newest first like the repository."""
    count = draw(st.integers(min_size, max_size))
    ids = draw(st.lists(st.integers(1, 10**9), min_size=count, max_size=count, unique=True))
    result = []
    for entry_id in ids:
        items = draw(st.lists(user_text, max_size=7))
        result.append(
            dict(
                entry_id=entry_id,
                what=draw(what_text),
                lesson=draw(st.none() | user_text),
                category=draw(st.sampled_from([*CATEGORIES, "retired-category"])),
                happened_on=draw(st.dates()),
                safeguards=tuple(draw(st.lists(st.sampled_from([*SAFEGUARDS, "retired-safeguard"]), unique=True))),
                visibility=draw(st.sampled_from(list(VISIBILITIES))),
                items=tuple(items),
                done=tuple(draw(st.lists(st.booleans(), min_size=len(items), max_size=len(items)))),
            )
        )
    return sorted(result, key=lambda e: (e["happened_on"], e["entry_id"]), reverse=True)


def built(entries: list[dict]) -> list[Entry]:
    return [make_entry(**kwargs) for kwargs in entries]


# The longest an entry can be once the record modal's checks passed (TEXT_MAX, ACTION_ITEM(S)_MAX),
# with a lesson written as many short lines.
WORST_ENTRY = dict(
    entry_id=1,
    what="&" * TEXT_MAX,
    lesson="a\n" * (TEXT_MAX // 2),
    safeguards=tuple(SAFEGUARDS),
    visibility="anonymous",
    items=tuple("&" * ACTION_ITEM_MAX for _ in range(ACTION_ITEMS_MAX)),
)


permalinks = st.builds(
    lambda path, query: f"https://example.slack.com/archives/C0001/p{path}{query}",
    st.integers(0, 10**16),
    st.sampled_from(["", "?thread_ts=1700000000.000100&cid=C0001", "?a=<b>&c=<!channel>"]),
)
response_urls = st.builds(lambda n: f"https://hooks.slack.com/commands/T0001/{n}/abcdef", st.integers(0, 10**12))


# -- property tests: any text, every builder stays valid and inert ----------------------------


@PROPERTY
@given(
    what=st.none() | user_text,
    lesson=st.none() | user_text,
    items=st.lists(user_text, max_size=25),
    entry_id=st.none() | st.integers(1, 2**31 - 1),
    response_url=st.none() | response_urls,
    source_link=st.none() | permalinks,
    happened_on=st.dates(),
    category=st.sampled_from([*CATEGORIES, "nope"]),
    visibility=st.sampled_from([*VISIBILITIES, "nope", None]),
    default_visibility=st.sampled_from([*VISIBILITIES, "nope"]),
)
def test_record_modal_is_valid_for_any_text(
    what, lesson, items, entry_id, response_url, source_link, happened_on, category, visibility, default_visibility
):
    context = ModalContext(entry_id=entry_id, response_url=response_url, source_link=source_link)
    fields = None
    if what is not None:
        fields = EntryFields(
            what, lesson, category, happened_on, ("tests", "bogus"), tuple(items), visibility, source_link
        )
    view = build_record_modal(t, today=TODAY, default_visibility=default_visibility, context=context, fields=fields)
    assert_valid_view(view)
    assert len(view["private_metadata"]) <= 3000
    assert ModalContext.load(view["private_metadata"]).entry_id == entry_id


@PROPERTY
@given(entries=entries_strategy(), lessons=st.integers(0, 10**6), is_admin=st.booleans())
@example(entries=[WORST_ENTRY], lessons=1, is_admin=True)
def test_home_view_is_valid_for_any_entries(entries, lessons, is_admin):
    view = build_home_view(t, built(entries), lessons=lessons, is_admin=is_admin)
    assert_valid_view(view, kind="home")


@PROPERTY
@given(entries=entries_strategy(max_size=20), year=st.none() | st.integers(1, 9999), page=st.integers(-5, 10))
@example(entries=[WORST_ENTRY], year=None, page=0)
def test_resume_message_is_valid_for_any_entries(entries, year, page):
    assert_valid_message(build_resume_message(t, built(entries), year=year, page=page))


@PROPERTY
@given(entries=entries_strategy(min_size=1, max_size=1), quick=st.booleans())
def test_entry_messages_and_dialogs_are_valid_for_any_entry(entries, quick):
    [entry] = built(entries)
    assert_valid_message(build_nice_job_message(t, entry, quick=quick))
    assert_valid_view(build_delete_modal(t, entry))
    assert_valid_view(build_visibility_modal(t, entry))


@PROPERTY
@given(text=user_text)
def test_not_saved_and_too_long_messages_are_valid_for_any_text(text):
    assert_valid_message(build_not_saved_message(t, text))
    assert_valid_message(build_too_long_message(t, text, TEXT_MAX))


def test_an_entry_at_every_limit_still_fits_one_section():
    """The worst an entry can be after the record modal's checks: every field at its longest."""
    entry = make_entry(**WORST_ENTRY)
    text = build_resume_message(t, [entry])["blocks"][2]["text"]["text"]
    assert len(text) <= SECTION_TEXT_MAX, f"the entry's section has {len(text)} characters"
    assert_valid_message(build_resume_message(t, [entry]))
    assert_valid_view(build_home_view(t, [entry], lessons=1, is_admin=True), kind="home")


# -- build_record_modal ---------------------------------------------------------------------

RECORD_BLOCKS = [
    Block.WHAT,
    Block.LESSON,
    Block.CATEGORY,
    Block.WHEN,
    Block.SAFEGUARDS,
    Block.ACTION_ITEMS,
    Block.VISIBILITY,
]


def test_new_record_modal_has_every_input_with_defaults():
    context = ModalContext(response_url="https://hooks.slack.com/commands/T1/1/x")
    view = build_record_modal(t, today=TODAY, default_visibility="anonymous", context=context)
    assert_valid_view(view)
    assert view["callback_id"] == View.RECORD
    assert view["title"]["text"] == "Record a failure" and view["submit"]["text"] == "Record"
    assert [b["block_id"] for b in view["blocks"]] == RECORD_BLOCKS
    assert by_block_id(view, Block.WHEN)["element"]["initial_date"] == "2024-03-01"
    assert by_block_id(view, Block.VISIBILITY)["element"]["initial_option"]["value"] == "anonymous"
    assert by_block_id(view, Block.CATEGORY)["element"]["initial_option"]["value"] == "engineering"
    assert "initial_value" not in by_block_id(view, Block.WHAT)["element"]
    assert by_block_id(view, Block.WHAT)["optional"] is False
    assert by_block_id(view, Block.LESSON)["optional"] is True
    assert ModalContext.load(view["private_metadata"]) == context


def test_edit_modal_is_prefilled_from_the_fields():
    fields = EntryFields(
        "Broke prod",
        "Use flags",
        "data",
        date(2023, 6, 1),
        ("kill_switch", "retired"),
        ("Add a flag", "Alert"),
        "named",
    )
    view = build_record_modal(
        t, today=TODAY, default_visibility="private", context=ModalContext(entry_id=7), fields=fields
    )
    assert_valid_view(view)
    assert view["title"]["text"] == "Edit entry" and view["submit"]["text"] == "Save"
    assert by_block_id(view, Block.WHAT)["element"]["initial_value"] == "Broke prod"
    assert by_block_id(view, Block.LESSON)["element"]["initial_value"] == "Use flags"
    assert by_block_id(view, Block.CATEGORY)["element"]["initial_option"]["value"] == "data"
    assert by_block_id(view, Block.WHEN)["element"]["initial_date"] == "2023-06-01"
    assert [o["value"] for o in by_block_id(view, Block.SAFEGUARDS)["element"]["initial_options"]] == ["kill_switch"]
    assert by_block_id(view, Block.ACTION_ITEMS)["element"]["initial_value"] == "Add a flag\nAlert"
    assert by_block_id(view, Block.VISIBILITY)["element"]["initial_option"]["value"] == "named"
    assert json.loads(view["private_metadata"]) == {"entry_id": 7}


def test_record_modal_falls_back_for_unknown_choices():
    fields = EntryFields("x", None, "retired", TODAY, (), (), None)
    view = build_record_modal(t, today=TODAY, default_visibility="bogus", context=ModalContext(), fields=fields)
    assert by_block_id(view, Block.CATEGORY)["element"]["initial_option"]["value"] == "engineering"
    assert by_block_id(view, Block.VISIBILITY)["element"]["initial_option"]["value"] == "private"
    assert "initial_options" not in by_block_id(view, Block.SAFEGUARDS)["element"]


def test_record_modal_links_back_to_the_source_message_escaped():
    link = "https://example.slack.com/archives/C1/p1700000000000300?thread_ts=1700000000.000100&cid=C1"
    view = build_record_modal(t, today=TODAY, default_visibility="private", context=ModalContext(source_link=link))
    first = view["blocks"][0]
    assert first["type"] == "section"
    assert first["text"]["text"] == f"From <{link.replace('&', '&amp;')}|this message>."
    assert [b["block_id"] for b in view["blocks"][1:]] == RECORD_BLOCKS


def modal_state(view: dict) -> dict:
    """The `view.state.values` Slack would send if the person submitted the modal untouched."""
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        state = {"type": element["type"]}
        if element["type"] == "plain_text_input":
            state["value"] = element.get("initial_value")
        elif element["type"] == "datepicker":
            state["selected_date"] = element.get("initial_date")
        elif element["type"] in ("multi_static_select", "checkboxes"):
            state["selected_options"] = element.get("initial_options", [])
        else:
            state["selected_option"] = element.get("initial_option")
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def test_record_modal_and_its_parser_round_trip():
    fields = EntryFields(
        "Broke prod",
        "Use flags",
        "data",
        date(2023, 6, 1),
        ("kill_switch", "tests"),
        ("Add a flag", "Alert"),
        "named",
        "https://example.slack.com/archives/C1/p1",
    )
    view = build_record_modal(
        t,
        today=TODAY,
        default_visibility="private",
        context=ModalContext(source_link=fields.source_link),
        fields=fields,
    )
    parsed, errors = parse_record_submission(t, modal_state(view), TODAY, fields.source_link)
    assert errors == {}
    assert parsed == fields


# -- build_home_view / build_resume_message ---------------------------------------------------


def test_home_view_lists_entries_with_a_menu_each_and_admin_settings():
    entries = [make_entry(1, happened_on=date(2021, 1, 1), lesson=None), make_entry(2, happened_on=date(2024, 1, 1))]
    view = build_home_view(t, entries, lessons=1, is_admin=True)
    assert_valid_view(view, kind="home")
    actions = by_block_id(view, Block.HOME_ACTIONS)
    assert [e["action_id"] for e in actions["elements"]] == [
        Action.RECORD,
        Action.EXPORT,
        Action.IMPORT,
        Action.REVIEW,
        Action.SETTINGS,
        Action.POST_DIGEST,
    ]
    assert any("2 entries · 1 lesson so far" in text for text in text_objects(view, "mrkdwn"))
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers[1].startswith("2024") and headers[2].startswith("2021")
    menu = by_block_id(view, "entry_2")["accessory"]
    assert menu["action_id"] == Action.ENTRY_MENU
    assert [o["value"] for o in menu["options"]] == ["edit:2", "action_items:2", "visibility:2", "delete:2"]
    assert "Lesson still to come" in by_block_id(view, "entry_1")["text"]["text"]


def test_home_view_hides_settings_from_non_admins_and_welcomes_newcomers():
    view = build_home_view(t, [], lessons=0, is_admin=False)
    assert_valid_view(view, kind="home")
    actions = by_block_id(view, Block.HOME_ACTIONS)
    assert Action.SETTINGS not in [e["action_id"] for e in actions["elements"]]
    assert any("Nothing here yet" in text for text in text_objects(view, "mrkdwn"))


def test_home_view_shows_the_most_recent_entries_within_the_block_limit():
    entries = [make_entry(n, happened_on=date(1950 + n, 1, 1)) for n in range(70, 0, -1)]  # newest first
    view = build_home_view(t, entries, lessons=70, is_admin=True)
    assert_valid_view(view, kind="home")
    shown = [b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("entry_")]
    assert len(shown) == HOME_ENTRIES_MAX
    assert shown[0] == "entry_70"
    assert f"Showing the {HOME_ENTRIES_MAX} most recent of 70" in view["blocks"][-1]["elements"][0]["text"]


def test_home_view_counts_the_whole_resume_when_given_only_the_newest():
    newest = [make_entry(n, happened_on=date(2024, 1, n)) for n in range(HOME_ENTRIES_MAX, 0, -1)]
    view = build_home_view(t, newest, lessons=40, is_admin=False, total=120, per_year={2024: 45, 2023: 75})
    assert_valid_view(view, kind="home")
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers[1] == "2024 · 45 entries"
    assert any("120 entries · 40 lessons so far" in text for text in text_objects(view, "mrkdwn"))
    assert f"Showing the {HOME_ENTRIES_MAX} most recent of 120" in view["blocks"][-1]["elements"][0]["text"]


def test_resume_message_pages_with_newer_and_older_buttons():
    entries = [make_entry(n, happened_on=date(2000 + n, 1, 1)) for n in range(1, 2 * RESUME_PAGE_SIZE + 2)]
    first = build_resume_message(t, entries, year=None, page=0)
    assert_valid_message(first)
    buttons = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], json.loads(b["value"])) for b in buttons] == [("Older", {"year": None, "page": 1})]
    middle = build_resume_message(t, entries, year=None, page=1)
    buttons = [e for b in middle["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [json.loads(b["value"])["page"] for b in buttons] == [0, 2]
    last = build_resume_message(t, entries, year=None, page=99)
    assert any("Page 3 of 3" in text for text in text_objects(last, "mrkdwn"))


def test_empty_resume_says_so():
    assert "empty so far" in build_resume_message(t, [])["text"]
    message = build_resume_message(t, [], year=2021)
    assert_valid_message(message)
    assert message["text"] == "Nothing recorded for 2021."


def test_resume_escapes_mentions_in_every_user_field():
    entry = make_entry(what="<!channel> broke it", lesson="<@U9> & <!here>", items=("<#C1> cleanup",))
    message = build_resume_message(t, [entry])
    assert_valid_message(message)
    shown = json.dumps(message)
    assert "&lt;!channel&gt; broke it" in shown and "&lt;@U9&gt; &amp; &lt;!here&gt;" in shown
    assert "&lt;#C1&gt; cleanup" in shown


# -- acknowledgement, dialogs, settings, echo messages ------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ("private", [Action.ADD_LESSON, Action.SHARE_ANONYMOUSLY, Action.UNDO]),
        ("anonymous", [Action.ADD_LESSON, Action.UNDO]),
        ("named", [Action.ADD_LESSON, Action.UNDO]),
    ],
)
def test_quick_acknowledgement_offers_next_steps(visibility, expected):
    message = build_nice_job_message(t, make_entry(42, visibility=visibility), quick=True)
    assert_valid_message(message)
    assert message["text"].startswith("Nice job")
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == expected
    assert {b["value"] for b in buttons} == {"42"}


def test_modal_acknowledgement_has_no_buttons():
    message = build_nice_job_message(t, make_entry(3), quick=False)
    assert_valid_message(message)
    assert [b for b in message["blocks"] if b["type"] == "actions"] == []


def test_delete_and_visibility_modals_carry_the_entry_id():
    entry = make_entry(9, what="w" * 800, visibility="anonymous")
    delete = build_delete_modal(t, entry)
    assert_valid_view(delete)
    assert delete["callback_id"] == View.DELETE
    assert json.loads(delete["private_metadata"]) == {"entry_id": 9}
    assert len(delete["blocks"][1]["text"]["text"]) <= 500
    visibility = build_visibility_modal(t, entry)
    assert_valid_view(visibility)
    assert visibility["callback_id"] == View.VISIBILITY
    assert json.loads(visibility["private_metadata"]) == {"entry_id": 9}
    assert by_block_id(visibility, Block.VISIBILITY)["element"]["initial_option"]["value"] == "anonymous"


@pytest.mark.parametrize("retro_channel", [None, "C0123"])
def test_settings_modal_shows_the_current_settings(retro_channel):
    current = WorkspaceSettings(
        enterprise_id="",
        team_id="T1",
        retro_channel=retro_channel,
        digest_cadence="weekly",
        prompt_day=12,
        default_visibility="named",
    )
    view = build_settings_modal(t, current)
    assert_valid_view(view)
    assert view["callback_id"] == View.SETTINGS
    channel = by_block_id(view, Block.RETRO_CHANNEL)["element"]
    assert channel.get("initial_conversation") == retro_channel
    assert by_block_id(view, Block.DIGEST_CADENCE)["element"]["initial_option"]["value"] == "weekly"
    prompt_day = by_block_id(view, Block.PROMPT_DAY)["element"]
    assert prompt_day["initial_option"]["value"] == "12"
    assert len(prompt_day["options"]) == len(PROMPT_DAYS)
    assert by_block_id(view, Block.DEFAULT_VISIBILITY)["element"]["initial_option"]["value"] == "named"


def test_settings_modal_and_its_parser_round_trip():
    current = WorkspaceSettings(
        enterprise_id="",
        team_id="T1",
        retro_channel="G0456",
        digest_cadence="monthly",
        prompt_day=0,
        default_visibility="anonymous",
        anonymity_crowd=5,
        prompt_guests=True,
        language="ko",
    )
    view = build_settings_modal(t, current)
    values = modal_state(view)
    values[Block.RETRO_CHANNEL][Action.RETRO_CHANNEL]["selected_conversation"] = "G0456"
    parsed, errors = parse_settings_submission(t, values)
    assert errors == {}
    assert parsed == {
        "retro_channel": "G0456",
        "digest_cadence": "monthly",
        "prompt_day": 0,
        "default_visibility": "anonymous",
        "anonymity_crowd": 5,
        "prompt_guests": True,
        "language": "ko",
    }


def test_not_saved_message_gives_every_word_back():
    text = "<!channel> " + "lost words " * 900  # about 10,000 characters: several sections
    message = build_not_saved_message(t, text)
    assert_valid_message(message)
    assert "could not be saved" in message["text"]
    assert "".join(b["text"]["text"] for b in message["blocks"][1:]) == text
    assert all(b["text"]["type"] == "plain_text" for b in message["blocks"][1:])


def test_too_long_message_names_the_limit_and_echoes_the_text():
    text = "y" * 3001
    message = build_too_long_message(t, text, TEXT_MAX)
    assert_valid_message(message)
    assert "3,000" in message["text"]
    assert "".join(b["text"]["text"] for b in message["blocks"][1:]) == text


# -- parse_record_submission ----------------------------------------------------------------


def test_parse_record_submission_reads_a_valid_submission():
    values = payloads.record_values(
        safeguards=("gradual_rollout", "retired"),
        visibility="named",
        action_items=" Add a kill switch \n\n Alert on cache misses\n",
    )
    fields, errors = parse_record_submission(t, values, TODAY, "https://example.slack.com/archives/C1/p1")
    assert errors == {}
    assert fields == EntryFields(
        what_happened="We deployed on a Friday and the cache fell over.",
        lesson="Deploy early in the week, behind a flag.",
        category="engineering",
        happened_on=date(2024, 3, 1),
        safeguards=("gradual_rollout",),
        action_items=("Add a kill switch", "Alert on cache misses"),
        visibility="named",
        source_link="https://example.slack.com/archives/C1/p1",
    )


def test_parse_record_submission_blank_lesson_is_none():
    fields, errors = parse_record_submission(t, payloads.record_values(lesson="   ", action_items=None), TODAY)
    assert errors == {}
    assert fields.lesson is None and fields.action_items == ()


@pytest.mark.parametrize(
    ("changes", "block_id"),
    [
        ({"what": None}, Block.WHAT),
        ({"what": "   \n "}, Block.WHAT),
        ({"what": "x" * (TEXT_MAX + 1)}, Block.WHAT),
        ({"lesson": "x" * (TEXT_MAX + 1)}, Block.LESSON),
        ({"when": None}, Block.WHEN),
        ({"when": "2024-13-40"}, Block.WHEN),
        ({"when": "2024-03-03"}, Block.WHEN),  # after the latest allowed day
        ({"category": "retired"}, Block.CATEGORY),
        ({"visibility": "everyone"}, Block.VISIBILITY),
        ({"action_items": "\n".join(f"item {n}" for n in range(ACTION_ITEMS_MAX + 1))}, Block.ACTION_ITEMS),
        ({"action_items": "y" * (ACTION_ITEM_MAX + 1)}, Block.ACTION_ITEMS),
    ],
)
def test_parse_record_submission_puts_errors_on_the_field_at_fault(changes, block_id):
    fields, errors = parse_record_submission(t, payloads.record_values(**changes), date(2024, 3, 2))
    assert fields is None
    assert list(errors) == [block_id]
    assert errors[block_id].strip()


def test_parse_record_submission_accepts_the_latest_allowed_day():
    fields, errors = parse_record_submission(t, payloads.record_values(when="2024-03-02"), date(2024, 3, 2))
    assert errors == {} and fields.happened_on == date(2024, 3, 2)


# -- parse_settings_submission --------------------------------------------------------------


def settings_values(
    channel: str | None = "C0123",
    cadence: str = "weekly",
    day: str = "3",
    visibility: str = "anonymous",
    crowd: str = "4",
    guests: bool = True,
    language: str = "ko",
) -> dict:
    def choice(block, action, value):
        return {block: {action: {"type": "static_select", "selected_option": {"value": value}}}}

    return {
        Block.RETRO_CHANNEL: {Action.RETRO_CHANNEL: {"type": "conversations_select", "selected_conversation": channel}},
        **choice(Block.DIGEST_CADENCE, Action.DIGEST_CADENCE, cadence),
        **choice(Block.PROMPT_DAY, Action.PROMPT_DAY, day),
        **choice(Block.DEFAULT_VISIBILITY, Action.DEFAULT_VISIBILITY, visibility),
        **choice(Block.ANONYMITY_CROWD, Action.ANONYMITY_CROWD, crowd),
        **choice(Block.WORKSPACE_LANGUAGE, Action.WORKSPACE_LANGUAGE, language),
        Block.PROMPT_GUESTS: {
            Action.PROMPT_GUESTS: {"type": "checkboxes", "selected_options": [{"value": "yes"}] if guests else []}
        },
    }


def test_parse_settings_submission_reads_a_valid_submission():
    assert parse_settings_submission(t, settings_values()) == (
        {
            "retro_channel": "C0123",
            "digest_cadence": "weekly",
            "prompt_day": 3,
            "default_visibility": "anonymous",
            "anonymity_crowd": 4,
            "prompt_guests": True,
            "language": "ko",
        },
        {},
    )
    parsed, errors = parse_settings_submission(t, settings_values(language="xx"))
    assert parsed is None and set(errors) == {Block.WORKSPACE_LANGUAGE}
    parsed, errors = parse_settings_submission(t, settings_values(crowd="1", guests=False))
    assert parsed is None and set(errors) == {Block.ANONYMITY_CROWD}
    parsed, errors = parse_settings_submission(t, settings_values(guests=False))
    assert parsed["prompt_guests"] is False
    parsed, errors = parse_settings_submission(t, settings_values(channel=None, day="0"))
    assert errors == {} and parsed["retro_channel"] is None and parsed["prompt_day"] == 0


@pytest.mark.parametrize(
    ("changes", "block_id"),
    [
        ({"channel": "D0123"}, Block.RETRO_CHANNEL),
        ({"channel": "C01 23"}, Block.RETRO_CHANNEL),
        ({"cadence": "daily"}, Block.DIGEST_CADENCE),
        ({"day": "29"}, Block.PROMPT_DAY),
        ({"day": "-1"}, Block.PROMPT_DAY),
        ({"day": "three"}, Block.PROMPT_DAY),
        ({"visibility": "public"}, Block.DEFAULT_VISIBILITY),
    ],
)
def test_parse_settings_submission_puts_errors_on_the_field_at_fault(changes, block_id):
    parsed, errors = parse_settings_submission(t, settings_values(**changes))
    assert parsed is None
    assert list(errors) == [block_id]


# -- parsers on arbitrary JSON-like values never raise ----------------------------------------

KEYS = st.one_of(
    st.sampled_from(
        [
            *(b.value for b in Block),
            *(a.value for a in Action),
            "value",
            "selected_option",
            "selected_options",
            "selected_date",
            "selected_conversation",
            "type",
        ]
    ),
    st.text(max_size=8),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "2024-02-29",
            "2024-03-01T10:00",
            "9999-12-31",
            "engineering",
            "private",
            "weekly",
            "C0123",
            "D0123",
            "0",
            "28",
            "²",
            "１",
            "tests",
        ]
    ),
)
json_like = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


def shaped(pairs: list[tuple[str, str]]):
    """Values in Slack's block -> action -> element shape, with anything in the elements."""
    option = st.one_of(json_like, st.fixed_dictionaries({"value": json_like}))
    element = st.fixed_dictionaries(
        {},
        optional={
            "type": json_like,
            "value": json_like,
            "selected_option": option,
            "selected_options": st.one_of(json_like, st.lists(option, max_size=4)),
            "selected_date": json_like,
            "selected_conversation": json_like,
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            block: st.one_of(json_like, st.fixed_dictionaries({}, optional={action: st.one_of(element, json_like)}))
            for block, action in pairs
        },
    )


RECORD_PAIRS = [
    (Block.WHAT, Action.WHAT),
    (Block.LESSON, Action.LESSON),
    (Block.CATEGORY, Action.CATEGORY),
    (Block.WHEN, Action.WHEN),
    (Block.SAFEGUARDS, Action.SAFEGUARDS),
    (Block.ACTION_ITEMS, Action.ACTION_ITEMS),
    (Block.VISIBILITY, Action.VISIBILITY),
]
SETTINGS_PAIRS = [
    (Block.RETRO_CHANNEL, Action.RETRO_CHANNEL),
    (Block.DIGEST_CADENCE, Action.DIGEST_CADENCE),
    (Block.PROMPT_DAY, Action.PROMPT_DAY),
    (Block.DEFAULT_VISIBILITY, Action.DEFAULT_VISIBILITY),
    (Block.ANONYMITY_CROWD, Action.ANONYMITY_CROWD),
    (Block.PROMPT_GUESTS, Action.PROMPT_GUESTS),
    (Block.WORKSPACE_LANGUAGE, Action.WORKSPACE_LANGUAGE),
]


@settings(PROPERTY, max_examples=200)
@given(values=st.one_of(json_like, shaped(RECORD_PAIRS)), latest=st.dates())
def test_parse_record_submission_never_raises_and_returns_only_valid_fields(values, latest):
    fields, errors = parse_record_submission(t, values, latest)
    assert (fields is None) == bool(errors)
    assert set(errors) <= {b for b, _a in RECORD_PAIRS}
    if fields is not None:
        assert fields.what_happened and len(fields.what_happened) <= TEXT_MAX
        assert fields.lesson is None or 0 < len(fields.lesson) <= TEXT_MAX
        assert len(fields.action_items) <= ACTION_ITEMS_MAX
        assert all(item.strip() and len(item) <= ACTION_ITEM_MAX for item in fields.action_items)
        assert fields.category in CATEGORIES and fields.visibility in VISIBILITIES
        assert set(fields.safeguards) <= set(SAFEGUARDS)
        assert fields.happened_on <= latest


def _settings_with_day(day: str) -> dict:
    return settings_values(day=day)


@settings(PROPERTY, max_examples=200)
@given(values=st.one_of(json_like, shaped(SETTINGS_PAIRS)))
@example(values=_settings_with_day("²"))  # str.isdigit() is true, int() refuses it
def test_parse_settings_submission_never_raises_and_returns_only_valid_settings(values):
    parsed, errors = parse_settings_submission(t, values)
    assert (parsed is None) == bool(errors)
    assert set(errors) <= {b for b, _a in SETTINGS_PAIRS}
    if parsed is not None:
        channel = parsed["retro_channel"]
        assert channel is None or (channel[0] in "CG" and channel.isalnum())
        assert parsed["digest_cadence"] in DIGEST_CADENCES
        assert parsed["prompt_day"] in PROMPT_DAYS
        assert parsed["anonymity_crowd"] >= 3
        assert parsed["default_visibility"] in VISIBILITIES


# -- parse_fail_command ---------------------------------------------------------------------

command_text = st.one_of(
    st.text(max_size=300),
    st.builds(
        lambda word, rest: word + rest,
        st.sampled_from(["resume", "RESUME", "export", "help", "settings", "Resume", "resumee", "  resume  "]),
        st.sampled_from(["", " 2021", " 21", " 20211", "\n2021", " of mine", " ٢٠٢١", " help"]),
    ),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", FailCommand("form")),
        ("   \n", FailCommand("form")),
        ("resume", FailCommand("resume")),
        ("Resume 2021", FailCommand("resume", year=2021)),
        ("export", FailCommand("export")),
        ("HELP", FailCommand("help")),
        ("settings", FailCommand("settings")),
        ("resumee", FailCommand("typo", text="resumee", suggestion="resume")),
        ("export now", FailCommand("typo", text="export now", suggestion="export")),
        ("deadline", FailCommand("record", text="deadline")),
        ("oops", FailCommand("record", text="oops")),
        ("resume of mine got rejected", FailCommand("record", text="resume of mine got rejected")),
        ("  I broke prod  ", FailCommand("record", text="I broke prod")),
        ("<!channel>", FailCommand("record", text="<!channel>")),
        ("import", FailCommand("import")),
        ("review", FailCommand("review")),
        ("Review 2024", FailCommand("review", year=2024)),
        ("review 9999", FailCommand("review", year=9999)),
        ("review 1890", FailCommand("review", year=1890)),
        ("review abc", FailCommand("review", text="abc")),
        ("review 12345", FailCommand("review", text="12345")),
        ("review the deploy plan", FailCommand("record", text="review the deploy plan")),
        ("import my resume please", FailCommand("record", text="import my resume please")),
    ],
)
def test_parse_fail_command_examples(text, expected):
    assert parse_fail_command(text) == expected


@settings(PROPERTY, max_examples=200)
@given(text=command_text)
def test_parse_fail_command_never_raises_and_classifies_consistently(text):
    parsed = parse_fail_command(text)
    stripped = clean_text(text).strip()  # control characters are dropped where text enters
    assert parsed.action in {"form", "record", "typo", "resume", *SUBCOMMANDS}
    assert parse_fail_command(f"  {text}\n") == parsed  # surrounding whitespace never matters
    assert (parsed.action == "form") == (stripped == "")
    if parsed.action == "record":
        assert parsed.text == stripped
        assert stripped.lower() not in SUBCOMMANDS
    if parsed.action == "typo":
        assert parsed.suggestion in SUBCOMMANDS and parsed.text == stripped  # nothing saved, the words kept
    if parsed.action in {"export", "settings"} or (parsed.action == "help" and not parsed.text):
        assert stripped.lower() == parsed.action
    if parsed.action == "search":
        assert stripped.lower().startswith("search") and parsed.text in stripped
    if parsed.action == "resume":
        assert stripped.lower().startswith("resume")
        assert parsed.year is None or 0 <= parsed.year <= 9999
    else:
        assert parsed.year is None
    if parsed.action in {"resume", "export", "help", "settings"} and not parsed.text:
        assert parse_fail_command(text.upper()).action == parsed.action  # commands ignore case


# -- ModalContext ---------------------------------------------------------------------------


@PROPERTY
@given(
    entry_id=st.none() | st.integers(1, 2**31 - 1),
    response_url=st.none() | response_urls,
    source_link=st.none() | st.text(min_size=1, max_size=5000),
)
def test_modal_context_round_trips_within_slacks_metadata_limit(entry_id, response_url, source_link):
    context = ModalContext(entry_id=entry_id, response_url=response_url, source_link=source_link)
    dumped = context.dump()
    assert len(dumped) <= 3000
    loaded = ModalContext.load(dumped)
    assert loaded.entry_id == entry_id and loaded.response_url == response_url
    assert loaded.source_link in (source_link, None)
    if len(json.dumps({"source_link": source_link})) < 2000:
        assert loaded == context


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "",
        "not json",
        "[1, 2]",
        "42",
        "null",
        '"a string"',
        b'{"entry_id": 1}',
        17,
        {"entry_id": 1},
        '{"entry_id": 1.5}',
        '{"entry_id": 2147483648}',
        '{"entry_id": true}',
        '{"response_url": 5, "source_link": ""}',
    ],
)
def test_modal_context_load_turns_garbage_into_an_empty_context(garbage):
    assert ModalContext.load(garbage) == ModalContext()


def test_modal_context_ignores_unknown_keys():
    loaded = ModalContext.load('{"entry_id": 5, "response_url": "https://x", "extra": [1]}')
    assert loaded == ModalContext(entry_id=5, response_url="https://x")


# -- escape / escape_within ------------------------------------------------------------------


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_escape_makes_mentions_inert():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("&lt;") == "&amp;lt;"


@PROPERTY
@given(text=user_text)
def test_escape_leaves_no_angle_brackets_and_loses_nothing(text):
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert unescape(escaped) == text


@PROPERTY
@given(text=user_text, limit=st.integers(1, 3000))
def test_escape_within_fits_the_limit_without_splitting_an_entity(text, limit):
    result = escape_within(text, limit)
    assert len(result) <= limit
    assert "<" not in result and ">" not in result
    assert "&" not in re.sub(r"&(amp|lt|gt);", "", result)  # every & starts a whole entity
    full = escape(text.strip())
    if len(full) <= limit:
        assert result == full
    else:
        assert result.endswith("…")
        assert text.strip().startswith(unescape(result[:-1]))


def test_escape_within_cuts_before_an_entity_that_would_not_fit():
    assert escape_within("ab&cd", 5) == "ab…"
    assert escape_within("  <!here>  ", 100) == "&lt;!here&gt;"


@pytest.mark.parametrize(
    "line",
    ["```", "~~~ python", "<!channel> see this", "1. first", "12) twelfth", "# heading", "> quote", "- item"],
)
def test_no_line_a_person_types_starts_markdown_structure_in_the_export(line):
    """A fence would swallow the rest of the resume, raw HTML would vanish, a number would start a list."""
    text = f"Before\n{line}\nAfter"
    rendered = markdown_text(text)
    assert rendered.splitlines()[1].replace("\\", "", 1) == line
    assert rendered.splitlines()[1] != line


def test_a_carriage_return_alone_or_before_a_newline_is_a_line_break():
    assert clean_text("one\rtwo\r\nthree\nfour") == "one\ntwo\nthree\nfour"
