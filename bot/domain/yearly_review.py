"""The year in review: one person's year of entries, and the team's, as numbers for a chart.

Pure: entries in, a frozen summary out. The caller queries what the entries cannot say (Nice jobs
received, action items done by their owner) and passes it in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS
from storage.models import Entry

TOP_LESSONS = 3


@dataclass(frozen=True)
class YearInReview:
    """One person's year. `action_items_done` counts the items they own that were marked done during
    the year, whoever wrote the entry: the caller queries it by owner (see `year_span`)."""

    year: int
    total: int
    by_category: tuple[tuple[str, int], ...]  # most first, ties in CATEGORIES order, no zeros
    by_month: tuple[int, ...]  # 12 counts, January first
    year_only: int  # entries imported with only their year: in the total, not in the months
    # Each category of by_category (same order) with its 12 monthly counts: the chart's stacked bars.
    by_category_month: tuple[tuple[str, tuple[int, ...]], ...]
    top_lessons: tuple[str, ...]
    action_items_done: int
    safeguards: tuple[tuple[str, int], ...]  # entries naming each, most first, ties in SAFEGUARDS order


@dataclass(frozen=True)
class TeamYearInReview:
    """The workspace's year, counts only: no text and no author, so nobody can be read out of it."""

    year: int
    total: int
    people: int
    by_category: tuple[tuple[str, int], ...]
    by_month: tuple[int, ...]
    year_only: int
    by_category_month: tuple[tuple[str, tuple[int, ...]], ...]
    safeguards: tuple[tuple[str, int], ...]
    action_items_done: int
    shared_named: int
    shared_anonymous: int
    private: int


def year_span(year: int) -> tuple[datetime, datetime]:
    """The year as UTC instants [start, end): what "done during the year" means for `done_at`."""
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def personal_review(entries: Iterable[Entry], year: int, nice_jobs: dict[int, int], items_done: int) -> YearInReview:
    """One person's `year` from their entries (any years may come in). `nice_jobs` maps entry id to
    the Nice jobs it received; `items_done` is their action items done that year, queried by owner
    because a teammate's entry can give them one."""
    mine = _of_year(entries, year)
    return YearInReview(
        year=year,
        total=len(mine),
        top_lessons=top_lessons(mine, nice_jobs),
        action_items_done=items_done,
        **_counts(mine),
    )


def team_review(entries: Iterable[Entry], year: int, crowd: int, items_done: int) -> TeamYearInReview | None:
    """The workspace's `year`: every entry counts, private ones too, but only as numbers. None when
    fewer than `crowd` different people wrote that year: below the anonymity crowd nothing is shown,
    since a count of two people's entries already says what each of them did."""
    ours = _of_year(entries, year)
    people = len({e.user_id for e in ours})
    if people < max(crowd, 1):
        return None
    # An anonymous entry no digest has carried yet waits for its crowd: it counts as private, as in
    # the admins' export, so that the team never learns of it before the digest may show it.
    visibilities = Counter("private" if _waiting(e) else e.visibility for e in ours)
    return TeamYearInReview(
        year=year,
        total=len(ours),
        people=people,
        action_items_done=items_done,
        shared_named=visibilities["named"],
        shared_anonymous=visibilities["anonymous"],
        private=len(ours) - visibilities["named"] - visibilities["anonymous"],
        **_counts(ours),
    )


def top_lessons(entries: list[Entry], nice_jobs: dict[int, int]) -> tuple[str, ...]:
    """The lessons that mattered most: most Nice jobs, then those whose action item got done, then
    the newest. The text as written."""

    def rank(e: Entry) -> tuple:
        done = any(item.status == "done" for item in e.action_items)
        return (-nice_jobs.get(e.id, 0), not done, -e.happened_on.toordinal(), -(e.id or 0))

    with_lesson = [e for e in entries if e.lesson and e.lesson.strip()]
    return tuple(e.lesson for e in sorted(with_lesson, key=rank)[:TOP_LESSONS])


def _waiting(entry: Entry) -> bool:
    return entry.visibility == "anonymous" and entry.digest_id is None


def _of_year(entries: Iterable[Entry], year: int) -> list[Entry]:
    return [e for e in entries if e.happened_on.year == year]


def _counts(entries: list[Entry]) -> dict:
    """The counts both reviews share, by field name."""
    by_category = _most_first(Counter(_category(e) for e in entries), list(CATEGORIES))
    # An entry imported with only its year has no month: counted in the year, left out of the months.
    dated = [e for e in entries if e.day_known is not False]
    cells = Counter((_category(e), e.happened_on.month) for e in dated)
    months = Counter(e.happened_on.month for e in dated)
    # Entries naming a safeguard, not mentions: a key listed twice in one entry counts once.
    safeguards = Counter(key for e in entries for key in set(e.safeguards or ()) if key in SAFEGUARDS)
    return dict(
        by_category=by_category,
        by_month=tuple(months[m] for m in range(1, 13)),
        year_only=len(entries) - len(dated),
        safeguards=_most_first(safeguards, list(SAFEGUARDS)),
        by_category_month=tuple((key, tuple(cells[key, m] for m in range(1, 13))) for key, _n in by_category),
    )


def _category(entry: Entry) -> str:
    # An unknown category is shown as "Other" everywhere, so it is counted as one.
    return entry.category if entry.category in CATEGORIES else "other"


def _most_first(counts: Counter, order: list[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(((key, n) for key, n in counts.items() if n), key=lambda kv: (-kv[1], order.index(kv[0]))))
