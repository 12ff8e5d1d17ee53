"""A workspace's tracker (bot/trackers): connecting it, an action item's issue asked for once and
recorded, and an issue's change of state made its item's. Secrets are sealed here, with the keys of
TOKEN_ENCRYPTION_KEYS, before they reach the database, and opened only to call the tracker. Each
operation one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken, MultiFernet

from bot.domain.entries import NotYourEntry
from bot.trackers import Access, Issue
from bot.trackers.webhooks import IssueEvent
from storage.db import SessionFactory
from storage.models import ActionItem, Digest
from storage.repository import action_items as action_item_store
from storage.repository import trackers as tracker_store
from storage.tokens import VARIABLE, TokenKeyError
from storage.types import Workspace

# A press of *Create issue* holds the item this long; one whose follow-up failed for good may be pressed again.
CLAIM_LASTS = timedelta(minutes=15)
# The periodic check looks at items done this recently, in case their issue was reopened.
REOPEN_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Connected:
    """What the settings show of a connection: never its secrets."""

    kind: str
    target: str
    site: str | None
    problem: str | None


@dataclass(frozen=True)
class IssueRequest:
    outcome: str  # "asked" (a follow-up makes it), "made", "asking" (one is being made), "no_tracker"
    item: ActionItem
    look_first: bool = False  # an earlier press's try may have made it: find it before making one


@dataclass(frozen=True)
class IssueDraft:
    """What a follow-up needs to make an item's issue."""

    title: str
    lesson: str | None
    ref: str
    tries: int
    requested_at: datetime
    digest: tuple[str, str] | None  # the channel and message of the digest that carried a shared entry


def connected(sf: SessionFactory, ws: Workspace) -> Connected | None:
    with sf() as session:
        found = tracker_store.get_connection(session, ws)
        if found is None:
            return None
        return Connected(found.kind, found.target, found.site, found.problem)


def connect(
    sf: SessionFactory,
    ws: Workspace,
    keys: MultiFernet,
    user_id: str,
    access: Access,
    webhook_secret: str | None,
    now: datetime,
) -> None:
    """The workspace's tracker, its secrets sealed; it replaces any earlier one."""
    seal = lambda secret: keys.encrypt(secret.encode()).decode()  # noqa: E731
    with sf.begin() as session:
        before = tracker_store.get_connection(session, ws)
        # Never shown again, so never typed again: the same tracker connected anew keeps its webhook secret.
        kept = before.webhook_secret if before is not None and before.kind == access.kind else None
        tracker_store.save_connection(
            session,
            ws,
            kind=access.kind,
            target=access.target,
            site=access.site,
            account=access.account,
            secret=seal(access.secret),
            webhook_secret=seal(webhook_secret) if webhook_secret else kept,
            connected_by=user_id,
            connected_at=now,
            problem=None,
        )


def disconnect(sf: SessionFactory, ws: Workspace) -> bool:
    with sf.begin() as session:
        return tracker_store.delete_connection(session, ws)


def opened_access(sf: SessionFactory, ws: Workspace, keys: MultiFernet | None) -> Access | None:
    with sf() as session:
        found = tracker_store.get_connection(session, ws)
    if found is None:
        return None
    return Access(found.kind, found.target, _open(keys, found.secret), found.site, found.account)


def note_check(sf: SessionFactory, ws: Workspace, problem: str | None) -> None:
    with sf.begin() as session:
        found = tracker_store.get_connection(session, ws)
        if found is not None:
            found.problem = problem


def ask_for_issue(sf: SessionFactory, ws: Workspace, user_id: str, item_id: int, now: datetime) -> IssueRequest:
    """A press of *Create issue*: the item claimed for its issue, once however often it is pressed."""
    with sf.begin() as session:
        item = tracker_store.get_item_for_issue(session, ws, user_id, item_id)
        if item is None:
            raise NotYourEntry(item_id)
        if item.issue_url:
            return IssueRequest("made", item)
        if tracker_store.get_connection(session, ws) is None:
            return IssueRequest("no_tracker", item)
        tried_before = item.issue_ref is not None  # the reference is kept: a later try finds what it made
        if not tracker_store.claim_issue(session, item.id, uuid.uuid4().hex, now, now - CLAIM_LASTS):
            return IssueRequest("asking", item)
        return IssueRequest("asked", item, look_first=tried_before)


def issue_draft(sf: SessionFactory, ws: Workspace, user_id: str, item_id: int) -> IssueDraft | None:
    """The claimed item's issue to make, counted as one more try; None once it has its issue."""
    with sf.begin() as session:
        item = tracker_store.get_item_for_issue(session, ws, user_id, item_id)
        if item is None or item.issue_url or item.issue_ref is None:
            return None
        tries, item.issue_tries = item.issue_tries, item.issue_tries + 1
        entry, digest = item.entry, None
        # Named entries only: an anonymous one's digest may have carried it by name before it was made anonymous.
        if entry.visibility == "named" and entry.digest_id is not None:
            carried = session.get(Digest, entry.digest_id)
            digest = (carried.channel, carried.message_ts) if carried and carried.message_ts else None
        requested = item.issue_requested_at or item.entry.created_at
        return IssueDraft(item.text, entry.lesson, item.issue_ref, tries, requested, digest)


def own_item(sf: SessionFactory, ws: Workspace, user_id: str, item_id: int) -> ActionItem | None:
    """An action item the person owns or whose entry they wrote."""
    with sf() as session:
        return action_item_store.get_action_item(session, ws, user_id, item_id)


def record_issue(sf: SessionFactory, ws: Workspace, user_id: str, item_id: int, tracker: str, issue: Issue) -> None:
    with sf.begin() as session:
        item = tracker_store.get_item_for_issue(session, ws, user_id, item_id)
        if item is not None:
            item.issue_tracker, item.issue_key, item.issue_url, item.issue_label = (
                tracker,
                issue.key,
                issue.url,
                issue.label,
            )


def release_claim(sf: SessionFactory, ws: Workspace, user_id: str, item_id: int) -> None:
    """The tracker refused: the item may be pressed again at once (its reference kept)."""
    with sf.begin() as session:
        item = tracker_store.get_item_for_issue(session, ws, user_id, item_id)
        if item is not None and not item.issue_url:
            item.issue_requested_at = None


def follow_issue(item: ActionItem, done: bool, now: datetime) -> bool:
    """An item's status after its issue's: done when the issue is closed, open again when it is
    reopened, but only if the issue had closed it (a person's Done, or Dropped, stays theirs).
    Whether it became done."""
    if done and item.status == "open":
        action_item_store.set_action_item_status(item, "done", now)
        item.done_by_issue = True
        return True
    if not done and item.status == "done" and item.done_by_issue:
        action_item_store.set_action_item_status(item, "open", now)
    return False


def apply_issue_event(sf: SessionFactory, ws: Workspace, event: IssueEvent, now: datetime) -> list[ActionItem]:
    """A verified webhook's change in one workspace; returns the items it made done."""
    with sf.begin() as session:
        items = tracker_store.list_items_with_issue(session, ws, event.tracker, event.key)
        return [item for item in items if follow_issue(item, event.done, now)]


def webhook_secrets(sf: SessionFactory, keys: MultiFernet | None, tracker: str) -> list[tuple[Workspace, str | None]]:
    """Each workspace connected to `tracker`, with the webhook secret its admin set (opened), if any."""
    with sf() as session:
        found = tracker_store.list_connections(session, tracker)
    return [(Workspace(c.enterprise_id, c.team_id), _open_or_none(keys, c.webhook_secret)) for c in found]


def _open_or_none(keys: MultiFernet | None, sealed: str | None) -> str | None:
    """A webhook secret, or None where these keys cannot open it: that workspace's webhooks are refused,
    everyone else's still verified."""
    if not sealed or keys is None:
        return None
    try:
        return _open(keys, sealed)
    except TokenKeyError:
        return None


def _open(keys: MultiFernet | None, sealed: str) -> str:
    if keys is None:
        raise TokenKeyError(f"{VARIABLE} is not set: it opens the tracker's token stored in the database.")
    try:
        return keys.decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise TokenKeyError(
            f"{VARIABLE} cannot open the tracker's token stored in the database (a key removed?)."
        ) from None


def connected_workspaces(sf: SessionFactory) -> list[Workspace]:
    """Every workspace with a tracker, for the periodic check."""
    with sf() as session:
        return [Workspace(c.enterprise_id, c.team_id) for c in tracker_store.list_connections(session)]


def items_to_check(sf: SessionFactory, ws: Workspace, tracker: str, now: datetime, limit: int) -> list[tuple[int, str]]:
    """(item id, issue key) of the items whose issue may still change their status."""
    with sf() as session:
        items = tracker_store.list_items_to_check(session, ws, tracker, now - REOPEN_WINDOW, limit)
        return [(item.id, item.issue_key) for item in items]


def apply_issue_state(
    sf: SessionFactory, ws: Workspace, item_id: int, issue: Issue, now: datetime
) -> ActionItem | None:
    """What the periodic check found of one item's issue; the item if it became done."""
    with sf.begin() as session:
        item = session.scalar(action_item_store.items_in(ws).where(ActionItem.id == item_id))
        if item is None or item.issue_key != issue.key:
            return None
        return item if follow_issue(item, issue.done, now) else None
