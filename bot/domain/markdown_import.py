"""Importing a failure resume kept as a Markdown file: the entries to add, and what was skipped and why.

Pure: text in, a plan out, no Slack and no database. It reads the bot's own export (`resume_markdown`,
in every language we speak) and the layouts people write by hand for readers, not for a parser:

- year headings in any order (`## 2024`, `# 2019`, `## 2023[](…#2023)`), a year headed twice (a table
  of contents, then the same year with its entries) being one year;
- or no year headings at all: sections by kind (`## Rejections`, a `Top DS failures:` line followed by
  bullets) give their entries the app's category where one fits, and keep the section's own name;
- one top-level bullet per entry, its nested bullets, a "Lesson:" line or a sentence that says what
  was learned ("I learnt…", "배운 점…") as its lesson;
- an entry's year from the bullet (`2019: …`, `(2019)`, `2019 — …`), else its year heading, else the
  front matter's `date`, else none: the person picks it in the preview.

Links-only bullets, references sections, unused footnote definitions, images and empty headings are
skipped and reported; what sits inside an HTML comment (`<!-- … -->` over several lines) is read, and
reported as such. Nothing is cut to fit: an entry over the record form's limits is skipped and
reported, never shortened.
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
# A number in a bullet is taken for its year from this one on ("(1066)" stays words).
YEAR_MIN = 1900
# A "Top DS failures:" line: a short line that ends in a colon, followed by bullets.
LABEL_MAX = 80
LABEL_LEVEL = 7  # below every heading: the next heading ends its section

HEADING = re.compile(r" {0,3}(#{1,6})[ \t]+(.*)")
# A heading's trailing empty link or anchor: `## 2023[](https://…#2023)`, `## 2023 {#y2023}`.
ANCHOR = re.compile(r"(?:\[\]\([^()]*\)|\{#[^{}]*\})$")
YEAR = re.compile(r"[*_\[]*(\d{4})(?!\d)")
BULLET = re.compile(r"([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?")
CHECKBOX = re.compile(r"\[([ xX])\][ \t]+(.*)")
EXPORTED_ITEM = re.compile(r"- \[([ x])\] (.*)")
LESSON = re.compile(
    r"[*_]{0,2}(?:lessons?(?: learn(?:ed|t))?|what (?:i|we) learn(?:ed|t)|배운 ?점|교훈)[*_]{0,2}"
    r"[ \t]*:[ \t]*(?:[*_]{2})?[ \t]*(.*)",
    re.IGNORECASE,
)
# A sentence that says what was learned, inside a bullet: it becomes the lesson.
LEARNED = re.compile(
    r"\b(?:i|we)(?:'ve|’ve| have)?(?: also| finally| really)? learn(?:ed|t)\b"
    r"|\blessons?(?: learn(?:ed|t))?[ \t]*:|\bwhat (?:i|we) learn(?:ed|t)\b"
    r"|배운 ?점|교훈|깨달(?:았|은|음)",
    re.IGNORECASE,
)
SENTENCE_BREAK = re.compile(r"((?<=[.!?。])[ \t]+|\n\s*)")
# An entry's own year: `2019: …`, `**2019** — …`, `2019 - …` first in the bullet, or `(2019)` in it;
# on a plain line of a section by kind (a CV of failures), `2008 PhD programme, …` too.
LEADING_YEAR = re.compile(r"[*_]*(\d{4})[*_]*(?:[ \t]*[:：]|[ \t]*[—–]|[ \t]+-)[ \t]+(?=\S)")
BARE_YEAR = re.compile(r"(\d{4})[ \t]+(?=\S)")
PAREN_YEAR = re.compile(r"\((\d{4})\)")
LABEL = re.compile(r"[*_]{0,2}([^\s*_:：][^:：]*?)[*_]{0,2}[ \t]*[:：][*_]{0,2}")
# A footnote or link definition (`[^1]: …`, `[docs]: https://…`) and a reference to one (`[^1]`, `[x][docs]`).
NOTE = re.compile(r"\[(\^?[^\[\]\s][^\[\]]*)\]:")
REFERENCE = re.compile(r"\[(\^?[^\[\]\s][^\[\]]*)\]")
ESCAPED_NUMBER = re.compile(r"(\d+)\\(?=[.)])")
# A line that is only links (`[title](url)`, `<https://…>`, a bare address, `[title][ref]`) or only an
# image. Atomic and possessive throughout: a long line of links is read once, never backtracked into.
_LINK = r"(?>\[[^\[\]]*\]\([^()\s]*(?:[ \t]+\"[^\"]*\")?\)|\[[^\[\]]+\]\[[^\[\]]*\]|<https?://[^>\s]+>|https?://\S+)"
LINKS_ONLY = re.compile(rf"[*_]*+{_LINK}[*_]*+(?:[ \t]*+[,;·|–—-]?+[ \t]*+[*_]*+{_LINK}[*_]*+)*+[ \t]*+[.,;]?+")
IMAGE = re.compile(r"(?:[-*+][ \t]+)?!\[[^\[\]]*\]\([^()]*\)[ \t]*|<img\b[^>]*>")
# Sections that hold no failures: their lines are skipped, and counted.
REFERENCE_SECTIONS = frozenset(
    {
        "references",
        "reference",
        "sources",
        "source",
        "footnotes",
        "bibliography",
        "citations",
        "further reading",
        "links",
        "참고",
        "참고 자료",
        "참고자료",
        "참고 문헌",
        "참고문헌",
        "참고 링크",
        "출처",
        "각주",
        "링크",
    }
)
# The app's category for a section's own name, by the words in it (the exact label in any language
# we speak comes first); the first that fits, in this order.
CATEGORY_WORDS = (
    ("data", r"\b(?:data|ds|ml|machine learning|analytics?|analysis)\b|데이터|분석"),
    (
        "engineering",
        r"\b(?:engineering|engineer|tech|technical|code|coding|software|dev|development)\b|개발|기술|엔지니어링|코딩",
    ),
    ("management", r"\b(?:management|manager|managing|leadership|leading)\b|관리|매니지먼트|리더십"),
    (
        "career",
        r"\b(?:career|jobs?|rejections?|rejected|positions?|applications?|interviews?|degrees?|programmes?"
        r"|ph\.?d|awards?|prizes?|scholarships?|fellowships?|papers?|publications?|journals?|funding|grants?)\b"
        r"|커리어|경력|취업|이직|면접|탈락|학위|논문|연구비|장학금|지원서",
    ),
    ("personal", r"\b(?:personal|life|health|family|relationships?)\b|개인|인생|건강|가족"),
)
_CATEGORY_WORDS = tuple((key, re.compile(words, re.IGNORECASE)) for key, words in CATEGORY_WORDS)
FRONT_MATTER_DATE = re.compile(r"[ \t]*date[ \t]*[:=][ \t]*[\"']?(\d{4})-\d{2}-\d{2}", re.IGNORECASE)
# Skipped lines of these kinds are reported once per paragraph; the others once per line (counted).
PARAGRAPH_KINDS = frozenset({"unknown_line", "text_before_first_year", "text_before_first_section"})


class ImportRefused(ValueError):
    """The whole file is refused. reason: empty, binary, too_big, too_many (with count) or no_years
    (no year heading, and no entry in a section or with a year of its own)."""

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
    happened_on: date | None  # None: the file names no year for it; the person picks one in the preview
    what_happened: str
    lesson: str | None
    category: str
    safeguards: tuple[str, ...]
    action_items: tuple[ImportedItem, ...]
    source_link: str | None
    line: int
    day_known: bool = True  # False: only the year was written (dated 1 January, counted by its year alone)
    section: str | None = None  # the section's own name ("Top DS failures") when the category is not it


@dataclass(frozen=True)
class Anomaly:
    kind: str
    line: int
    year: int | None = None
    detail: str = ""  # the start of the line at fault, never more than DETAIL_MAX characters
    last_line: int | None = None  # for a stretch of lines (inside a comment): its last line


@dataclass(frozen=True)
class ImportPlan:
    entries: tuple[ImportedEntry, ...]
    anomalies: tuple[Anomaly, ...]
    latest_year: int = 0  # the latest year an entry may have (today's)

    def per_year(self) -> list[tuple[int, int]]:
        """(year, entries), newest year first; entries without a year are not in it."""
        years = Counter(entry.happened_on.year for entry in self.entries if entry.happened_on)
        return sorted(years.items(), reverse=True)

    def undated(self) -> int:
        """How many entries have no year yet."""
        return sum(1 for entry in self.entries if entry.happened_on is None)


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
    start = _front_matter(lines)
    reader = _Reader(today, lines, start)
    for number in range(start, len(lines)):
        reader.read(number + 1, lines[number])
        # Refused as soon as it is too big (year headings count too), not after reading it all.
        if max(len(reader.drafts), reader.year_headings) > IMPORT_ENTRIES_MAX:
            raise ImportRefused("too_many", count=_rough_count(lines))
    if not reader.years and not reader.drafts:
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
    heading_year: int | None  # the year heading it is under, if any
    category: str
    section: str | None = None
    year: int | None = None  # the year the bullet itself names
    happened_on: date | None = None  # the export's exact day; None for a bullet, or the export's year-only entry
    block: list[str] | None = None  # the export's lines, as they are, read when the file ends
    text: list[str] = field(default_factory=list)
    lesson: list[str] | None = None
    items: list[tuple[bool, list[str]]] = field(default_factory=list)
    safeguards: tuple[str, ...] = ()
    source_link: str | None = None
    blank: bool = False  # a blank line before this one: a new paragraph, or the end of the list


@dataclass(frozen=True)
class _Kind:
    """A section by kind: a heading, or a "Top DS failures:" line (LABEL_LEVEL)."""

    level: int
    category: str
    name: str | None  # kept on its entries unless it is a category's own label


class _Reader:
    """Reads the file line by line; what is kept and what is reported is decided in plan()."""

    def __init__(self, today: date, lines: list[str], start: int) -> None:
        self.today = today
        self.lines = lines
        headings = [_title(h[2]) for line in lines[start:] if (h := HEADING.fullmatch(line)) and h[1] == "#"]
        # Without a year heading anywhere, headings and "Name:" lines are sections by kind.
        self.by_kind = not any(YEAR.match(_title(h[2])) for line in lines[start:] if (h := HEADING.fullmatch(line)))
        titles = [title for title in headings if not YEAR.match(title)]
        # The file's one level-1 heading (not a year) is its title, not a section.
        self.title = titles[0] if len(titles) == 1 else None
        self.front_year = _front_matter_year(lines[:start], today)
        self.years: dict[int, list[tuple[int, str]]] = {}  # year → (line, heading) of each of its headings
        self.year_headings = 0
        self.drafts: list[_Draft] = []
        self.notes: dict[str, tuple[int, str]] = {}  # label → (line, the definition as written)
        self.skipped: list[Anomaly] = []
        self.year: int | None = None  # the year heading we are under, if any
        self.level = 0  # its level
        self.kinds: list[_Kind] = []  # the sections by kind we are in, outermost first
        self.references: int | None = None  # the level of the references section we are in
        self.empty: tuple[int, str, int] | None = None  # a heading with nothing under it yet: line, title, level
        self.comment: list[int] | None = None  # an open HTML comment: its first line, its last so far
        self.comment_read = False  # whether anything but blank lines sat in it
        self.draft: _Draft | None = None
        self.last_skipped = -1

    def read(self, number: int, raw: str) -> None:
        exported = self.draft is not None and self.draft.block is not None
        if not exported:  # the export's own text is as the person typed it, `<!--` included
            raw = self.uncomment(number, raw)
        if heading := HEADING.fullmatch(raw):
            self.heading(number, len(heading[1]), _title(heading[2]))
            return
        if exported:
            self.draft.block.append(raw)  # the export escapes user text: only a heading ends its entry
            return
        if not raw.strip():
            if self.draft:
                self.draft.blank = True
            return
        self.empty = None  # the heading above has something under it
        content = raw.strip()
        top = _indent(raw) < 2
        if note := NOTE.match(raw):
            self.notes[note[1]] = (number, raw.rstrip())
        elif self.references is not None:
            self.skip(number, raw, "reference")
        elif IMAGE.fullmatch(content):
            self.skip(number, raw, "image")
        elif top and LINKS_ONLY.fullmatch(_words_of(content)) and (BULLET.fullmatch(content) or not self.continues()):
            self.draft = None  # a reference, not a failure; what is indented under it is no entry's either
            self.skip(number, raw, "reference")
        elif not (top and self.label(number, content)):
            self.body(number, raw, content, top)

    def uncomment(self, number: int, raw: str) -> str:
        """The line without its HTML comment marks. What a comment over several lines holds is read
        (people keep drafts there) and reported; a comment within one line is skipped and counted."""
        kept, rest = [], raw
        while rest:
            if self.comment is None:
                start = rest.find("<!--")
                if start < 0:
                    kept.append(rest)
                    break
                kept.append(rest[:start])
                end = rest.find("-->", start + 4)
                if end >= 0:
                    self.skip(number, rest[start:end], "comment")
                    rest = rest[end + 3 :]
                else:
                    self.comment, self.comment_read = [number, number], False
                    rest = rest[start + 4 :]
            else:
                end = rest.find("-->")
                if end < 0:
                    kept.append(rest)
                    break
                kept.append(rest[:end])
                self.comment_read = self.comment_read or bool(rest[:end].strip())
                self.end_comment(number)
                rest = rest[end + 3 :]
        line = "".join(kept)
        if self.comment is not None and line.strip():
            self.comment[1], self.comment_read = number, True  # its last line with something on it
        return line

    def end_comment(self, number: int) -> None:
        first, _ = self.comment
        if self.comment_read:
            self.skipped.append(Anomaly("in_comment", first, None, "", number))
        self.comment = None

    def heading(self, number: int, level: int, title: str) -> None:
        self.draft = None
        if self.empty and level <= self.empty[2]:
            line, empty_title, _ = self.empty
            self.skipped.append(Anomaly("empty_heading", line, self.year, _excerpt(empty_title)))
        self.empty = None
        if self.references is not None and level <= self.references:
            self.references = None
        self.kinds = [kind for kind in self.kinds if kind.level < level]
        inside = self.year is not None and level > self.level
        year = self.year if inside else 0
        when, *named = title.split(" · ")
        day = _days(year).get(when) if named and self.today.year - LIFETIME_YEARS <= year <= self.today.year else None
        if named and (day or (inside and when == str(year))):
            # The export's "### Mar 1, 2024 · Engineering", or its year-only "### 2019 · Engineering";
            # a section's own name, when it had one, follows the category: "### 2019 · Career · Rejections".
            category = _words().categories.get(named[0].casefold(), "other")
            section = " · ".join(named[1:]) or None
            self.start(number, category, section=section, happened_on=day, block=[])
            return
        if not inside:
            self.year = None  # a title before the years, or a section after them ("## Notes")
        name = _name(title)
        if heading_year := YEAR.match(title):
            self.year, self.level = int(heading_year[1]), level
            self.years.setdefault(self.year, []).append((number, name))
            self.year_headings += 1
        elif name.casefold() in REFERENCE_SECTIONS:
            self.references = level
        elif level > 1 or title != self.title:
            self.kinds.append(_kind(level, name))
            self.empty = (number, name, level)

    def label(self, number: int, content: str) -> bool:
        """A "Top DS failures:" line followed by bullets: a section by kind, until the next heading or
        label. Within an entry's own lines (no blank line before it) it is the entry's."""
        if len(content) > LABEL_MAX or not content.rstrip("*_").endswith((":", "：")):
            return False
        label = LABEL.fullmatch(content)
        if not label or LESSON.fullmatch(content) or BULLET.fullmatch(content):
            return False
        if self.continues() or not (self.by_kind or self.year is not None) or not self.bullet_follows(number):
            return False
        self.draft = None
        self.kinds = [kind for kind in self.kinds if kind.level < LABEL_LEVEL]
        if self.references == LABEL_LEVEL:
            self.references = None
        name = label[1].strip()
        if name.casefold() in REFERENCE_SECTIONS:
            self.references = LABEL_LEVEL
        else:
            self.kinds.append(_kind(LABEL_LEVEL, name))
        return True

    def continues(self) -> bool:
        """Whether a line at the margin would still be the entry above's (no blank line before it)."""
        return self.draft is not None and not self.draft.blank

    def bullet_follows(self, number: int) -> bool:
        """Whether the next line that is not blank (lines are numbered from 1) is a bullet."""
        for line in self.lines[number:]:
            if line.strip():
                return bool(BULLET.fullmatch(line.strip()))
        return False

    def body(self, number: int, raw: str, content: str, top: bool) -> None:
        bullet = BULLET.fullmatch(content)
        words = (bullet[2] or "") if bullet else content
        lesson = LESSON.fullmatch(words)
        draft = self.draft
        if bullet and top and not (lesson and draft):
            self.entry(number, raw, words, bullet=True)
        elif not bullet and top and not lesson and self.by_kind and self.kinds and _own_year(words, False)[0]:
            self.entry(number, raw, words, bullet=False)  # a CV of failures' "2008 PhD programme, …" line
        elif draft is None or (draft.blank and top and not lesson):
            self.draft = None  # a paragraph after the list is not part of its last entry
            self.skip(number, raw, self.stray())
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

    def entry(self, number: int, raw: str, words: str, bullet: bool) -> None:
        """A bullet (or a CV's year line) starts an entry where it belongs to one: under a year
        heading, in a section by kind (in a file without year headings), or naming its own year."""
        year, text = _own_year(words, bullet)
        if year is None and self.year is None and not (self.by_kind and self.kinds):
            self.draft = None
            self.skip(number, raw, self.stray())
            return
        category = next((kind.category for kind in reversed(self.kinds) if kind.category != "other"), "other")
        section = self.kinds[-1].name if self.kinds else None
        self.start(number, category, section=section, year=year, text=[text])

    def stray(self) -> str:
        """Why a line that belongs to no entry is left out."""
        if not self.by_kind:
            return "unknown_line" if self.years else "text_before_first_year"
        return "unknown_line" if self.drafts or self.kinds else "text_before_first_section"

    def start(self, number: int, category: str, **fields) -> None:
        self.draft = _Draft(number, self.year, category, **fields)
        self.drafts.append(self.draft)

    def skip(self, number: int, raw: str, kind: str) -> None:
        """One anomaly per skipped paragraph, not one per line; references and images one per line."""
        paragraph = kind in PARAGRAPH_KINDS and number == self.last_skipped + 1
        if not (paragraph and self.skipped and self.skipped[-1].kind == kind):
            self.skipped.append(Anomaly(kind, number, self.year, _excerpt(raw.strip())))
        self.last_skipped = number

    def plan(self) -> ImportPlan:
        today = self.today
        if self.comment is not None:  # a comment never closed: it runs to the end of the file
            self.end_comment(self.comment[1])
        if self.empty:
            line, title, _ = self.empty
            self.skipped.append(Anomaly("empty_heading", line, self.year, _excerpt(title)))
        anomalies = list(self.skipped)
        # A year headed twice (a table of contents, then its entries) is one year, placed where it came first.
        first = [(year, *headings[0]) for year, headings in self.years.items()]
        current = [(year, line) for year, line, _ in first if year <= today.year]
        late = {current[k] for k in _out_of_order([year for year, _ in current])}
        filled = {draft.heading_year for draft in self.drafts}
        for year, line, title in first:
            if year > today.year:
                anomalies.append(Anomaly("future_year", line, year, _excerpt(title)))
            elif year not in filled:
                anomalies.append(Anomaly("empty_year", line, year, _excerpt(title)))
            if (year, line) in late:
                anomalies.append(Anomaly("year_out_of_order", line, year, _excerpt(title)))
        entries, used = [], set()
        for draft in self.drafts:
            if draft.year is None and draft.heading_year is not None and draft.heading_year > today.year:
                continue  # under a future year's heading: reported once, as that year
            year = draft.year or draft.heading_year or self.front_year
            result = _entry(draft, year, today, self.notes, used)
            (entries if isinstance(result, ImportedEntry) else anomalies).append(result)
        for label, (line, definition) in self.notes.items():
            if label not in used:
                anomalies.append(Anomaly("reference", line, None, _excerpt(definition)))
        return ImportPlan(tuple(entries), tuple(sorted(anomalies, key=lambda a: a.line)), today.year)


def _entry(
    draft: _Draft, year: int | None, today: date, notes: dict[str, tuple[int, str]], used: set[str]
) -> ImportedEntry | Anomaly:
    exported = draft.block is not None
    if exported:
        _read_export(draft)
    what = _join(draft.text, exported)
    lesson = _join(draft.lesson, exported) if draft.lesson is not None else ""
    if exported and lesson in _words().no_lesson:
        lesson = ""
    if not exported:
        what, learned = _learned(what)
        lesson = "\n".join(part for part in (learned, lesson) if part)
        what, lesson = _with_notes(what, notes, used), _with_notes(lesson, notes, used)
    items = tuple(ImportedItem(_join(lines, exported), done) for done, lines in draft.items)
    happened_on = draft.happened_on or (date(year, 1, 1) if year else None)
    if not what:
        return Anomaly("unknown_line", draft.line, year)
    if (
        max(len(what), len(lesson)) > TEXT_MAX
        or len(items) > ACTION_ITEMS_MAX
        or any(len(item.text) > ACTION_ITEM_MAX for item in items)
    ):
        return Anomaly("too_long", draft.line, year, _excerpt(what))
    if happened_on and happened_on > today:
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
        section=draft.section,
    )


def _learned(text: str) -> tuple[str, str]:
    """A bullet's sentences that say what was learned ("I learnt…", "Lesson: …", "깨달았다"), apart
    from the rest, which stays what happened; a bullet that is nothing else stays what happened."""
    pieces = SENTENCE_BREAK.split(text)
    sentences, breaks = pieces[0::2], [*pieces[1::2], ""]
    learned = [n for n, sentence in enumerate(sentences) if LEARNED.search(sentence)]
    if not learned or all(n in learned or not sentences[n].strip() for n in range(len(sentences))):
        return text, ""
    what = "".join(sentences[n] + breaks[n] for n in range(len(sentences)) if n not in learned).strip()
    lessons = []
    for n in learned:
        labelled = LESSON.fullmatch(sentences[n].strip())
        lessons.append(labelled[1].strip() if labelled and labelled[1].strip() else sentences[n].strip())
    return what, " ".join(lessons)


def _own_year(words: str, bullet: bool) -> tuple[int | None, str]:
    """The year a bullet names (`2019: …`, `2019 — …`, `(2019)`; a plain line's `2019 …` too), and its
    words without a leading year or a closing `(2019)`, which the entry's date then holds."""
    leading = LEADING_YEAR.match(words) or (None if bullet else BARE_YEAR.match(words))
    if leading and int(leading[1]) >= YEAR_MIN:
        return int(leading[1]), words[leading.end() :]
    for found in PAREN_YEAR.finditer(words):
        if int(found[1]) >= YEAR_MIN:
            closing = not words[found.end() :].strip() and words[: found.start()].strip()
            return int(found[1]), words[: found.start()].rstrip() if closing else words
    return None, words


def _kind(level: int, name: str) -> _Kind:
    """A section's category: its name when that is a category's label, else the words in it."""
    exact = _words().categories.get(name.casefold())
    if exact:
        return _Kind(level, exact, None)
    category = next((key for key, words in _CATEGORY_WORDS if words.search(name)), "other")
    return _Kind(level, category, name or None)


def _title(text: str) -> str:
    """A heading's text without its closing marks (`## 2024 ##`); `## C#` keeps its mark."""
    text = text.strip()
    body = text.rstrip("#")
    return body.rstrip() if body != text and (not body or body[-1] in " \t") else text


def _name(title: str) -> str:
    """A heading or label as a name: without a trailing anchor link, emphasis and colon."""
    if title.endswith((")", "}")):
        title = ANCHOR.sub("", title)
    return title.strip().strip("*_:： \t")


def _words_of(content: str) -> str:
    """A line's words, without its bullet mark."""
    bullet = BULLET.fullmatch(content)
    return (bullet[2] or "") if bullet else content


def _indent(raw: str) -> int:
    return len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip())


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


def _front_matter_year(lines: list[str], today: date) -> int | None:
    """The year of the front matter's `date` (a blog post's), for entries that name none; not one
    after today (a post scheduled ahead)."""
    for line in lines:
        if (found := FRONT_MATTER_DATE.match(line)) and YEAR_MIN <= int(found[1]) <= today.year:
            return int(found[1])
    return None


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
