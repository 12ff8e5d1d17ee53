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
