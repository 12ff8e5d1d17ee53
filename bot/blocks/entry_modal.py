"""The record/edit modal for one entry, and the parser for its submission."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from bot.blocks.common import escape, input_block, modal, option, option_of, plain, radio_input, section, static_select
from bot.blocks.state import (
    entry_id_value,
    selected_value,
    selected_values,
    string_value,
    text_value,
)
from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS, VISIBILITIES
from bot.i18n import N_, Translator
from bot.slack.ids import Action, Block, View
from storage.types import EntryFields

TEXT_MAX = 3000
ACTION_ITEMS_MAX = 20
ACTION_ITEM_MAX = 500
METADATA_MAX = 3000
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,20}")
KEEP_WORDS = "keep"
BLAME_SUGGESTION = N_(
    "Before this is shared: it reads as if it points at a person. A blameless entry says what broke, "
    "not who: What module broke? What can we do to catch it earlier?"
)


@dataclass(frozen=True)
class ModalContext:
    """What the modal carries from where it was opened to its submission (private_metadata)."""

    entry_id: int | None = None
    response_url: str | None = None
    source_link: str | None = None
    # A message recorded through the shortcut: its permalink is looked up after the modal is
    # open, at submission, so that the 3-second trigger window goes to opening the modal.
    source_channel: str | None = None
    source_ts: str | None = None

    def dump(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if v is not None}
        text = json.dumps(data)
        # A very long permalink is dropped rather than breaking Slack's 3,000-character limit.
        if len(text) > METADATA_MAX:
            data.pop("source_link", None)
            text = json.dumps(data)
        return text

    @classmethod
    def load(cls, text: object) -> ModalContext:
        try:
            data = json.loads(text) if isinstance(text, str) and text else {}
        except (ValueError, RecursionError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(
            entry_id=entry_id_value(data.get("entry_id")),
            response_url=_str_or_none(data.get("response_url")),
            source_link=_str_or_none(data.get("source_link")),
            source_channel=_str_or_none(data.get("source_channel")),
            source_ts=_str_or_none(data.get("source_ts")),
        )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _text_input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    initial: str | None,
    optional: bool,
    placeholder: str,
    multiline: bool = True,
    hint: str | None = None,
    dispatch: bool = False,
) -> dict:
    element = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": TEXT_MAX,
        "placeholder": plain(placeholder),
    }
    if initial:
        element["initial_value"] = initial[:TEXT_MAX]
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "optional": optional,
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint)
    if dispatch:  # Enter sends what is written so far, to show earlier lessons like it
        block["dispatch_action"] = True
        element["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
    return block


def build_record_modal(
    t: Translator,
    *,
    today: date,
    default_visibility: str,
    context: ModalContext,
    fields: EntryFields | None = None,
    blame_warning: bool = False,
) -> dict:
    """The modal to record a new entry (fields None or a pre-fill) or to edit one (context.entry_id);
    with `blame_warning`, as it comes back when a shared entry's words point at a person."""
    blocks = blameless_blocks(t) if blame_warning else []
    blocks += _source_blocks(t, context)
    blocks += _entry_inputs(t, fields, today, default_visibility)
    editing = context.entry_id is not None
    title, submit = (t("Edit entry"), t("Save")) if editing else (t("Record a failure"), t("Record"))
    return modal(View.RECORD, title, submit, t("Cancel"), blocks, private_metadata=context.dump())


def _source_blocks(t: Translator, context: ModalContext) -> list[dict]:
    """Where an entry recorded from a message comes from."""
    if context.source_link:
        return [section(t("From <{link}|this message>.", link=escape(context.source_link)))]
    if context.source_channel and CHANNEL_ID.fullmatch(context.source_channel):
        return [section(t("From a message in <#{channel}>.", channel=context.source_channel))]
    return []


def _entry_inputs(t: Translator, fields: EntryFields | None, today: date, default_visibility: str) -> list[dict]:
    """The form's inputs, filled in from `fields` where given."""
    categories = [option(t(label), key) for key, label in CATEGORIES.items()]
    safeguards = [option(t(label), key) for key, label in SAFEGUARDS.items()]
    visibilities = [option(t(label), key) for key, label in VISIBILITIES.items()]
    category = fields.category if fields and fields.category in CATEGORIES else "engineering"
    visibility = (fields.visibility if fields else None) or default_visibility
    visibility = visibility if visibility in VISIBILITIES else "private"
    happened_on = fields.happened_on if fields else today
    chosen_safeguards = [s for s in (fields.safeguards if fields else ()) if s in SAFEGUARDS]
    what, lesson = (fields.what_happened, fields.lesson) if fields else (None, None)
    safeguards_menu = {
        "type": "multi_static_select",
        "action_id": Action.SAFEGUARDS,
        "placeholder": plain(t("Choose any")),
        "options": safeguards,
    }
    if chosen_safeguards:
        safeguards_menu["initial_options"] = [option_of(safeguards, s) for s in chosen_safeguards]
    what_prompt = dict(placeholder=t("What did not go as planned? Describe what broke, not who."), dispatch=True)
    lesson_prompt = dict(placeholder=t("The lesson can come later."))
    when = {"type": "datepicker", "action_id": Action.WHEN, "initial_date": happened_on.isoformat()}
    return [
        _text_input(Block.WHAT, Action.WHAT, t("What happened"), initial=what, optional=False, **what_prompt),
        _text_input(Block.LESSON, Action.LESSON, t("What we learned"), initial=lesson, optional=True, **lesson_prompt),
        static_select(Block.CATEGORY, Action.CATEGORY, t("Category"), categories, option_of(categories, category)),
        input_block(Block.WHEN, t("When"), when, hint=t("Any past date: back-fill as many years as you like.")),
        input_block(Block.SAFEGUARDS, t("Safeguards we will add"), safeguards_menu, optional=True),
        _text_input(
            Block.ACTION_ITEMS,
            Action.ACTION_ITEMS,
            t("Action items"),
            initial="\n".join(fields.action_items) if fields else None,
            optional=True,
            placeholder=t("One per line"),
            hint=t("Small, concrete steps so that the same mistake never happens twice."),
        ),
        radio_input(
            Block.VISIBILITY, Action.VISIBILITY, t("Visibility"), visibilities, option_of(visibilities, visibility)
        ),
    ]


def blameless_blocks(t: Translator) -> list[dict]:
    """Before a shared entry that points at a person: a suggestion, and the choice to keep the words."""
    keep = option(t("Share my words as they are"), KEEP_WORDS)
    return [
        section(
            "*" + t(BLAME_SUGGESTION) + "* " + t("Please reword it, or keep your words and submit again."),
            block_id=Block.BLAMELESS,
        ),
        {
            "type": "input",
            "block_id": Block.KEEP_WORDS,
            "optional": True,
            "label": plain(t("Your words")),
            "element": {"type": "checkboxes", "action_id": Action.KEEP_WORDS, "options": [keep]},
        },
    ]


def keeps_own_words(values: object) -> bool:
    return KEEP_WORDS in selected_values(values, Block.KEEP_WORDS, Action.KEEP_WORDS)


def parse_record_submission(
    t: Translator, values: object, latest_day: date, source_link: str | None = None
) -> tuple[EntryFields | None, dict[str, str]]:
    """The entry a submission describes, or the errors to show on the fields at fault."""
    errors: dict[str, str] = {}
    what = text_value(values, Block.WHAT, Action.WHAT)
    lesson = text_value(values, Block.LESSON, Action.LESSON)
    items_text = text_value(values, Block.ACTION_ITEMS, Action.ACTION_ITEMS)
    # Only a newline ends an item: U+2028 and the like are part of what the person typed.
    action_items = tuple(line.strip() for line in items_text.split("\n") if line.strip())

    if not what:
        errors[Block.WHAT] = t("Please say what happened, even in a few words.")
    for block_id, text in ((Block.WHAT, what), (Block.LESSON, lesson), (Block.ACTION_ITEMS, items_text)):
        if len(text) > TEXT_MAX:
            errors[block_id] = t("Please keep this under {limit} characters.", limit=t.number(TEXT_MAX))
    if len(action_items) > ACTION_ITEMS_MAX:
        errors[Block.ACTION_ITEMS] = t("Please list at most {limit} action items.", limit=ACTION_ITEMS_MAX)
    elif any(len(item) > ACTION_ITEM_MAX for item in action_items):
        errors[Block.ACTION_ITEMS] = t("Please keep each action item under {limit} characters.", limit=ACTION_ITEM_MAX)

    category = selected_value(values, Block.CATEGORY, Action.CATEGORY)
    if category not in CATEGORIES:
        errors[Block.CATEGORY] = t("Please choose a category.")
    visibility = selected_value(values, Block.VISIBILITY, Action.VISIBILITY)
    if visibility not in VISIBILITIES:
        errors[Block.VISIBILITY] = t("Please choose who can see this entry.")

    happened_on = None
    raw_date = string_value(values, Block.WHEN, Action.WHEN, "selected_date")
    try:
        happened_on = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        pass
    if happened_on is None:
        errors[Block.WHEN] = t("Please pick the date it happened.")
    elif happened_on > latest_day:
        errors[Block.WHEN] = t("That date is in the future. Please pick today or earlier.")

    safeguards = tuple(s for s in selected_values(values, Block.SAFEGUARDS, Action.SAFEGUARDS) if s in SAFEGUARDS)
    if errors:
        return None, errors
    return (
        EntryFields(
            what_happened=what,
            lesson=lesson or None,
            category=category,
            happened_on=happened_on,
            safeguards=safeguards,
            action_items=action_items,
            visibility=visibility,
            source_link=source_link,
        ),
        {},
    )
