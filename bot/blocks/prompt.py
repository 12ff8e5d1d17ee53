"""The monthly reflection prompt sent to each person's DM."""

from __future__ import annotations

from bot.blocks.action_items import helped_blocks, item_line
from bot.blocks.common import button, context, divider, escape_within, section
from bot.domain.entries import category_label, entry_day
from bot.i18n import Translator
from bot.slack.ids import Action
from storage.models import ActionItem, Entry


def build_prompt_message(
    t: Translator,
    *,
    period: str,
    open_items: list[ActionItem],
    missing_lessons: list[Entry],
    year_ago: Entry | None,
    follow_up: ActionItem | None = None,
    done_items: list[ActionItem] = (),
    tracker: bool = False,
) -> dict:
    """With `tracker`, each open item without an issue has *Create issue*."""
    question = t(
        "How did this month go? Did anything not go as planned? Writing it down, with what we learned, "
        "is how we make sure it never happens twice."
    )
    blocks = [section(question), {"type": "actions", "elements": _answer_buttons(t, period)}]
    if open_items:
        blocks += [divider(), section(t("*Your open action items.* Done any of them?"))]
        for item in open_items:
            blocks.append(section(item_line(t, item), button(t("Done"), Action.ACTION_ITEM_DONE, str(item.id))))
            if tracker and not item.issue_url:
                create = button(t("Create issue"), Action.CREATE_ISSUE, str(item.id))
                blocks.append({"type": "actions", "elements": [create]})
    if done_items:
        blocks += [context(t("Done lately:")), *(section(item_line(t, item)) for item in done_items)]
    if follow_up is not None:
        blocks += [divider(), *helped_blocks(t, follow_up)]
    if missing_lessons:
        blocks += [divider(), section(t("*Lessons still to come.* What did we learn?"))]
        blocks += [
            section(
                f"{entry_day(t, e)} · {escape_within(e.what_happened, 300)}",
                button(t("Add the lesson"), Action.ADD_LESSON, str(e.id)),
            )
            for e in missing_lessons
        ]
    if year_ago is not None:
        blocks += [
            divider(),
            context(
                t(
                    "A year ago ({category}, {date}) you learned: {lesson}",
                    category=category_label(t, year_ago.category),
                    date=t.date(year_ago.happened_on),
                    lesson=escape_within(year_ago.lesson or "", 1500),
                )
            ),
        ]
    return {"text": question, "blocks": blocks}


def _answer_buttons(t: Translator, period: str) -> list[dict]:
    stop = button(t("Stop these prompts"), Action.PROMPT_STOP, period)
    stop["confirm"] = {
        "title": {"type": "plain_text", "text": t("Stop the prompts?")},
        "text": {"type": "plain_text", "text": t("You can turn them back on in the App Home.")},
        "confirm": {"type": "plain_text", "text": t("Stop")},
        "deny": {"type": "plain_text", "text": t("Keep them")},
    }
    return [
        button(t("Record one"), Action.PROMPT_RECORD, period, style="primary"),
        button(t("Nothing this month"), Action.PROMPT_NOTHING, period),
        button(t("Not now"), Action.PROMPT_SNOOZE, period),
        stop,
    ]
