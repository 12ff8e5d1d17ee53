"""The delivery ledger: each scheduled message claimed once per recipient, kind and period before it is sent.
Session first; never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Delivery
from storage.types import Workspace


def claim_delivery(
    session: Session,
    ws: Workspace,
    recipient: str,
    kind: str,
    period: str,
    now: datetime,
    stale_after: timedelta | None = None,
) -> bool:
    """True once per (workspace, recipient, kind, period): the caller may send. With `stale_after`,
    a claim that was never confirmed and is older than that may be taken over."""
    try:
        with session.begin_nested():
            session.add(
                Delivery(
                    **ws.columns(),
                    recipient=recipient,
                    kind=kind,
                    period=period,
                    claimed_at=now,
                )
            )
        return True
    except IntegrityError:
        if stale_after is None:
            return False
    taken = session.execute(
        _delivery(ws, recipient, kind, period, update(Delivery))
        .where(Delivery.sent_at.is_(None), Delivery.claimed_at < now - stale_after)
        .values(claimed_at=now)
    ).rowcount
    return bool(taken)


def list_recipients(session: Session, ws: Workspace, recipients: list[str], kind: str, period: str) -> set[str]:
    """Who of `recipients` already has this period's delivery (claimed or confirmed)."""
    return set(
        session.scalars(
            select(Delivery.recipient).where(
                Delivery.enterprise_id == ws.enterprise_id,
                Delivery.team_id == ws.team_id,
                Delivery.kind == kind,
                Delivery.period == period,
                Delivery.recipient.in_(recipients),
            )
        )
    )


def confirm_delivery(session: Session, ws: Workspace, recipient: str, kind: str, period: str, now: datetime) -> None:
    session.execute(_delivery(ws, recipient, kind, period, update(Delivery)).values(sent_at=now))


def forget_delivery(session: Session, ws: Workspace, recipient: str, kind: str, period: str) -> None:
    """Sending failed: drop the claim so that a later run tries again."""
    session.execute(_delivery(ws, recipient, kind, period, delete(Delivery)))


def _delivery(ws: Workspace, recipient: str, kind: str, period: str, statement):
    return statement.where(
        Delivery.enterprise_id == ws.enterprise_id,
        Delivery.team_id == ws.team_id,
        Delivery.recipient == recipient,
        Delivery.kind == kind,
        Delivery.period == period,
    )


def list_deliveries(session: Session, ws: Workspace, recipient: str) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.enterprise_id == ws.enterprise_id, Delivery.team_id == ws.team_id)
            .where(Delivery.recipient == recipient)
            .order_by(Delivery.claimed_at, Delivery.id)
        )
    )
