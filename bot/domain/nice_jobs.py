"""Nice jobs from teammates on digested entries: said once, counted, never shown by whom. Each operation one unit
of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import SessionFactory
from storage.models import Entry
from storage.repository import acknowledgements as acknowledgement_store
from storage.types import Workspace


@dataclass(frozen=True)
class NiceJob:
    added: bool
    count: int
    author_id: str
    entry: Entry


def say_nice_job(sf: SessionFactory, ws: Workspace, user_id: str, entry_id: int, now: datetime) -> NiceJob | None:
    """Record a teammate's Nice job on a digested entry, once; None when there is no such entry here.
    The author's own press does not count."""
    with sf.begin() as session:
        entry = acknowledgement_store.get_digested_entry(session, ws, entry_id)
        if entry is None:
            return None
        added = entry.user_id != user_id and acknowledgement_store.add_acknowledgement(session, entry.id, user_id, now)
        return NiceJob(
            added,
            acknowledgement_store.count_acknowledgements_of(session, [entry.id]).get(entry.id, 0),
            entry.user_id,
            entry,
        )


def nice_job_counts(sf: SessionFactory, entry_ids: list[int]) -> dict[int, int]:
    with sf() as session:
        return acknowledgement_store.count_acknowledgements_of(session, entry_ids)
