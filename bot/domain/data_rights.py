"""A person's data rights and an admin's view of what was shared: export, count, delete. Each operation one
unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from storage import erasure
from storage.db import SessionFactory
from storage.models import Delivery, Entry, Person
from storage.repository import acknowledgements as acknowledgement_store
from storage.repository import deliveries as delivery_store
from storage.repository import entries as entry_store
from storage.repository import people as person_store
from storage.types import EntryCounts, Workspace


@dataclass(frozen=True)
class PersonalData:
    """Everything the app keeps about one person in one workspace."""

    entries: list[Entry]
    nice_jobs: dict[int, int]  # per entry: how many teammates said it, never who
    nice_jobs_given: int
    person: Person | None
    deliveries: list[Delivery]


def personal_data(sf: SessionFactory, ws: Workspace, user_id: str) -> PersonalData:
    with sf() as session:
        entries = entry_store.list_entries(session, ws, user_id)
        return PersonalData(
            entries=entries,
            nice_jobs=acknowledgement_store.count_acknowledgements_of(session, [entry.id for entry in entries]),
            nice_jobs_given=acknowledgement_store.count_acknowledgements_given(session, ws, user_id),
            person=person_store.get_person(session, ws, user_id),
            deliveries=delivery_store.list_deliveries(session, ws, user_id),
        )


def delete_all_my_data(sf: SessionFactory, ws: Workspace, user_id: str) -> dict[str, int]:
    """Everything of the person in this workspace, in one unit of work; doing it twice removes nothing more.
    Digests already posted stay as they are; the entries are gone, so no future digest can carry them."""
    with sf.begin() as session:
        return erasure.delete_person_data(session, ws, user_id)


@dataclass(frozen=True)
class SharedEntries:
    entries: list[Entry]
    nice_jobs: dict[int, int]
    counts: EntryCounts


def shared_entries_for_admins(sf: SessionFactory, ws: Workspace) -> SharedEntries:
    """What a workspace admin may export: shared entries (never a private one's words) and counts."""
    with sf() as session:
        entries = entry_store.list_exportable_shared_entries(session, ws)
        return SharedEntries(
            entries=entries,
            nice_jobs=acknowledgement_store.count_acknowledgements_of(session, [entry.id for entry in entries]),
            counts=entry_store.count_workspace_entries(session, ws),
        )
