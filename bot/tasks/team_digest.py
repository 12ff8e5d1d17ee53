"""The team digest job: post the lessons people chose to share to the retro channel."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.digest import build_digest_messages
from bot.domain.digest import (
    TREND_PERIODS,
    DigestProgress,
    digest_items,
    safeguard_trend,
    select_for_digest,
)
from bot.i18n import N_, translator
from bot.slack.api import post_joining
from bot.tasks.admins import tell_admins_once
from bot.tasks.lessons_canvas import rewrite_lessons_canvas
from bot.tasks.pacing import Pacer
from storage.models import Digest
from storage.repository import digests as digest_store
from storage.repository import workspaces as workspace_store
from storage.repository.digests import AlreadyInADigest
from storage.types import Workspace

log = logging.getLogger(__name__)

# Slack posts about one message a second to one channel.
CHANNEL_POSTS_PER_SECOND = 1.0
# A digest claimed this long ago and still not posted was left by a process that died.
STALE_CLAIM = timedelta(minutes=10)
# Slack's answers that mean the channel itself is the problem, which only an admin can fix.
CHANNEL_PROBLEMS = {"channel_not_found", "is_archived", "method_not_supported_for_channel_type", "not_in_channel"}


def post_team_digest(
    sf: sessionmaker[Session], client: WebClient, ws: Workspace, now: datetime, default_channel: str | None
) -> str:
    """Post every shared entry no digest has carried yet (anonymous ones once there is a crowd).

    Once posted, the retro channel's lessons canvas is rewritten (bot.tasks.lessons_canvas); a canvas
    that fails never undoes or repeats the digest.

    Returns what happened: "posted", "nothing", "no_channel", "channel_problem" or "already"
    (another process claimed the entries first). Entries are claimed before posting, so two
    schedulers never post one entry twice. A digest whose post failed gives its entries back at
    once; one left unposted by a process that died is given back by the next run after
    STALE_CLAIM, so entries are not lost (in the rare case that Slack had accepted the post just
    before the process died, they appear in a second digest)."""
    with sf.begin() as session:
        digest_store.release_unposted_digests(session, ws, now - STALE_CLAIM)
    with sf() as session:
        settings = workspace_store.get_settings(session, ws)
        pending = digest_store.list_undigested_shared(session, ws)
    t = translator(settings.language)  # the channel's language, an admin's setting
    channel = settings.retro_channel or default_channel
    if not pending:
        return "nothing"
    if not channel:
        _tell_admins_no_channel(sf, client, ws, now)
        return "no_channel"
    chosen = select_for_digest(pending, settings.anonymity_crowd)
    if not chosen:
        return "nothing"
    try:
        with sf.begin() as session:
            digest_id = digest_store.claim_for_digest(session, ws, [e.id for e in chosen], channel, now).id
    except AlreadyInADigest:
        return "already"

    with sf() as session:
        progress = digest_progress(session, ws, chosen, now)
    messages = build_digest_messages(t, digest_items(chosen), progress)
    try:
        first_ts = post_joining(client, channel, messages[0])["ts"]
    except (SlackApiError, OSError) as error:
        with sf.begin() as session:
            digest_store.release_digest(session, ws, digest_id)
        problem = error.response.get("error") if isinstance(error, SlackApiError) else None
        if problem not in CHANNEL_PROBLEMS:
            raise
        _tell_admins_channel_problem(sf, client, ws, now, channel, problem)
        return "channel_problem"
    with sf.begin() as session:
        session.get(Digest, digest_id).message_ts = first_ts
    _post_continuations(client, channel, first_ts, messages[1:])
    _rewrite_canvas(sf, client, ws, channel, now)
    return "posted"


def _rewrite_canvas(sf: sessionmaker[Session], client: WebClient, ws: Workspace, channel: str, now: datetime) -> None:
    """The digest is out: a canvas the database could not be read for waits for the next digest."""
    try:
        outcome = rewrite_lessons_canvas(sf, client, ws, channel, now)
    except SQLAlchemyError as error:
        log.warning("Lessons canvas not rewritten (%s)", type(error).__name__)
        return
    log.info("Lessons canvas for %s: %s", ws.team_id, outcome)


def _post_continuations(client: WebClient, channel: str, first_ts: str, messages: list[dict]) -> None:
    """The rest of a long digest, in the first message's thread. The digest is out: a failed
    continuation is logged, never posted again from the start."""
    pace = Pacer(CHANNEL_POSTS_PER_SECOND)
    for message in messages:
        try:
            pace()
            client.chat_postMessage(channel=channel, thread_ts=first_ts, **message)
        except SlackApiError as error:
            log.warning("Digest continuation not posted (%s)", error.response.get("error"))


def _tell_admins_no_channel(sf: sessionmaker[Session], client: WebClient, ws: Workspace, now: datetime) -> None:
    tell_admins_once(
        sf,
        client,
        ws,
        now,
        "digest_no_channel",
        "once",
        N_(
            "Failure Resume has lessons to share in a team digest, but no retro channel is set. "
            "An admin can choose one with `/fail settings`."
        ),
    )


def _tell_admins_channel_problem(
    sf: sessionmaker[Session], client: WebClient, ws: Workspace, now: datetime, channel: str, problem: str
) -> None:
    tell_admins_once(
        sf,
        client,
        ws,
        now,
        "digest_channel_problem",
        f"{now.year}-{now.month:02d}",
        N_(
            "Failure Resume could not post the team digest to <#{channel}> ({problem}). If it is a private "
            "channel, please invite the app to it; otherwise choose another with `/fail settings`."
        ),
        channel=channel,
        problem=problem,
    )


def digest_progress(session: Session, ws: Workspace, chosen: list, now: datetime) -> DigestProgress:
    """Read before this digest is claimed: "since the last one" means the last one posted."""
    since = digest_store.last_digest_posted_at(session, ws)
    done, still_open = digest_store.count_shared_items_done(session, ws, since, now)
    earlier = digest_store.list_recent_digest_safeguards(session, ws, TREND_PERIODS - 1)
    return DigestProgress(done, still_open, safeguard_trend(earlier + [[list(e.safeguards) for e in chosen]]))
