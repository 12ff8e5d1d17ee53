"""Domain rules about entries, shared by every surface: dates, acknowledgements, the resume and its export."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import groupby

from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS, VISIBILITIES
from bot.i18n import N_, Translator
from storage.models import Entry

# Blameless, warm, never a joke about the mistake itself.
ACKNOWLEDGEMENTS = (
    N_("Nice job! Writing it down is how we make sure it never happens twice."),
    N_("Nice job! Every failure on the resume is a lesson the whole team can keep."),
    N_("Nice job! Looking at what broke, not who, is how we all get better."),
    N_("Nice job! Thank you for being open about it. That takes courage."),
    N_("Nice job! This is exactly how learning from mistakes becomes a habit."),
)

# Earliest to latest, the world's clocks span UTC-12 to UTC+14: any date up to "today" somewhere is fine.
LATEST_TIMEZONE_OFFSET = timedelta(hours=14)


def acknowledgement(t: Translator, entry_id: int) -> str:
    return t(ACKNOWLEDGEMENTS[entry_id % len(ACKNOWLEDGEMENTS)])


def latest_allowed_day(now: datetime) -> date:
    """The latest date an entry can have without being in the future for the person writing it."""
    return (now + LATEST_TIMEZONE_OFFSET).date()


def by_year(entries: Iterable[Entry]) -> list[tuple[int, list[Entry]]]:
    """Entries grouped by year, newest year first (entries arrive newest first)."""
    ordered = sorted(entries, key=lambda e: (e.happened_on, e.id), reverse=True)
    return [(year, list(group)) for year, group in groupby(ordered, key=lambda e: e.happened_on.year)]


def entry_day(t: Translator, entry: Entry, format: str = "medium") -> str:
    """When it happened, as the person wrote it: the day, or only the year of an entry imported with it alone."""
    return t.date(entry.happened_on, format) if entry.day_known is not False else str(entry.happened_on.year)


def category_label(t: Translator, key: str) -> str:
    return t(CATEGORIES.get(key, CATEGORIES["other"]))


def visibility_label(t: Translator, key: str) -> str:
    return t(VISIBILITIES.get(key, VISIBILITIES["private"]))


def safeguard_labels(t: Translator, keys: Iterable[str]) -> list[str]:
    return [t(SAFEGUARDS[key]) for key in keys if key in SAFEGUARDS]


# Headings, quotes, lists, tables, code fences and raw HTML (a line starting `<!channel>` would vanish).
MARKDOWN_LINE_MARKS = ("#", ">", "-", "*", "+", "|", "=", "`", "~", "<")
ORDERED_LIST_MARK = re.compile(r"\d+(?=[.)])")
# Markdown's line endings, and only those: U+2028 and the like stay inside the line, as typed.
MARKDOWN_LINE_ENDINGS = re.compile("(\r\n|\r|\n)")


def markdown_text(text: str) -> str:
    """User text as Markdown paragraphs: a line of theirs never becomes a heading, list or quote."""
    parts = MARKDOWN_LINE_ENDINGS.split(text)
    for n in range(0, len(parts), 2):  # the lines; the odd parts are their endings, kept as they were
        body = parts[n].lstrip()
        indent = parts[n][: len(parts[n]) - len(body)]
        if body.startswith(MARKDOWN_LINE_MARKS):
            parts[n] = indent + "\\" + body
        elif number := ORDERED_LIST_MARK.match(body):  # "1. x" would become a list: write "1\. x"
            parts[n] = indent + number.group() + "\\" + body[number.end() :]
    return "".join(parts)


def resume_markdown(t: Translator, entries: Iterable[Entry], person: str) -> str:
    """The whole failure resume as a Markdown document, in the spirit of a CV of failures."""
    title = t("Failure resume of {person}", person=person)  # outside an f-string, for Babel's extraction
    lines = [f"# {title}", ""]
    groups = by_year(entries)
    if not groups:
        lines.append(t("Nothing recorded yet."))
    for year, group in groups:
        lines += [f"## {year}", ""]
        for entry in group:
            # A section's own name, kept from an import, follows its category: "### 2019 · Career · Rejections".
            kind = " · ".join(filter(None, (category_label(t, entry.category), entry.section)))
            lines.append(f"### {entry_day(t, entry)} · {kind}")
            lines += ["", markdown_text(entry.what_happened), ""]
            lesson = markdown_text(entry.lesson) if entry.lesson else t("Lesson still to come.")
            lines += [f"**{t('What we learned')}:** {lesson}", ""]
            safeguards = safeguard_labels(t, entry.safeguards)
            if safeguards:
                lines += [f"**{t('Safeguards we will add')}:** {', '.join(safeguards)}", ""]
            if entry.action_items:
                lines.append(f"**{t('Action items')}:**")
                lines += [
                    f"- [{'x' if item.done_at else ' '}] {markdown_text(item.text)}" for item in entry.action_items
                ]
                lines.append("")
            if entry.source_link:
                lines += [f"<{entry.source_link}>", ""]
            lines += [f"_{visibility_label(t, entry.visibility)}_", ""]
    return "\n".join(lines).rstrip() + "\n"
