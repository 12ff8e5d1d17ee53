"""Nice jobs from teammates (acknowledgements): given once per person and entry, counted, never shown by
whom. Session first; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Acknowledgement, Entry
from storage.types import Workspace


def get_digested_entry(session: Session, ws: Workspace, entry_id: int) -> Entry | None:
    """A shared entry of this workspace that a digest has carried: the only kind teammates can see."""
    return session.scalar(
        select(Entry).where(
            Entry.id == entry_id,
            Entry.enterprise_id == ws.enterprise_id,
            Entry.team_id == ws.team_id,
            Entry.visibility.in_(("anonymous", "named")),
            Entry.digest_id.is_not(None),
        )
    )


def add_acknowledgement(session: Session, entry_id: int, user_id: str, now: datetime) -> bool:
    """False when this person already said Nice job to this entry."""
    try:
        with session.begin_nested():
            session.add(Acknowledgement(entry_id=entry_id, user_id=user_id, created_at=now))
        return True
    except IntegrityError:
        return False


def count_acknowledgements_of(session: Session, entry_ids: list[int]) -> dict[int, int]:
    counts = {}
    for start in range(0, len(entry_ids), 1000):  # a workspace's thousands of ids, within every database's limits
        rows = session.execute(
            select(Acknowledgement.entry_id, func.count(Acknowledgement.id))
            .where(Acknowledgement.entry_id.in_(entry_ids[start : start + 1000]))
            .group_by(Acknowledgement.entry_id)
        )
        counts.update({entry_id: n for entry_id, n in rows})
    return counts


def count_acknowledgements_given(session: Session, ws: Workspace, user_id: str) -> int:
    """How many Nice jobs a person gave to entries of this workspace."""
    in_workspace = select(Entry.id).where(Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    given = select(func.count(Acknowledgement.id)).where(
        Acknowledgement.user_id == user_id, Acknowledgement.entry_id.in_(in_workspace)
    )
    return session.scalar(given) or 0
