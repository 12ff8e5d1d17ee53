"""Action items as tracked items: the modal to give each an owner, a due date and a status, its
parser, the App Home's list of open items, and the Nice job when one is done."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.blocks.common import button, context, escape, escape_within, header, modal, option, plain, section
from bot.blocks.entry_modal import ModalContext
from bot.blocks.state import selected_value, string_value
from bot.i18n import N_, Translator
from bot.slack.ids import Action, View
from storage.models import ActionItem, Entry

STATUSES = {"open": N_("Open"), "done": N_("Done"), "dropped": N_("Dropped")}
HELPED = {"yes": N_("Yes"), "not_yet": N_("Not yet"), "no": N_("No")}
HOME_ITEMS_MAX = 5
USER_ID = re.compile(r"[UW][A-Z0-9]{1,30}")


@dataclass(frozen=True)
class ItemChange:
    owner_id: str | None  # None: unchanged (only a named entry's items may go to a teammate)
    due_on: date | None
    status: str


def item_block_id(item_id: int, field: str) -> str:
    return f"item_{item_id}_{field}_block"


def item_line(t: Translator, item: ActionItem) -> str:
    mark = {"done": "☑", "dropped": "☒"}.get(item.status, "☐")
    line = f"{mark} {escape_within(item.text, 500)}"
    if item.due_on and item.status == "open":
        line += " · " + t("due {date}", date=t.date(item.due_on))
    if issue_link(item):
        line += " · " + issue_link(item)
    return line


def issue_link(item: ActionItem) -> str:
    """The item's issue as a link (an address the tracker gave us, refused if it could break out of one)."""
    if not item.issue_url or not item.issue_url.startswith(("https://", "http://")):
        return ""
    if any(char in item.issue_url for char in "<>| "):
        return ""
    return f"<{item.issue_url}|{escape(item.issue_label or 'issue')}>"


def build_action_items_modal(t: Translator, entry: Entry, tracker: bool = False) -> dict:
    """One entry's action items: who does each, by when, and where it stands; with a tracker, each
    without an issue has *Create issue*."""
    named = entry.visibility == "named"
    statuses = [option(t(label), key) for key, label in STATUSES.items()]
    blocks = [section(escape_within(entry.what_happened, 500))]
    if not entry.action_items:
        blocks.append(section(t("No action items yet. Edit the entry to add some, one per line.")))
    if entry.action_items and not named:
        # An item given to a teammate would tell them whose private or anonymous entry it came from.
        blocks.append(context(t("Only a shared-by-name entry's action items can be given to a teammate.")))
    for item in entry.action_items[:20]:
        create = (
            button(t("Create issue"), Action.CREATE_ISSUE, str(item.id)) if tracker and not item.issue_url else None
        )
        blocks.append(section(item_line(t, item), create))
        if named:
            owner = {"type": "users_select", "action_id": Action.ITEM_OWNER, "initial_user": item.owner_id}
            blocks.append(_input(t("Owner"), item_block_id(item.id, "owner"), owner))
        due = {"type": "datepicker", "action_id": Action.ITEM_DUE}
        if item.due_on:
            due["initial_date"] = item.due_on.isoformat()
        blocks.append(_input(t("Due"), item_block_id(item.id, "due"), due, optional=True))
        status = {
            "type": "static_select",
            "action_id": Action.ITEM_STATUS,
            "options": statuses,
            "initial_option": next(o for o in statuses if o["value"] == item.status),
        }
        blocks.append(_input(t("Status"), item_block_id(item.id, "status"), status))
    submit = t("Save") if entry.action_items else None
    metadata = ModalContext(entry_id=entry.id).dump()
    return modal(View.ACTION_ITEMS, t("Action items"), submit, t("Cancel"), blocks, private_metadata=metadata)


def _input(label: str, block_id: str, element: dict, optional: bool = False) -> dict:
    return {"type": "input", "block_id": block_id, "label": plain(label), "optional": optional, "element": element}


def parse_action_items_submission(
    t: Translator, values: object, items: list[ActionItem], named: bool
) -> tuple[dict[int, ItemChange], dict[str, str]]:
    changes: dict[int, ItemChange] = {}
    errors: dict[str, str] = {}
    for item in items[:20]:
        owner = None
        if named:
            owner = string_value(values, item_block_id(item.id, "owner"), Action.ITEM_OWNER, "selected_user")
            if not owner or not USER_ID.fullmatch(owner):
                errors[item_block_id(item.id, "owner")] = t("Please choose who does it.")
        raw_due = string_value(values, item_block_id(item.id, "due"), Action.ITEM_DUE, "selected_date")
        due = None
        if raw_due:
            try:
                due = date.fromisoformat(raw_due)
            except ValueError:
                errors[item_block_id(item.id, "due")] = t("Please pick a date.")
        status = selected_value(values, item_block_id(item.id, "status"), Action.ITEM_STATUS)
        if status not in STATUSES:
            errors[item_block_id(item.id, "status")] = t("Please choose one.")
        changes[item.id] = ItemChange(owner, due, status)
    return ({}, errors) if errors else (changes, {})


def open_items_blocks(
    t: Translator, items: list[ActionItem], more: bool, done: list[ActionItem] = (), tracker: bool = False
) -> list[dict]:
    """The App Home's open items, oldest first, each with Done (and, with a tracker, Create issue),
    then the ones done lately, marked done."""
    if not items and not done:
        return []
    blocks = [header(t("Open action items"))] if items else []
    for item in items:
        blocks.append(section(item_line(t, item), button(t("Done"), Action.ACTION_ITEM_DONE, str(item.id))))
        if tracker and not item.issue_url:
            blocks.append(
                {"type": "actions", "elements": [button(t("Create issue"), Action.CREATE_ISSUE, str(item.id))]}
            )
    if more:
        blocks.append(context(t("Older ones first; the rest follow as these are done.")))
    if done:
        blocks.append(context(t("Done lately:")))
        blocks += [section(item_line(t, item)) for item in done]
    return blocks


def build_item_done_message(t: Translator, item: ActionItem) -> dict:
    text = t(
        "Nice job! Done: {item}. That is how the same mistake never happens twice.",
        item=escape_within(item.text, 500),
    )
    return {"text": text, "blocks": [section(text)]}


def helped_blocks(t: Translator, item: ActionItem) -> list[dict]:
    """Once, 30 days after an item was done: did it help?"""
    question = t("A month ago we did this: {item}. Did it help?", item=escape_within(item.text, 500))
    answers = [button(t(label), Action.ITEM_HELPED, f"{item.id}:{key}") for key, label in HELPED.items()]
    return [section(question), {"type": "actions", "elements": answers}]


def parse_helped_value(value: str) -> tuple[int, str] | None:
    raw_id, _, answer = value.partition(":")
    if not raw_id.isdigit() or answer not in HELPED or len(raw_id) > 12:
        return None
    return int(raw_id), answer
