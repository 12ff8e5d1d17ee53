"""Domain rules of the team digest: what goes in, and how anonymity is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.models import Entry


@dataclass(frozen=True)
class DigestItem:
    """One shared lesson as the digest shows it. An anonymous item has no author at all, so no
    builder or log downstream can reveal one."""

    entry_id: int
    category: str
    what_happened: str
    lesson: str | None
    action_items: tuple[str, ...]
    safeguards: tuple[str, ...]
    author_id: str | None
    nice_jobs: int = 0


@dataclass(frozen=True)
class DigestProgress:
    """What became of the team's earlier lessons: shared action items done since the last digest
    (and still open), and the safeguards named most, entry counts per digest, oldest first."""

    items_done: int
    items_open: int
    safeguard_trend: tuple[tuple[str, tuple[int, ...]], ...]


# Digests the safeguard trend looks back over (this one included), and how many safeguards it names.
TREND_PERIODS = 4
TREND_SAFEGUARDS = 3


def safeguard_trend(periods: list[list[list[str]]]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """For the safeguards named most over these periods (each a list of entries' safeguards), how
    many entries named each one in each period."""
    counts: dict[str, list[int]] = {}
    for n, period in enumerate(periods):
        for safeguards in period:
            for safeguard in set(safeguards):
                counts.setdefault(safeguard, [0] * len(periods))[n] += 1
    top = sorted(counts.items(), key=lambda pair: (-sum(pair[1]), pair[0]))[:TREND_SAFEGUARDS]
    return tuple((name, tuple(per_period)) for name, per_period in top)


def select_for_digest(entries: list[Entry], anonymity_crowd: int) -> list[Entry]:
    """Named entries always go in. Anonymous ones only once at least `anonymity_crowd` different
    people shared anonymously, so that nobody can be picked out by elimination; until then they
    wait and roll into a later digest."""
    named = [e for e in entries if e.visibility == "named"]
    anonymous = [e for e in entries if e.visibility == "anonymous"]
    crowd = len({e.user_id for e in anonymous})
    return named + (anonymous if crowd >= max(anonymity_crowd, 1) else [])


def digest_items(entries: list[Entry]) -> list[DigestItem]:
    return [
        DigestItem(
            entry_id=e.id,
            category=e.category,
            what_happened=e.what_happened,
            lesson=e.lesson,
            action_items=tuple(item.text for item in e.action_items),
            safeguards=tuple(e.safeguards),
            author_id=e.user_id if e.visibility == "named" else None,
        )
        for e in entries
    ]


def digest_period(cadence: str, now: datetime) -> str:
    """The period a scheduled digest belongs to: '2026-W47' weekly, '2026-11' monthly."""
    if cadence == "weekly":
        year, week, _day = now.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{now.year}-{now.month:02d}"
