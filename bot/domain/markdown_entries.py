"""An entry of a Markdown import, made from what was read of it: what happened, its lesson (a "Lesson:"
line, or a sentence that says what was learned), its action items and notes, or the export's own layout."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from bot.domain.entries import MARKDOWN_LINE_MARKS
from bot.domain.markdown_import import (
    ACTION_ITEM_MAX,
    ACTION_ITEMS_MAX,
    DETAIL_MAX,
    ESCAPED_NUMBER,
    EXPORTED_ITEM,
    LEARNED,
    LESSON,
    REFERENCE,
    SENTENCE_BREAK,
    TEXT_MAX,
    Anomaly,
    ImportedEntry,
    ImportedItem,
)
from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS, VISIBILITIES
from bot.i18n import LANGUAGES, translator


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
