"""Telling a workspace's admins about something only they can fix, once."""

from __future__ import annotations

from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.languages import person_language
from bot.i18n import translator
from bot.slack.api import is_admin, workspace_members
from bot.tasks.deliveries import deliver_once
from storage.repository import people as person_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace


def workspace_admins(client: WebClient) -> list[dict]:
    """Admins and owners who are people (not bots) and still active, as users.list describes them."""
    return [
        user
        for user in workspace_members(client)
        if is_admin(user) and not (user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT")
    ]


def tell_admins_once(
    sf: sessionmaker[Session],
    client: WebClient,
    ws: Workspace,
    now: datetime,
    kind: str,
    period: str,
    message: str,
    **params: object,
) -> int:
    """DM each admin `message` (a msgid, in their own language) unless the ledger says they already
    had this (kind, period); returns how many were told."""
    told = 0
    for user in workspace_admins(client):
        admin = user["id"]
        with sf() as session:
            person, settings = person_store.get_person(session, ws, admin), workspace_store.get_settings(session, ws)
        text = translator(person_language(person, settings.language, user.get("locale")))(message, **params)
        told += (
            deliver_once(sf, ws, admin, kind, period, now, lambda: client.chat_postMessage(channel=admin, text=text))
            == "sent"
        )
    return told
