"""Exactly once through the delivery ledger, for what the clock sends: claimed right before the send,
confirmed after it, given back when Slack refuses it (the next run tries again), and kept when Slack
did not answer (it may have posted: at most once, never twice)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.ops import metrics
from storage import repository as repo
from storage.repository import Workspace

log = logging.getLogger(__name__)


def deliver_once(
    sf: sessionmaker[Session],
    ws: Workspace,
    recipient: str,
    kind: str,
    period: str,
    now: datetime,
    send: Callable[[], object],
) -> str:
    """ "sent", "already" (claimed before), "failed" (Slack refused: given back) or "unconfirmed"."""
    outcome = _deliver_once(sf, ws, recipient, kind, period, now, send)
    metrics.delivery(kind, outcome)
    return outcome


def _deliver_once(sf, ws: Workspace, recipient: str, kind: str, period: str, now: datetime, send) -> str:
    with sf.begin() as session:
        if not repo.claim_delivery(session, ws, recipient, kind, period, now):
            return "already"
    try:
        send()
    except SlackApiError as error:
        log.warning("A %s was refused (%s); the next run tries again", kind, error.response.get("error"))
        with sf.begin() as session:
            repo.forget_delivery(session, ws, recipient, kind, period)
        return "failed"
    except OSError as error:
        log.warning("A %s is unconfirmed (%s): Slack may have it, so it stays claimed", kind, type(error).__name__)
        return "unconfirmed"
    with sf.begin() as session:
        repo.confirm_delivery(session, ws, recipient, kind, period, now)
    return "sent"
