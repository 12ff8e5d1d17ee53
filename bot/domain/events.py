"""Slack's Events API deliveries: each event handled once, whatever Slack retries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from storage.db import SessionFactory
from storage.repository import housekeeping as housekeeping_store


def first_delivery(sf: SessionFactory, event_id: object, now: datetime) -> bool:
    """False for Slack's retry of an Events API event already handled (it retries what it thinks we missed)."""
    if not isinstance(event_id, str) or not event_id:
        return True
    try:
        with sf.begin() as session:
            return housekeeping_store.remember_event(session, event_id[:64], now)
    except SQLAlchemyError:
        return True  # better handled twice than never: every event handler is idempotent
