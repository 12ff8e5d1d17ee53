"""Importing a failure resume kept as a Markdown file: the entries to add, and what was skipped and why.

Pure: text in, a plan out, no Slack and no database. It reads the bot's own export (`resume_markdown`,
in every language we speak) and the layouts people write by hand: year headings in any order, one
top-level bullet per entry, its nested bullets or a "Lesson:" line as its lesson. Nothing is cut to
fit: an entry over the record form's limits is skipped and reported, never shortened.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from bot.domain.entries import MARKDOWN_LINE_MARKS
from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS, VISIBILITIES
from bot.i18n import LANGUAGES, translator

IMPORT_BYTES_MAX = 1_000_000
IMPORT_ENTRIES_MAX = 1_000
# The record form's limits (bot/blocks/entry_modal.py; a test keeps them equal): the domain does not
# import the Slack layer.
TEXT_MAX = 3000
ACTION_ITEMS_MAX = 20
ACTION_ITEM_MAX = 500
DETAIL_MAX = 60
# Export dates are looked up only for the years a life spans.
LIFETIME_YEARS = 150

HEADING = re.compile(r" {0,3}(#{1,6})[ \t]+(.*)")
YEAR = re.compile(r"[*_]*(\d{4})(?!\d)")
BULLET = re.compile(r"([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?")
CHECKBOX = re.compile(r"\[([ xX])\][ \t]+(.*)")
EXPORTED_ITEM = re.compile(r"- \[([ x])\] (.*)")
LESSON = re.compile(
    r"[*_]{0,2}(?:lessons?(?: learn(?:ed|t))?|what (?:i|we) learn(?:ed|t)|배운 ?점|교훈)[*_]{0,2}"
    r"[ \t]*:[ \t]*(?:[*_]{2})?[ \t]*(.*)",
    re.IGNORECASE,
)
# A footnote or link definition (`[^1]: …`, `[docs]: https://…`) and a reference to one (`[^1]`, `[x][docs]`).
NOTE = re.compile(r"\[(\^?[^\[\]\s][^\[\]]*)\]:")
REFERENCE = re.compile(r"\[(\^?[^\[\]\s][^\[\]]*)\]")
ESCAPED_NUMBER = re.compile(r"(\d+)\\(?=[.)])")


class ImportRefused(ValueError):
    """The whole file is refused. reason: empty, binary, too_big, too_many (with count) or no_years."""

    def __init__(self, reason: str, count: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.count = count


@dataclass(frozen=True)
class ImportedItem:
    text: str
    done: bool


@dataclass(frozen=True)
class ImportedEntry:
    happened_on: date
    what_happened: str
    lesson: str | None
    category: str
    safeguards: tuple[str, ...]
    action_items: tuple[ImportedItem, ...]
    source_link: str | None
    line: int
    day_known: bool = True  # False: only the year was written (dated 1 January, counted by its year alone)


@dataclass(frozen=True)
class Anomaly:
    kind: str
    line: int
    year: int | None = None
    detail: str = ""  # the start of the line at fault, never more than DETAIL_MAX characters


@dataclass(frozen=True)
class ImportPlan:
    entries: tuple[ImportedEntry, ...]
    anomalies: tuple[Anomaly, ...]

    def per_year(self) -> list[tuple[int, int]]:
        """(year, entries), newest year first."""
        return sorted(Counter(entry.happened_on.year for entry in self.entries).items(), reverse=True)


def decode_markdown(data: bytes) -> str:
    if len(data) > IMPORT_BYTES_MAX:
        raise ImportRefused("too_big")
    # Windows editors save "Unicode" as UTF-16 with a BOM; anything else has to be UTF-8.
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportRefused("binary") from None
    if "\x00" in text:
        raise ImportRefused("binary")
    if not text.strip():
        raise ImportRefused("empty")
    return text


def parse_resume(text: str, today: date) -> ImportPlan:
    """The entries a Markdown failure resume holds. `today` is the latest day an entry may have."""
    if not text.strip():
        raise ImportRefused("empty")
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reader = _Reader(today)
    for number in range(_front_matter(lines), len(lines)):
        reader.read(number + 1, lines[number])
        # Refused as soon as it is too big (year headings count too), not after reading it all.
        if max(len(reader.drafts), len(reader.years)) > IMPORT_ENTRIES_MAX:
            raise ImportRefused("too_many", count=_rough_count(lines))
    if not reader.years:
        raise ImportRefused("no_years")
    return reader.plan()


def _rough_count(lines: list[str]) -> int:
    """How many entries a refused file holds, told to the person: its top-level bullets, or its
    headings when it has more of those (the export's entries, or a file of nothing else)."""
    bullets = sum(1 for line in lines if BULLET.match(line))
    return max(bullets, sum(1 for line in lines if HEADING.fullmatch(line)))


@dataclass
class _Draft:
    """An entry being read: lines for now, checked and frozen once the whole file is read."""

    line: int
    section: int  # its year heading, an index into _Reader.years
    category: str
    happened_on: date | None = None  # the export's exact day; None for a bullet, or the export's year-only entry
    block: list[str] | None = None  # the export's lines, as they are, read when the file ends
    text: list[str] = field(default_factory=list)
    lesson: list[str] | None = None
    items: list[tuple[bool, list[str]]] = field(default_factory=list)
    safeguards: tuple[str, ...] = ()
    source_link: str | None = None
    blank: bool = False  # a blank line before this one: a new paragraph, or the end of the list


class _Reader:
    """Reads the file line by line; what is kept and what is reported is decided in plan()."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.years: list[tuple[int, int, str]] = []  # (year, line, heading), in the file's order
        self.drafts: list[_Draft] = []
        self.notes: dict[str, tuple[int, str]] = {}  # label → (line, the definition as written)
        self.skipped: list[Anomaly] = []
        self.section: int | None = None  # the year heading we are under, if any
        self.level = 0
        self.category = "other"
        self.draft: _Draft | None = None
        self.last_skipped = -1

    def read(self, number: int, raw: str) -> None:
        if heading := HEADING.fullmatch(raw):
            self.heading(number, len(heading[1]), heading[2].rstrip(" \t#"))  # and `## 2024 ##`'s closing marks
        elif self.draft and self.draft.block is not None:
            self.draft.block.append(raw)  # the export escapes user text: only a heading ends its entry
        elif not raw.strip():
            if self.draft:
                self.draft.blank = True
        elif note := NOTE.match(raw):
            self.notes[note[1]] = (number, raw.rstrip())
        elif self.section is None:
            self.skip(number, raw, "unknown_line" if self.years else "text_before_first_year")
        else:
            self.body(number, raw)

    def heading(self, number: int, level: int, title: str) -> None:
        self.draft = None
        inside = self.section is not None and level > self.level
        when, dot, label = title.rpartition(" · ")
        year = self.years[self.section][0] if inside else 0
        day = _days(year).get(when) if dot and self.today.year - LIFETIME_YEARS <= year <= self.today.year else None
        if day:  # the export's "### Mar 1, 2024 · Engineering"
            self.start(number, _words().categories.get(label.casefold(), "other"), happened_on=day, block=[])
        elif dot and inside and when == str(year):  # the export's "### 2019 · Engineering": a year-only entry
            self.start(number, _words().categories.get(label.casefold(), "other"), block=[])
        elif heading_year := YEAR.match(title):
            self.section, self.level, self.category = len(self.years), level, "other"
            self.years.append((int(heading_year[1]), number, title))
        elif inside:
            self.category = _words().categories.get(title.strip("*_: ").casefold(), "other")
        else:
            self.section = None  # a title before the years, or a section after them ("## Notes")

    def body(self, number: int, raw: str) -> None:
        content = raw.strip()
        indent = len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip())
        bullet = BULLET.fullmatch(content)
        words = (bullet[2] or "") if bullet else content
        lesson = LESSON.fullmatch(words)
        draft = self.draft
        if bullet and indent < 2 and not (lesson and draft):
            self.start(number, self.category, text=[words])
        elif draft is None or (draft.blank and indent < 2 and not lesson):
            self.draft = None  # a paragraph after the list is not part of its last entry
            self.skip(number, raw, "unknown_line")
        elif bullet and (item := CHECKBOX.fullmatch(words)):
            draft.items.append((item[1] != " ", [item[2]]))
        elif lesson or bullet:  # a "Lesson:" line, or a nested bullet
            said = lesson[1].strip() if lesson else words
            draft.lesson = draft.lesson if draft.lesson is not None else []
            draft.lesson += [said] if said else []
        else:
            part = draft.text if draft.lesson is None else draft.lesson
            part += [""] * draft.blank + [content]
        if self.draft:
            self.draft.blank = False

    def start(self, number: int, category: str, **fields) -> None:
        self.draft = _Draft(number, self.section, category, **fields)
        self.drafts.append(self.draft)

    def skip(self, number: int, raw: str, kind: str) -> None:
        """One anomaly per skipped paragraph, not one per line."""
        if number != self.last_skipped + 1 or self.skipped[-1].kind != kind:
            year = self.years[self.section][0] if self.section is not None else None
            self.skipped.append(Anomaly(kind, number, year, _excerpt(raw.strip())))
        self.last_skipped = number

    def plan(self) -> ImportPlan:
        today = self.today
        anomalies = list(self.skipped)
        current = [n for n, (year, _, _) in enumerate(self.years) if year <= today.year]
        late = {current[k] for k in _out_of_order([self.years[n][0] for n in current])}
        filled = {draft.section for draft in self.drafts}
        for n, (year, line, title) in enumerate(self.years):
            if year > today.year:
                anomalies.append(Anomaly("future_year", line, year, _excerpt(title)))
            elif n not in filled:
                anomalies.append(Anomaly("empty_year", line, year, _excerpt(title)))
            if n in late:
                anomalies.append(Anomaly("year_out_of_order", line, year, _excerpt(title)))
        entries, used = [], set()
        for draft in self.drafts:
            year = self.years[draft.section][0]
            if year <= today.year:
                result = _entry(draft, year, today, self.notes, used)
                (entries if isinstance(result, ImportedEntry) else anomalies).append(result)
        for label, (line, definition) in self.notes.items():
            if label not in used:
                anomalies.append(Anomaly("unknown_line", line, None, _excerpt(definition)))
        return ImportPlan(tuple(entries), tuple(sorted(anomalies, key=lambda a: a.line)))


def _entry(
    draft: _Draft, year: int, today: date, notes: dict[str, tuple[int, str]], used: set[str]
) -> ImportedEntry | Anomaly:
    exported = draft.block is not None
    if exported:
        _read_export(draft)
    what = _join(draft.text, exported)
    lesson = _join(draft.lesson, exported) if draft.lesson is not None else ""
    if exported and lesson in _words().no_lesson:
        lesson = ""
    if not exported:
        what, lesson = _with_notes(what, notes, used), _with_notes(lesson, notes, used)
    items = tuple(ImportedItem(_join(lines, exported), done) for done, lines in draft.items)
    happened_on = draft.happened_on or date(year, 1, 1)
    if not what:
        return Anomaly("unknown_line", draft.line, year)
    if (
        max(len(what), len(lesson)) > TEXT_MAX
        or len(items) > ACTION_ITEMS_MAX
        or any(len(item.text) > ACTION_ITEM_MAX for item in items)
    ):
        return Anomaly("too_long", draft.line, year, _excerpt(what))
    if happened_on > today:
        return Anomaly("future_date", draft.line, year, _excerpt(what))
    return ImportedEntry(
        happened_on,
        what,
        lesson or None,
        draft.category,
        draft.safeguards,
        items,
        draft.source_link,
        draft.line,
        day_known=draft.happened_on is not None,
    )


def _with_notes(text: str, notes: dict[str, tuple[int, str]], used: set[str]) -> str:
    """A footnote or link definition goes with the text that refers to it, exactly as it was written."""
    for label in dict.fromkeys(REFERENCE.findall(text)):
        if label in notes:
            text += "\n" + notes[label][1]
            used.add(label)
    return text


def _read_export(draft: _Draft) -> None:
    """The bot's own layout. User text is escaped there (markdown_text), so a line that starts with
    `**`, `- [` or `<` is always the export's own, never something a person wrote."""
    words = _words()
    block = _trim(draft.block)
    if block and block[-1] in words.visibility_lines:
        block.pop()
    part = draft.text  # where plain lines go: what happened, then the lesson, then the last action item
    for raw in block:
        lesson = next((raw[len(mark) :] for mark in words.lesson_marks if raw.startswith(mark)), None)
        safeguards = next((raw[len(mark) :] for mark in words.safeguard_marks if raw.startswith(mark)), None)
        if lesson is not None:
            draft.lesson = part = [lesson.removeprefix(" ")]
        elif safeguards is not None:
            labels = [label.strip().casefold() for label in safeguards.split(",")]
            draft.safeguards, part = tuple(words.safeguards[s] for s in labels if s in words.safeguards), []
        elif item := EXPORTED_ITEM.fullmatch(raw):
            part = [item[2]]
            draft.items.append((item[1] == "x", part))
        elif raw.startswith("<") and raw.endswith(">"):
            draft.source_link, part = raw[1:-1], []
        elif raw in words.action_marks:
            part = []
        else:
            part.append(raw)


@dataclass(frozen=True)
class _Words:
    """The export's words in every language we speak, mapped back to their keys."""

    categories: dict[str, str]
    safeguards: dict[str, str]
    lesson_marks: tuple[str, ...]
    safeguard_marks: tuple[str, ...]
    action_marks: frozenset[str]
    no_lesson: frozenset[str]
    visibility_lines: frozenset[str]


@lru_cache(maxsize=1)
def _words() -> _Words:
    ts = [translator(code) for code in LANGUAGES]
    return _Words(
        categories={name.casefold(): key for t in ts for key, label in CATEGORIES.items() for name in (key, t(label))},
        safeguards={t(label).casefold(): key for t in ts for key, label in SAFEGUARDS.items()},
        lesson_marks=tuple(f"**{t('What we learned')}:**" for t in ts),
        safeguard_marks=tuple(f"**{t('Safeguards we will add')}:**" for t in ts),
        action_marks=frozenset(f"**{t('Action items')}:**" for t in ts),
        no_lesson=frozenset(t("Lesson still to come.") for t in ts),
        visibility_lines=frozenset(f"_{t(label)}_" for t in ts for label in VISIBILITIES.values()),
    )


# The export's dates carry no weekday, so a leap year's days, written once in each language, give
# every year's by putting its number in place of this one's.
TEMPLATE_YEAR = 2000


@lru_cache(maxsize=1)
def _day_templates() -> tuple[tuple[str, int, int], ...]:
    first, last = date(TEMPLATE_YEAR, 1, 1).toordinal(), date(TEMPLATE_YEAR, 12, 31).toordinal()
    days = [date.fromordinal(n) for n in range(first, last + 1)]
    return tuple((translator(code).date(day), day.month, day.day) for code in LANGUAGES for day in days)


@lru_cache(maxsize=LIFETIME_YEARS + 1)
def _days(year: int) -> dict[str, date]:
    """Every day of a year as each language writes it in the export: looked up, never guessed at."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return {
        written.replace(str(TEMPLATE_YEAR), str(year)): date(year, month, day)
        for written, month, day in _day_templates()
        if leap or (month, day) != (2, 29)
    }


def _front_matter(lines: list[str]) -> int:
    """How many lines YAML (---) or TOML (+++) front matter takes at the very top; 0 when there is none."""
    fence = lines[0].strip()
    if fence in ("---", "+++"):
        for n in range(1, len(lines)):
            if lines[n].strip() == fence:
                return n + 1
    return 0


def _out_of_order(years: list[int]) -> set[int]:
    """The indexes of the years that break the file's order, whichever way it runs (newest first on a tie)."""
    newest_first = _longest_run(years, lambda a, b: a > b)
    oldest_first = _longest_run(years, lambda a, b: a < b)
    return set(range(len(years))) - max(newest_first, oldest_first, key=len)


def _longest_run(years: list[int], before: Callable[[int, int], bool]) -> set[int]:
    """The indexes of the longest run of years in that order; on a tie the earlier headings stay."""
    length, previous = [1] * len(years), [-1] * len(years)
    for i in range(len(years)):
        for j in range(i):
            if before(years[j], years[i]) and length[j] + 1 > length[i]:
                length[i], previous[i] = length[j] + 1, j
    kept, i = set(), max(range(len(years)), key=length.__getitem__, default=-1)
    while i >= 0:
        kept.add(i)
        i = previous[i]
    return kept


def _join(lines: list[str], exported: bool) -> str:
    return "\n".join(_unescape(line) if exported else line for line in _trim(lines))


def _trim(lines: list[str]) -> list[str]:
    """Without the blank lines around them; the blank lines between paragraphs stay."""
    kept = [n for n, line in enumerate(lines) if line.strip()]
    return lines[kept[0] : kept[-1] + 1] if kept else []


def _unescape(line: str) -> str:
    """markdown_text undone for one line: the one backslash it put before a Markdown mark."""
    body = line.lstrip()
    indent = line[: len(line) - len(body)]
    if body.startswith("\\") and body[1:].startswith(MARKDOWN_LINE_MARKS):
        return indent + body[1:]
    if number := ESCAPED_NUMBER.match(body):
        return indent + number[1] + body[number.end() :]
    return line


def _excerpt(text: str) -> str:
    line = text.split("\n", 1)[0]
    return line if len(line) <= DETAIL_MAX else line[: DETAIL_MAX - 1] + "…"
