"""Markdown imports awaiting their author's yes. Session first; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from storage.models import PendingImport
from storage.types import Workspace


def add_pending_import(session: Session, ws: Workspace, user_id: str, text: str, now: datetime) -> PendingImport:
    pending = PendingImport(**ws.columns(), user_id=user_id, text=text, status="pending")
    pending.created_at = now
    session.add(pending)
    session.flush()
    return pending


def get_pending_import(session: Session, ws: Workspace, user_id: str, import_id: int) -> PendingImport | None:
    pending = session.get(PendingImport, import_id)
    if pending is None or (pending.enterprise_id, pending.team_id, pending.user_id) != (
        ws.enterprise_id,
        ws.team_id,
        user_id,
    ):
        return None
    return pending


def claim_pending_import(session: Session, ws: Workspace, user_id: str, import_id: int, status: str) -> str | None:
    """The text of the person's own import awaiting their yes, now marked `status` and emptied; None
    once it was claimed (a double click) or is not theirs. One conditional UPDATE: two clicks at once
    cannot both win."""
    pending = get_pending_import(session, ws, user_id, import_id)
    if pending is None:
        return None
    text = pending.text
    claimed = session.execute(
        update(PendingImport)
        .where(PendingImport.id == import_id, PendingImport.status == "pending")
        .values(status=status, text=""),
        execution_options={"synchronize_session": False},
    ).rowcount
    return text if claimed == 1 else None


def set_pending_import_year(session: Session, ws: Workspace, user_id: str, import_id: int, year: int) -> bool:
    """The year picked for the entries without one, on the person's own import still awaiting their
    yes; False once it was imported or cancelled, or is not theirs."""
    return (
        session.execute(
            update(PendingImport)
            .where(
                PendingImport.id == import_id,
                PendingImport.enterprise_id == ws.enterprise_id,
                PendingImport.team_id == ws.team_id,
                PendingImport.user_id == user_id,
                PendingImport.status == "pending",
            )
            .values(year=year),
            execution_options={"synchronize_session": False},
        ).rowcount
        == 1
    )


def forget_pending_imports_before(session: Session, cutoff: datetime) -> int:
    return session.execute(delete(PendingImport).where(PendingImport.created_at < cutoff)).rowcount or 0
