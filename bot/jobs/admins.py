"""Telling a workspace's admins about something only they can fix, once."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.api import is_admin, workspace_members
from storage import repository as repo
from storage.repository import Workspace

log = logging.getLogger(__name__)


def workspace_admins(client: WebClient) -> list[str]:
    """Admins and owners who are people (not bots) and still active."""
    return [
        user["id"]
        for user in workspace_members(client)
        if is_admin(user) and not (user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT")
    ]


def tell_admins_once(
    sf: sessionmaker[Session], client: WebClient, ws: Workspace, now: datetime, kind: str, period: str, text: str
) -> int:
    """DM each admin `text` unless the ledger says they already had this (kind, period); returns how many were told."""
    told = 0
    for admin in workspace_admins(client):
        with sf.begin() as session:
            if not repo.claim_delivery(session, ws, admin, kind, period, now):
                continue
        try:
            client.chat_postMessage(channel=admin, text=text)
        except SlackApiError as error:
            log.warning("Could not tell an admin about %s (%s)", kind, error.response.get("error"))
            with sf.begin() as session:
                repo.forget_delivery(session, ws, admin, kind, period)
            continue
        with sf.begin() as session:
            repo.confirm_delivery(session, ws, admin, kind, period, now)
        told += 1
    return told
