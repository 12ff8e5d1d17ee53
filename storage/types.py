"""The plain values that cross layers: the tenancy key, what a form gives an entry, and what the queries hand back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Workspace:
    """The tenancy key: every query filters on both parts."""

    enterprise_id: str
    team_id: str

    def columns(self) -> dict[str, str]:
        """A row's two tenancy columns, as a model's constructor takes them."""
        return {"enterprise_id": self.enterprise_id, "team_id": self.team_id}


@dataclass(frozen=True)
class EntryFields:
    what_happened: str
    lesson: str | None
    category: str
    happened_on: date
    safeguards: tuple[str, ...]
    action_items: tuple[str, ...]
    visibility: str
    source_link: str | None = None


@dataclass(frozen=True)
class IndexedEntry:
    """What the similarity index holds of an entry."""

    id: int
    user_id: str
    seen_by_the_team: bool
    what_happened: str
    lesson: str | None
    updated_at: datetime
    meaning: bytes | None  # made by the model asked for, else None


@dataclass(frozen=True)
class EntryWords:
    """What the sentence encoder reads of an entry, and where to store what it made of them."""

    id: int
    workspace: Workspace
    what_happened: str
    lesson: str | None


@dataclass(frozen=True)
class EntryCounts:
    total: int
    by_visibility: dict[str, int]
    by_category: dict[str, int]
    by_year: dict[int, int]
