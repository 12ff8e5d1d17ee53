"""Domain rules about entries, shared by every surface: dates, acknowledgements, the resume and its export;
and the operations on a person's own entries, each one a unit of work scoped to a workspace and its owner."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS, VISIBILITIES
from bot.i18n import N_, Translator
from storage.db import SessionFactory
from storage.models import Entry
from storage.repository import entries as entry_store
from storage.types import EntryFields, Workspace

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


def nice_job_words(t: Translator, entry_id: int) -> str:
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


# What a change promises, written in the change's own transaction: (session, entry, created).
Then = Callable[[Session, Entry, bool], None]


class NotYourEntry(Exception):
    """The entry does not exist in this workspace, or belongs to someone else."""


def record_quick_entry(
    sf: SessionFactory,
    ws: Workspace,
    user_id: str,
    text: str,
    request_key: str,
    now: datetime,
    today: date,
    then: Callable[[Session, int], None] | None = None,
) -> tuple[int, bool]:
    """A private entry of words alone: its ID, and whether it is new (False for a replay of the same
    request). `then(session, entry_id)` runs in its transaction, only for a new entry."""
    try:
        with sf.begin() as session:
            entry_id = entry_store.add_words(session, ws, user_id, text, today, now, request_key)
            if then is not None:
                then(session, entry_id)
            return entry_id, True
    except IntegrityError:
        existing = _first_of_request(sf, ws, user_id, request_key)
        if existing is None:
            raise
        return existing.id, False


def _first_of_request(sf: SessionFactory, ws: Workspace, user_id: str, request_key: str | None) -> Entry | None:
    """The entry of the same request again (a double click, a retry), whose copy the request key's unique
    index refused; None if the refusal was something else."""
    with sf() as session:
        return entry_store.get_entry_by_request_key(session, ws, user_id, request_key or "")


def redate_entry(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, day: date) -> Entry:
    """Move a quick entry to the day it is where the person is, once Slack has told us their time zone."""
    with sf.begin() as session:
        entry = own_entry(session, ws, user_id, entry_id)
        entry.happened_on = day
        return entry


def set_source_link(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, link: str) -> None:
    with sf.begin() as session:
        own_entry(session, ws, user_id, entry_id).source_link = link


def request_key(kind: str, slack_id: object) -> str:
    """A key that identifies one Slack request (a trigger or a view) within the column's 64 characters."""
    key = f"{kind}:{slack_id}"
    return key if len(key) <= 64 else f"{kind}:" + hashlib.sha256(key.encode()).hexdigest()[:48]


def save_entry(
    sf: SessionFactory,
    ws: Workspace,
    user_id: str,
    fields: EntryFields,
    now: datetime,
    *,
    entry_id: int | None = None,
    request_key: str | None = None,
    then: Then | None = None,
) -> tuple[Entry, bool]:
    """Create (or, with entry_id, update) an entry. A repeated request_key returns the first entry, not a copy.
    `then(session, entry, created)` runs in the same transaction: what the change promises is kept with it."""
    try:
        with sf.begin() as session:
            if entry_id is not None:
                entry, created = own_entry(session, ws, user_id, entry_id), False
                entry_store.apply_fields(entry, fields, now)
            else:
                entry, created = entry_store.add_entry(session, ws, user_id, fields, now, request_key), True
            if then is not None:
                then(session, entry, created)
            return entry, created
    except IntegrityError:
        existing = _first_of_request(sf, ws, user_id, request_key)
        if existing is None:
            raise
        return existing, False


def own_entry(session: Session, ws: Workspace, user_id: str, entry_id: int) -> Entry:
    """The person's own entry, within the caller's unit of work; NotYourEntry when it is not theirs here."""
    entry = entry_store.get_own_entry(session, ws, user_id, entry_id)
    if entry is None:
        raise NotYourEntry(entry_id)
    return entry


def get_own_entry(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int) -> Entry:
    with sf() as session:
        return own_entry(session, ws, user_id, entry_id)


def change_visibility(
    sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, visibility: str, now: datetime
) -> Entry:
    with sf.begin() as session:
        entry = own_entry(session, ws, user_id, entry_id)
        entry_store.set_visibility(entry, visibility, now)
        return entry


def delete_own_entry(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int) -> bool:
    """Whether a digest had carried it (the lessons canvas then shows it until it is rewritten)."""
    with sf.begin() as session:
        entry = own_entry(session, ws, user_id, entry_id)
        carried = entry.digest_id is not None
        entry_store.delete_entry(session, ws, user_id, entry_id)
        return carried


@dataclass(frozen=True)
class ResumePage:
    entries: list[Entry]  # this page's, newest first
    per_year: dict[int, int]  # every year's count, for the year headers
    total: int
    page: int  # the page asked for, within the resume's pages


def resume_page(sf: SessionFactory, ws: Workspace, user_id: str, year: int | None, page: int, size: int) -> ResumePage:
    """One page of a resume, read alone: a resume of thousands of entries costs no more than a page."""
    with sf() as session:
        per_year = entry_store.count_entries_by_year(session, ws, user_id)
        total = per_year.get(year, 0) if year is not None else sum(per_year.values())
        page = min(max(page, 0), max(0, (total - 1) // size))
        entries = entry_store.list_entries(session, ws, user_id, year, limit=size, offset=page * size)
    return ResumePage(entries, per_year, total, page)


def years_with_entries(sf: SessionFactory, ws: Workspace, user_id: str) -> list[int]:
    """The years the person's resume has entries in, oldest first."""
    with sf() as session:
        return sorted(entry_store.count_entries_by_year(session, ws, user_id))


def first_entry(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int) -> bool:
    """Whether this is the person's first entry (none kept was recorded before it). Their Home, if
    they opened it, shows no entry at all, and the open left no trace: it is noted only for people
    the app keeps something of (a person who deleted all their data stays deleted)."""
    with sf() as session:
        return entry_store.is_first_entry(session, ws, user_id, entry_id)
