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

The reading is in markdown_reading.py (parse_resume), an entry's own words in markdown_entries.py,
its year and days in markdown_years.py; this module holds what they share: the limits, the layouts'
patterns and the plan they hand back. Names with a leading underscore are the import's own, shared
only among these markdown_* modules.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

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
