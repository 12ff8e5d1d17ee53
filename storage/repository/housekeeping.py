"""The app's own bookkeeping, no person's data: the scheduler lease, Slack's retried events, expired OAuth
states. Session first; never commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Base, ProcessedEvent, SchedulerLease


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the named lease; False while another live holder has it."""
    renewed = session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    ).rowcount
    if renewed:
        return True
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


def remember_event(session: Session, event_id: str, now: datetime) -> bool:
    """True the first time an Events API event id is seen, False for Slack's retries of it."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
        return True
    except IntegrityError:
        return False


def forget_events_before(session: Session, cutoff: datetime) -> int:
    return session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)).rowcount


def forget_expired_oauth_states(session: Session, now: datetime) -> int:
    """Each visit to the install page leaves a state row; the ones nobody came back with go."""
    states = Base.metadata.tables["slack_oauth_states"]
    # slack_sdk writes naive UTC times.
    return session.execute(delete(states).where(states.c.expire_at < now.astimezone(UTC).replace(tzinfo=None))).rowcount
