"""Earlier entries shown back: the lesson of something like this (Nice job, record modal) and
search results (`/fail search`, the App Home's search box). Someone else's anonymous entry is
shown only as the team's words: no date, no name."""

from __future__ import annotations

import json

from bot.blocks.common import button, context, escape_within, section
from bot.domain.suggestions import SearchPage, Suggestion
from bot.i18n import N_, Translator
from bot.slack.ids import Action, Block

SEARCH_PAGE_SIZE = 10
EARLIER_IN_MODAL = 3
ORIGINS = {
    "own": N_("Yours"),
    "team": N_("Shared by a teammate"),
    "anonymous": N_("Shared anonymously with the team"),
}
# What a view.update may carry of a view Slack sent us (the rest is Slack's own bookkeeping).
VIEW_FIELDS = (
    "type",
    "callback_id",
    "title",
    "submit",
    "close",
    "blocks",
    "private_metadata",
    "clear_on_close",
    "notify_on_close",
    "external_id",
    "submit_disabled",
)


def quoted(text: str, limit: int) -> str:
    """A person's words as an inert mrkdwn quote."""
    return ">" + escape_within(text, limit).replace("\n", "\n>")


def earlier_lesson_text(t: Translator, earlier: Suggestion) -> str:
    if earlier.happened_on is None:
        intro = t("Something like this happened on the team before, and we learned:")
    else:
        month = t.date(earlier.happened_on, "MMM y")
        intro = t("Last time something like this happened ({month}), we learned:", month=month)
    return intro + "\n" + quoted(earlier.lesson or "", 1000)


def found_entry_blocks(t: Translator, found: Suggestion) -> list[dict]:
    """One entry found: what happened and its lesson, then where it comes from."""
    text = "*" + escape_within(found.what_happened, 600).replace("\n", " ") + "*"
    if found.lesson:
        text += "\n" + quoted(found.lesson, 900)
    origin = t(ORIGINS[found.origin])
    where = f"{t.date(found.happened_on)} · {origin}" if found.happened_on else origin
    return [section(text), context(where)]


def with_earlier_lessons(t: Translator, view: dict, earlier: list[Suggestion]) -> dict:
    """The record modal as Slack sent it, with the earlier lessons most like what was written shown
    under "What happened" (replacing any shown before). The inputs keep their block and action IDs,
    so Slack keeps what the person typed."""
    kept = {key: view[key] for key in VIEW_FIELDS if key in view}
    blocks = [b for b in view.get("blocks", []) if b.get("block_id") != Block.EARLIER_LESSONS]
    if earlier:
        lines = [t("Earlier lessons like this:")]
        for found in earlier[:EARLIER_IN_MODAL]:
            when = f" ({t.date(found.happened_on, 'MMM y')})" if found.happened_on else ""
            lines.append(quoted(found.lesson or "", 700) + when)
        lesson_block = section("\n".join(lines), block_id=Block.EARLIER_LESSONS)
        at = next((n + 1 for n, b in enumerate(blocks) if b.get("block_id") == Block.WHAT), len(blocks))
        blocks.insert(at, lesson_block)
    return {**kept, "blocks": blocks}


def search_page_value(words: str, page: int) -> str:
    return json.dumps({"q": words, "p": page}, ensure_ascii=False)


def parse_search_page_value(value: object) -> tuple[str, int] | None:
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("q"), str) or not isinstance(data.get("p"), int):
        return None
    return (data["q"], data["p"]) if data["q"].strip() and 0 <= data["p"] < 1000 else None


def search_blocks(t: Translator, results: SearchPage, page_action: str) -> list[dict]:
    """One page of results, best first, with buttons to the pages before and after."""
    shown = escape_within(results.words, 200)
    if not results.found:
        text = t("Nothing found for “{words}”.", words=shown) if results.page == 0 else t("No more entries found.")
        return [section(text)]
    blocks = [section(t("Entries like “{words}”, best match first:", words=shown))]
    for entry in results.found:
        blocks += found_entry_blocks(t, entry)
    pages = []
    if results.page > 0:
        pages.append(button(t("Better matches"), page_action, search_page_value(results.words, results.page - 1)))
    if results.more:
        pages.append(button(t("More results"), page_action, search_page_value(results.words, results.page + 1)))
    if pages:
        blocks.append({"type": "actions", "elements": pages})
    return blocks


def build_search_message(t: Translator, results: SearchPage) -> dict:
    """`/fail search`: the results, and (words starting with "search" may be an entry) Record it."""
    if not results.words.strip():
        text = t("What shall we look for? Try `/fail search deploy` or `/fail search 배포`.")
        return {"text": text, "blocks": [section(text)]}
    blocks = search_blocks(t, results, Action.SEARCH_PAGE)
    if results.page == 0:
        typed = f"search {results.words}"
        blocks.append(
            section(
                t("Meant to record “{text}” as an entry?", text=escape_within(typed, 200)),
                accessory=button(t("Record it"), Action.RECORD_TYPED, typed),
            )
        )
    return {"text": t("Search results"), "blocks": blocks}
