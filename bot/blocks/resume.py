"""The failure resume as a message (`/fail resume`) and as the App Home tab."""

from __future__ import annotations

import json
from math import ceil

from bot.blocks.action_items import HOME_ITEMS_MAX, open_items_blocks
from bot.blocks.common import (
    button,
    context,
    divider,
    escape_within,
    header,
    option,
    plain,
    section,
)
from bot.blocks.fail_command import SEARCH_MAX
from bot.blocks.similar import search_blocks
from bot.domain.entries import by_year, category_label, entry_day, safeguard_labels, visibility_label
from bot.domain.languages import FOLLOW_SLACK
from bot.domain.suggestions import SearchPage
from bot.i18n import LANGUAGES, Translator
from bot.slack.ids import Action, Block, EntryMenuOption
from storage.models import ActionItem, Entry

RESUME_PAGE_SIZE = 10
HOME_ENTRIES_MAX = 30
HOME_BLOCKS_MAX = 100


def entry_text(t: Translator, entry: Entry, with_visibility: bool = False) -> str:
    """One entry in mrkdwn, user text escaped and trimmed so that the section stays under 3,000."""
    first = f"*{entry_day(t, entry)}* · {category_label(t, entry.category)}"
    if entry.section:  # the section of an imported resume it was listed under
        first += f" · {escape_within(entry.section, 100)}"
    if with_visibility:
        first += f" · _{visibility_label(t, entry.visibility)}_"
    lines = [first, escape_within(entry.what_happened, 600)]
    lesson = escape_within(entry.lesson, 600) if entry.lesson else f"_{t('Lesson still to come.')}_"
    lines.append(f"> *{t('What we learned')}:* {lesson}".replace("\n", "\n> "))
    safeguards = safeguard_labels(t, entry.safeguards)
    if safeguards:
        label = t("Safeguards")  # outside the f-string, where Babel's extraction finds it
        lines.append(f"*{label}:* {', '.join(safeguards)}")
    for item in entry.action_items[:5]:
        mark = "☑" if item.done_at else "☐"
        lines.append(f"{mark} {escape_within(item.text, 150)}")
    if len(entry.action_items) > 5:
        more = len(entry.action_items) - 5
        lines.append(t.plural("…and {n} more action item", "…and {n} more action items", more))
    return "\n".join(lines)


def _year_header(t: Translator, year: int, count: int) -> dict:
    return header(f"{year} · {t.plural('{n} entry', '{n} entries', count)}")


def build_resume_message(t: Translator, entries: list[Entry], *, year: int | None = None, page: int = 0) -> dict:
    """One page of the resume from all its entries (newest first); see build_resume_page."""
    pages = max(1, ceil(len(entries) / RESUME_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = entries[page * RESUME_PAGE_SIZE : (page + 1) * RESUME_PAGE_SIZE]
    counts = {y: len(group) for y, group in by_year(entries)}
    return build_resume_page(t, shown, counts, len(entries), year=year, page=page)


def build_resume_page(
    t: Translator, shown: list[Entry], counts: dict[int, int], total: int, *, year: int | None, page: int
) -> dict:
    """Page `page` of a resume of `total` entries, `shown` being that page's, newest first; each year's
    header counts all its entries (`counts`). Older pages behind a button, within Block Kit's limits."""
    if not shown:
        text = (
            t("Nothing recorded for {year}.", year=year)
            if year
            else t("Your failure resume is empty so far. `/fail` records the first entry.")
        )
        return {"text": text, "blocks": [section(text)]}
    pages = ceil(total / RESUME_PAGE_SIZE)
    title = t("Failure resume, {year}", year=year) if year else t("Your failure resume")
    blocks = [header(title)]
    for entry_year, group in by_year(shown):
        blocks.append(_year_header(t, entry_year, counts[entry_year]))
        blocks += [section(entry_text(t, entry)) for entry in group]
    if pages > 1:
        blocks.append(context(t("Page {page} of {pages}", page=page + 1, pages=pages)))
        elements = []
        for label, target in ((t("Newer"), page - 1), (t("Older"), page + 1)):
            if 0 <= target < pages:
                value = json.dumps({"year": year, "page": target})
                elements.append(button(label, Action.RESUME_PAGE, value))
        blocks.append({"type": "actions", "elements": elements})
    return {"text": title, "blocks": blocks}


def _search_box(t: Translator, words: str | None) -> dict:
    """Enter searches the person's own entries and what the team shared."""
    element = {
        "type": "plain_text_input",
        "action_id": Action.HOME_SEARCH,
        "max_length": SEARCH_MAX,
        "placeholder": plain(t("Search for a mistake, in any words")),
        "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
    }
    if words:
        element["initial_value"] = words
    return {
        "type": "input",
        "block_id": Block.HOME_SEARCH,
        "dispatch_action": True,
        "optional": True,
        "label": plain(t("Search yours and the team's")),
        "element": element,
    }


def _language_menu(t: Translator, chosen: str | None) -> dict:
    """The person's language: as in their Slack settings, or one of ours, each named in its own words."""
    options = [option(t("Language: as in my Slack settings"), FOLLOW_SLACK)]
    options += [option(name, code) for code, name in LANGUAGES.items()]
    initial = next((o for o in options if o["value"] == chosen), options[0])
    menu = {"type": "static_select", "action_id": Action.HOME_LANGUAGE, "options": options, "initial_option": initial}
    return {"type": "actions", "block_id": Block.HOME_LANGUAGE, "elements": [menu]}


def build_home_view(
    t: Translator,
    entries: list[Entry],
    *,
    lessons: int,
    is_admin: bool,
    total: int | None = None,
    per_year: dict[int, int] | None = None,
    prompts_stopped: bool = False,
    search: SearchPage | None = None,
    open_items: list[ActionItem] | None = None,
    done_items: list[ActionItem] | None = None,
    tracker: bool = False,
    language: str | None = None,
) -> dict:
    """The person's own resume in the App Home: recent entries by year, with a menu on each; or,
    after a search in its search box, that search's results in their place.

    `entries` may be only the newest ones; `total` and `per_year` then count the whole resume.
    `language` is the person's own choice of language, None while they follow Slack's."""
    total = len(entries) if total is None else total
    counts = per_year or {y: len(group) for y, group in by_year(entries)}
    blocks = [
        header(t("Your failure resume")),
        context(
            t.plural("{n} entry", "{n} entries", total)
            + " · "
            + t.plural("{n} lesson so far", "{n} lessons so far", lessons)
        ),
        *_home_buttons(t, is_admin, prompts_stopped),
        _language_menu(t, language),
        _search_box(t, search.words if search else None),
    ]
    items = open_items or []
    blocks += open_items_blocks(t, items[:HOME_ITEMS_MAX], len(items) > HOME_ITEMS_MAX, done_items or [], tracker)
    if search is not None:
        blocks += search_blocks(t, search, Action.HOME_SEARCH_PAGE)
        blocks.append({"type": "actions", "elements": [button(t("Back to my resume"), Action.CLEAR_SEARCH)]})
        return {"type": "home", "blocks": blocks}
    if not entries:
        blocks.append(
            section(
                t(
                    "Nothing here yet. When something does not go as planned, record it with "
                    "`/fail` or the button above: what happened, and what we learned."
                )
            )
        )
    listed = _home_entries(t, entries[:HOME_ENTRIES_MAX], counts, blocks)
    if total > listed:
        blocks.append(
            context(
                t(
                    "Showing the {shown} most recent of {total}. `/fail resume` or Export shows them all.",
                    shown=listed,
                    total=total,
                )
            )
        )
    return {"type": "home", "blocks": blocks}


def _home_buttons(t: Translator, is_admin: bool, prompts_stopped: bool) -> list[dict]:
    buttons = [
        button(t("Record a failure"), Action.RECORD, style="primary"),
        button(t("Export"), Action.EXPORT),
        button(t("Import"), Action.IMPORT),
        button(t("Year in review"), Action.REVIEW),
    ]
    if is_admin:
        buttons.append(button(t("Settings"), Action.SETTINGS))
        buttons.append(button(t("Post digest now"), Action.POST_DIGEST))
    if prompts_stopped:
        buttons.append(button(t("Turn monthly prompts back on"), Action.PROMPTS_RESUME))
    # Your data, and for admins the team's shared entries: in a row of their own, away from Record.
    data_buttons = [button(t("Delete all my data"), Action.DELETE_ALL_DATA, style="danger")]
    if is_admin:
        data_buttons.insert(0, button(t("Export shared entries"), Action.EXPORT_SHARED))
    return [
        {"type": "actions", "block_id": Block.HOME_ACTIONS, "elements": buttons},
        {"type": "actions", "block_id": Block.DATA_ACTIONS, "elements": data_buttons},
    ]


def _home_entries(t: Translator, shown: list[Entry], counts: dict[int, int], blocks: list[dict]) -> int:
    """Adds `shown` to `blocks` by year, each entry with its menu, and says how many fit: Slack shows
    at most 100 blocks in a Home tab, so entries stop where a year would not fit."""
    menu = [
        option(t("Edit"), EntryMenuOption.EDIT),
        option(t("Action items"), EntryMenuOption.ACTION_ITEMS),
        option(t("Change visibility"), EntryMenuOption.VISIBILITY),
        option(t("Delete"), EntryMenuOption.DELETE),
    ]
    budget, listed = HOME_BLOCKS_MAX - len(blocks) - 1, 0
    for year, group in by_year(shown):
        group = group[: budget - 2]
        if not group:
            break
        budget -= 2 + len(group)
        listed += len(group)
        blocks += [divider(), _year_header(t, year, counts.get(year, len(group)))]
        for entry in group:
            options = [{**o, "value": f"{o['value']}:{entry.id}"} for o in menu]
            menu_for_entry = {"type": "overflow", "action_id": Action.ENTRY_MENU, "options": options}
            blocks.append(section(entry_text(t, entry, with_visibility=True), menu_for_entry, f"entry_{entry.id}"))
    return listed
