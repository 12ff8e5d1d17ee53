"""Exactly once through the delivery ledger, for what the clock sends: claimed right before the send,
confirmed after it, given back when Slack refuses it (the next run tries again), and kept when Slack
did not answer (it may have posted: at most once, never twice)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.ops import metrics
from storage.repository import deliveries as delivery_store
from storage.types import Workspace

log = logging.getLogger(__name__)


def deliver_once(
    sf: sessionmaker[Session],
    ws: Workspace,
    recipient: str,
    kind: str,
    period: str,
    now: datetime,
    send: Callable[[], object],
    *,
    at_claim: Callable[[Session], None] = lambda _session: None,
    undeliverable: frozenset[str] = frozenset(),
    stale_after: timedelta | None = None,
    give_back_and_raise: bool = False,
    counted: bool = True,
) -> str:
    """The ledger's protocol: claim (a unit of work of its own, with `at_claim`'s writes), send, confirm.

    Claimed right before the send, so that only the call itself lies between them. Returns "sent",
    "already" (claimed before, and with `stale_after` not yet left behind), "failed" (Slack refused:
    given back), "undeliverable" (a refusal in `undeliverable`: the claim stays, no point trying again
    this period) or "unconfirmed" (no answer: Slack may have it, so it stays claimed).
    give_back_and_raise: for a claim on a whole run (a digest), any failure gives it back and is raised.
    counted: the outcome counted in the metrics (a fan-out counting its own leaves it out)."""

    def claim_send_confirm() -> str:
        with sf.begin() as session:
            if not delivery_store.claim_delivery(session, ws, recipient, kind, period, now, stale_after=stale_after):
                return "already"
            at_claim(session)
        try:
            send()
        except Exception as error:
            if give_back_and_raise:
                _give_back(sf, ws, recipient, kind, period)
                raise
            if isinstance(error, SlackApiError):
                problem = error.response.get("error")
                if problem in undeliverable:
                    return "undeliverable"
                log.warning("A %s was refused (%s); the next run tries again", kind, problem)
                _give_back(sf, ws, recipient, kind, period)
                return "failed"
            if isinstance(error, OSError):
                problem = type(error).__name__
                log.warning("A %s is unconfirmed (%s): Slack may have it, so it stays claimed", kind, problem)
                return "unconfirmed"
            raise
        with sf.begin() as session:
            delivery_store.confirm_delivery(session, ws, recipient, kind, period, now)
        return "sent"

    outcome = claim_send_confirm()
    if counted:
        metrics.delivery(kind, outcome)
    return outcome


def _give_back(sf: sessionmaker[Session], ws: Workspace, recipient: str, kind: str, period: str) -> None:
    with sf.begin() as session:
        delivery_store.forget_delivery(session, ws, recipient, kind, period)
