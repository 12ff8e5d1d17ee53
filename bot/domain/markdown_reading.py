"""Reading a Markdown failure resume line by line (bot/domain/markdown_import.py says what it reads):
headings, sections by kind, bullets, comments and notes become drafts and anomalies, then a plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.markdown_entries import _Draft, _entry, _excerpt, _words
from bot.domain.markdown_import import (
    _CATEGORY_WORDS,
    ANCHOR,
    BULLET,
    CHECKBOX,
    HEADING,
    IMAGE,
    IMPORT_ENTRIES_MAX,
    LABEL,
    LABEL_LEVEL,
    LABEL_MAX,
    LESSON,
    LIFETIME_YEARS,
    LINKS_ONLY,
    NOTE,
    PARAGRAPH_KINDS,
    REFERENCE_SECTIONS,
    YEAR,
    Anomaly,
    ImportedEntry,
    ImportPlan,
    ImportRefused,
)
from bot.domain.markdown_years import _days, _front_matter, _front_matter_year, _out_of_order, _own_year


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
