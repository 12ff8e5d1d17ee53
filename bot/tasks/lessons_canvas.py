"""The lessons canvas in the retro channel, rewritten after each digest: created once (tabbed in the channel,
read-only for its members), then edited in place, and made again if someone deleted it.

It is optional: without `canvases:write`, or on a plan without canvases, the digest goes out alone and the
settings say why. A rewrite never raises (the digest is already posted) and is safe to repeat: a failure
waits for the next digest."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.lessons_canvas import NO_CANVASES, NO_SCOPE, build_lessons_canvas, lessons_canvas_title
from bot.domain.digest import digest_items
from bot.i18n import Translator, translator
from storage.repository import canvases as canvas_store
from storage.repository import digests as digest_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace

if TYPE_CHECKING:
    from bot.tasks.runtime import Runtime

log = logging.getLogger(__name__)

# Slack's answers that mean the app may not make canvases until a reinstall grants canvases:write.
NO_SCOPE_ERRORS = frozenset({"missing_scope", "not_allowed_token_type"})
# ... that the workspace's plan has no canvases, or no more of them for this channel.
NO_CANVAS_ERRORS = frozenset(
    {
        "team_tier_cannot_create_canvases",
        "team_tier_cannot_create_channel_canvases",
        "canvas_disabled_user_team",
        "free_teams_cannot_create_standalone_canvases",
        "free_teams_cannot_create_non_tabbed_canvases",
        "free_team_canvas_tab_already_exists",
        "free_teams_cannot_edit_standalone_canvases",
    }
)
# ... that the canvas kept is gone (someone deleted it): it is made again.
GONE_ERRORS = frozenset({"canvas_not_found", "canvas_deleted"})
# After its write, a rewrite reads the lessons again, and writes again if they changed meanwhile (a
# lesson made private while another rewrite of older words was landing): this many times at most.
RECHECKS = 2


def rewrite_lessons_canvas(
    sf: sessionmaker[Session], client: WebClient, ws: Workspace, channel: str, now: datetime
) -> str:
    """Write every lesson the digests carried and still shared into the channel's canvas. Returns
    "created", "edited", NO_SCOPE, NO_CANVASES or "failed"."""
    with sf() as session:
        kept = canvas_store.get_lessons_canvas(session, ws)
        kept_id, kept_channel = (kept.canvas_id, kept.channel) if kept else (None, None)
    t, content = _content(sf, ws)
    try:
        if kept_id and kept_channel != channel:  # the retro channel changed: the old one's canvas goes
            _delete_quietly(client, kept_id)
            kept_id = None
        outcome = "edited" if kept_id and _edited(client, kept_id, content) else "created"
        canvas_id = kept_id if outcome == "edited" else _create(sf, client, ws, t, content, channel, now)
        # Every time, so that a canvas whose access was not set (or was changed) is read-only again.
        client.canvases_access_set(canvas_id=canvas_id, access_level="read", channel_ids=[channel])
        for _ in range(RECHECKS):  # a rewrite of an older read may have landed after this one's
            _t, latest = _content(sf, ws)
            if latest == content:
                break
            content = latest
            _edited(client, canvas_id, content)
    except SlackApiError as error:
        return _refused(sf, ws, now, error.response.get("error"))
    except OSError as error:  # no answer: the next digest tries again
        log.warning("Lessons canvas not rewritten (%s)", type(error).__name__)
        return "failed"
    with sf.begin() as session:
        canvas_store.save_lessons_canvas(session, ws, now, canvas_id=canvas_id, channel=channel, problem=None)
    return outcome


def _content(sf: sessionmaker[Session], ws: Workspace) -> tuple[Translator, dict]:
    """The canvas as the database reads now, in the channel's language (the digest's)."""
    with sf() as session:
        language = workspace_store.get_settings(session, ws).language
        items = digest_items(digest_store.list_carried_shared(session, ws))
    t = translator(language)
    return t, {"type": "markdown", "markdown": build_lessons_canvas(t, items)}


def refresh_lessons_canvas(rt: Runtime, client: WebClient, ws: Workspace) -> None:
    """The follow-up of a change to a lesson a digest carried (made private, anonymous, deleted, edited):
    the canvas rewritten at once, not with the next digest. Nothing to do where no canvas is kept."""
    with rt.session_factory() as session:
        kept = canvas_store.get_lessons_canvas(session, ws)
    if kept is not None and kept.canvas_id and kept.channel:
        if rewrite_lessons_canvas(rt.session_factory, client, ws, kept.channel, rt.clock()) == "failed":
            # Passing trouble to the follow-up machinery: tried again until the lesson has left the canvas.
            raise ConnectionError("the lessons canvas was not rewritten")


def _edited(client: WebClient, canvas_id: str, content: dict) -> bool:
    """Replace the whole canvas; False when it is gone, so that it is made again."""
    try:
        client.canvases_edit(canvas_id=canvas_id, changes=[{"operation": "replace", "document_content": content}])
    except SlackApiError as error:
        if error.response.get("error") in GONE_ERRORS:
            return False
        raise
    return True


def _create(
    sf: sessionmaker[Session], client: WebClient, ws: Workspace, t: Translator, content: dict, channel: str, now
) -> str:
    """A new canvas in the channel's tabs, kept at once: a failure after this edits it, never makes a second."""
    canvas_id = client.canvases_create(title=lessons_canvas_title(t), document_content=content, channel_id=channel)[
        "canvas_id"
    ]
    with sf.begin() as session:
        canvas_store.save_lessons_canvas(session, ws, now, canvas_id=canvas_id, channel=channel, problem=None)
    return canvas_id


def _delete_quietly(client: WebClient, canvas_id: str) -> None:
    """The canvas of a channel that is no longer the retro channel: it would keep lessons made private since."""
    try:
        client.canvases_delete(canvas_id=canvas_id)
    except SlackApiError as error:
        if error.response.get("error") not in GONE_ERRORS:
            log.warning("Old lessons canvas not deleted (%s)", error.response.get("error"))


def _refused(sf: sessionmaker[Session], ws: Workspace, now: datetime, error: str | None) -> str:
    """Slack's no: kept for the settings to explain when only an admin can change it, logged either way."""
    problem = NO_SCOPE if error in NO_SCOPE_ERRORS else NO_CANVASES if error in NO_CANVAS_ERRORS else None
    log.warning("Lessons canvas not rewritten (%s)", error)
    if problem is None:
        return "failed"
    with sf.begin() as session:
        kept = canvas_store.get_lessons_canvas(session, ws)
        canvas_id, channel = (kept.canvas_id, kept.channel) if kept else (None, None)
        canvas_store.save_lessons_canvas(session, ws, now, canvas_id=canvas_id, channel=channel, problem=problem)
    return problem
