"""The outbox: follow-ups an ack promised, kept until their work is done. Session first; never commits.

A row is leased when it is handed to the queue (`lease` counts the hand-offs, `leased_until` says
until when), renewed while it runs, and deleted once done. A row whose lease ran out is due again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.models import FollowUp
from storage.types import Workspace


def add_follow_up(session: Session, ws: Workspace, task: str, arguments: dict, priority: int) -> None:
    # One INSERT, not an ORM object: a follow-up is written before nearly every ack (the rest: column defaults).
    row = dict(**ws.columns(), task=task, arguments=arguments, priority=priority)
    session.execute(insert(FollowUp.__table__), [row])


def lease_due(session: Session, now: datetime, until: datetime, limit: int) -> list[tuple[int, int, int]]:
    """Up to `limit` rows not handed over, or whose lease ran out, most urgent first: each leased
    until `until` under a new lease number. Returns (id, lease, priority) of the rows this call won."""
    due = (
        select(FollowUp.id, FollowUp.lease, FollowUp.priority)
        .where(or_(FollowUp.leased_until.is_(None), FollowUp.leased_until < now))
        .order_by(FollowUp.priority.desc(), FollowUp.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL: two relays take different rows
    )
    won = []
    for row_id, lease, priority in session.execute(due).all():
        taken = session.execute(
            update(FollowUp)
            .where(FollowUp.id == row_id, FollowUp.lease == lease)
            .values(lease=lease + 1, leased_until=until)
        )
        if taken.rowcount == 1:
            won.append((row_id, lease + 1, priority))
    return won


def get_leased(session: Session, row_id: int, lease: int) -> FollowUp | None:
    """The row, if this hand-off (`lease`) is still the one that may run it."""
    return session.scalars(select(FollowUp).where(FollowUp.id == row_id, FollowUp.lease == lease)).one_or_none()


def renew_leases(session: Session, leases: dict[int, int], until: datetime) -> None:
    for row_id, lease in leases.items():
        session.execute(
            update(FollowUp).where(FollowUp.id == row_id, FollowUp.lease == lease).values(leased_until=until)
        )


def release_leases(session: Session) -> int:
    """Every row due at once: for the one worker of the embedded queue, at its start."""
    released = session.execute(update(FollowUp).where(FollowUp.leased_until.is_not(None)).values(leased_until=None))
    return released.rowcount


def claim_send(session: Session, row_id: int, number: int) -> bool:
    """The row's `number`th message, claimed for sending: False when an earlier run claimed it."""
    claimed = session.execute(
        update(FollowUp).where(FollowUp.id == row_id, FollowUp.sends < number).values(sends=number)
    )
    return claimed.rowcount == 1


def delete_follow_ups(session: Session, row_ids: set[int]) -> None:
    if row_ids:
        session.execute(delete(FollowUp).where(FollowUp.id.in_(sorted(row_ids))))


def oldest_follow_up(session: Session) -> datetime | None:
    """When the oldest follow-up not yet done was promised."""
    return session.scalar(select(func.min(FollowUp.created_at)))


def count_follow_ups(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(FollowUp)) or 0
