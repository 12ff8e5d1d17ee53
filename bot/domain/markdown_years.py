"""The years and days of a Markdown import: an entry's own year, the export's dates in every language,
the front matter's date, and year headings out of order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache

from bot.domain.markdown_import import BARE_YEAR, FRONT_MATTER_DATE, LEADING_YEAR, LIFETIME_YEARS, PAREN_YEAR, YEAR_MIN
from bot.i18n import LANGUAGES, translator


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
