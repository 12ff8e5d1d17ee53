"""Follow-ups and the periodic check of the workspace's tracker: an action item's issue made (once,
however often it is tried), a new connection checked, an item done because its issue was closed, and
the hourly look at the issues whose webhooks may never reach the app."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.blocks.action_items import build_item_done_message
from bot.blocks.trackers import (
    build_connection_checked_message,
    build_issue_made_message,
    build_issue_refused_message,
    build_no_tracker_message,
)
from bot.domain import trackers
from bot.domain.home import home_opened_lately
from bot.i18n import Translator
from bot.slack.api import permalink, reply
from bot.tasks.after_ack import refresh_home
from bot.tasks.outbox import once
from bot.tasks.pacing import Pacer
from bot.tasks.runtime import Runtime
from bot.trackers import TrackerBusy, TrackerRefused, client_for
from storage.db import OneSession
from storage.models import ActionItem
from storage.tokens import TokenKeyError
from storage.types import Workspace

log = logging.getLogger(__name__)

# After this many tries that found the tracker busy, the person is told, and may press again later.
ISSUE_TRIES = 5
# How far before its claim a retry looks for an issue an earlier, cut-off try made.
FIND_SINCE = timedelta(days=2)
# The periodic check: at most this many issues a workspace an hour, a few a second.
CHECK_MOST = 200
CHECKS_PER_SECOND = 2.0


def create_issue(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    item_id: int,
    response_url: str | None = None,
    look_first: bool = False,
) -> None:
    """The item's issue in the connected tracker. A try that may have made it (cut off, or timed out)
    is followed by one that first looks for it by the reference its body carries: one issue, however
    often this runs."""
    sf, t = rt.session_factory, rt.translator_for(client, ws, user_id)
    tell = lambda message: once(lambda: reply(client, user_id, response_url, message))  # noqa: E731
    try:
        access = trackers.opened_access(sf, ws, rt.token_keys)
    except TokenKeyError:
        log.error("The tracker's token of %s cannot be opened with TOKEN_ENCRYPTION_KEYS", ws.team_id)
        return _refused(rt, ws, user_id, item_id, tell, t, "", "keys")
    if access is None:
        trackers.release_claim(sf, ws, user_id, item_id)
        tell(build_no_tracker_message(t))
        return None
    draft = trackers.issue_draft(sf, ws, user_id, item_id)
    if draft is None:
        return None  # made by an earlier run, which said so
    tracker = client_for(access, rt.tracker_endpoints)
    try:
        tried = draft.tries or look_first  # a try of this press, or of an earlier one, may have made it
        issue = tracker.find(draft.ref, draft.requested_at - FIND_SINCE) if tried else None
        if issue is None:
            link = permalink(client, *draft.digest) if draft.digest else None
            issue = tracker.create(draft.title, issue_body(t, draft.lesson, link, draft.ref), draft.ref)
    except TrackerRefused as refused:
        log.warning("%s refused an issue (%s)", access.kind, refused.reason)
        return _refused(rt, ws, user_id, item_id, tell, t, access.kind, refused.reason)
    except TrackerBusy:
        if draft.tries + 1 < ISSUE_TRIES:
            raise  # passing: the follow-up is tried again
        return _refused(rt, ws, user_id, item_id, tell, t, access.kind, "busy")
    trackers.record_issue(sf, ws, user_id, item_id, access.kind, issue)
    item = _item(rt, ws, user_id, item_id)
    if item is not None:
        tell(build_issue_made_message(t, item))
    _refresh_if_looking(rt, client, ws, user_id)
    return None


def _refused(
    rt: Runtime, ws: Workspace, user_id: str, item_id: int, tell, t: Translator, kind: str, reason: str
) -> None:
    trackers.release_claim(rt.session_factory, ws, user_id, item_id)
    tell(build_issue_refused_message(t, kind, reason))


def issue_body(t: Translator, lesson: str | None, link: str | None, ref: str) -> str:
    """The issue's words: the lesson, a link to the digest that shared it (shared entries only), and
    the reference a retry finds it by. Nothing else of the entry, and never who wrote it."""
    parts = [lesson.strip()] if lesson and lesson.strip() else []
    if link:
        parts.append(t("Shared with the team in Slack: {link}", link=link))
    parts.append(t("From an action item in Failure Resume (reference {ref}).", ref=ref))
    return "\n\n".join(parts)


def check_connection(rt: Runtime, client: WebClient, ws: Workspace, user_id: str) -> None:
    """A new connection tried at once, and the admin who made it told what the tracker said."""
    sf, t = rt.session_factory, rt.translator_for(client, ws, user_id)
    connected = trackers.connected(sf, ws)
    if connected is None:
        return  # disconnected since
    try:
        client_for(trackers.opened_access(sf, ws, rt.token_keys), rt.tracker_endpoints).check()
        problem = None
    except TokenKeyError:
        problem = "keys"  # this worker's keys cannot open what the web process sealed
    except TrackerRefused as refused:
        problem = refused.reason
    trackers.note_check(sf, ws, problem)
    message = build_connection_checked_message(t, connected.kind, connected.target, problem)
    once(lambda: reply(client, user_id, None, message))


def tell_item_done(rt: Runtime, client: WebClient, ws: Workspace, user_id: str, item_id: int) -> None:
    """An item done because its issue was closed: its owner's Nice job, and their Home if they look."""
    item = _item(rt, ws, user_id, item_id)
    if item is not None and item.status == "done":
        t = rt.translator_for(client, ws, user_id)
        once(lambda: reply(client, user_id, None, build_item_done_message(t, item)))
    _refresh_if_looking(rt, client, ws, user_id)


def check_issues(rt: Runtime, client: WebClient, ws: Workspace, now: datetime) -> str:
    """The hourly look at the workspace's issues, for trackers whose webhooks cannot reach the app. An
    item its issue made done promises its owner's Nice job in the same transaction, as a webhook does."""
    from bot.tasks import follow_ups  # the follow-ups run this module's functions

    sf = rt.session_factory
    try:
        access = trackers.opened_access(sf, ws, rt.token_keys)
    except TokenKeyError:
        return "keys"
    if access is None:
        return "no tracker"
    tracker, pace, done = client_for(access, rt.tracker_endpoints), Pacer(CHECKS_PER_SECOND), 0
    for item_id, key in trackers.items_to_check(sf, ws, access.kind, now, CHECK_MOST):
        pace()
        try:
            issue = tracker.issue(key)
        except TrackerBusy:
            continue  # this one waits for the next hour; the others need not
        except TrackerRefused as refused:
            if refused.reason != "not_found":  # an issue deleted tells nothing; a refused token does
                trackers.note_check(sf, ws, refused.reason)
                return refused.reason
            continue
        with sf.begin() as session:
            item = trackers.apply_issue_state(OneSession(session), ws, item_id, issue, now)
            if item is not None:
                follow_ups.item_done(session, ws, user_id=item.owner_id, item_id=item.id)
                done += 1
    return f"{done} done"


def _item(rt: Runtime, ws: Workspace, user_id: str, item_id: int) -> ActionItem | None:
    return trackers.own_item(rt.session_factory, ws, user_id, item_id)


def _refresh_if_looking(rt: Runtime, client: WebClient, ws: Workspace, user_id: str) -> None:
    if home_opened_lately(rt.session_factory, ws, user_id, rt.clock()):
        refresh_home(rt, client, ws, user_id)
