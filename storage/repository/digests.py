"""Team digests: which shared entries a digest carries, claimed all or none, and what earlier digests led to.
Session first; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import Digest, Entry
from storage.repository.action_items import items_in
from storage.types import Workspace


def list_undigested_shared(session: Session, ws: Workspace) -> list[Entry]:
    """Shared entries no digest has carried yet, oldest share first. Private entries never."""
    return list(
        session.scalars(
            select(Entry)
            .where(
                Entry.enterprise_id == ws.enterprise_id,
                Entry.team_id == ws.team_id,
                Entry.visibility.in_(("anonymous", "named")),
                Entry.digest_id.is_(None),
            )
            .order_by(Entry.shared_at, Entry.id)
        )
    )


class AlreadyInADigest(Exception):
    """Another process put some of these entries in its digest first."""


def claim_for_digest(session: Session, ws: Workspace, entry_ids: list[int], channel: str, now: datetime) -> Digest:
    """Mark entries as carried by a new digest, all or none (the caller's unit of work rolls back)."""
    digest = Digest(**ws.columns(), channel=channel, posted_at=now)
    session.add(digest)
    session.flush()
    claimed = session.execute(
        update(Entry)
        .where(
            Entry.enterprise_id == ws.enterprise_id,
            Entry.team_id == ws.team_id,
            Entry.id.in_(entry_ids),
            Entry.digest_id.is_(None),
            Entry.visibility != "private",
        )
        .values(digest_id=digest.id)
    ).rowcount
    if claimed != len(entry_ids):
        raise AlreadyInADigest
    return digest


def release_digest(session: Session, ws: Workspace, digest_id: int) -> None:
    """A digest that could not be posted gives its entries back for the next one."""
    in_workspace = (Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id)
    session.execute(update(Entry).where(*in_workspace, Entry.digest_id == digest_id).values(digest_id=None))
    session.execute(
        delete(Digest).where(
            Digest.enterprise_id == ws.enterprise_id, Digest.team_id == ws.team_id, Digest.id == digest_id
        )
    )


def release_unposted_digests(session: Session, ws: Workspace, claimed_before: datetime) -> None:
    """Digests claimed long ago but never posted (their process died) give their entries back."""
    stale = session.scalars(
        select(Digest.id).where(
            Digest.enterprise_id == ws.enterprise_id,
            Digest.team_id == ws.team_id,
            Digest.message_ts.is_(None),
            Digest.posted_at < claimed_before,
        )
    ).all()
    for digest_id in stale:
        release_digest(session, ws, digest_id)


def _posted_digests(ws: Workspace) -> tuple:
    """The workspace's digests that Slack accepted (a claimed one has no message yet)."""
    return Digest.enterprise_id == ws.enterprise_id, Digest.team_id == ws.team_id, Digest.message_ts.is_not(None)


def last_digest_posted_at(session: Session, ws: Workspace) -> datetime | None:
    return session.scalar(select(func.max(Digest.posted_at)).where(*_posted_digests(ws)))


def list_recent_digest_safeguards(session: Session, ws: Workspace, digests: int) -> list[list[list[str]]]:
    """The safeguards named by each entry of the last `digests` digests, oldest digest first."""
    recent = list(
        session.scalars(
            select(Digest.id)
            .where(*_posted_digests(ws))
            .order_by(Digest.posted_at.desc(), Digest.id.desc())
            .limit(digests)
        )
    )
    rows = session.execute(
        select(Entry.digest_id, Entry.safeguards).where(
            Entry.enterprise_id == ws.enterprise_id, Entry.team_id == ws.team_id, Entry.digest_id.in_(recent)
        )
    )
    named: dict[int, list[list[str]]] = {digest_id: [] for digest_id in recent}
    for digest_id, safeguards in rows:
        named[digest_id].append(list(safeguards or []))
    return [named[digest_id] for digest_id in reversed(recent)]


def count_shared_items_done(
    session: Session, ws: Workspace, since: datetime | None, until: datetime
) -> tuple[int, int]:
    """The action items of entries carried by earlier digests: how many were done between `since`
    and `until`, and how many are still open."""
    posted = select(Digest.id).where(*_posted_digests(ws))
    carried = items_in(ws).where(Entry.digest_id.in_(posted)).subquery()
    done = select(func.count()).select_from(carried).where(carried.c.status == "done", carried.c.done_at <= until)
    if since is not None:
        done = done.where(carried.c.done_at > since)
    still_open = select(func.count()).select_from(carried).where(carried.c.status == "open")
    return session.scalar(done) or 0, session.scalar(still_open) or 0


def list_carried_shared(session: Session, ws: Workspace) -> list[Entry]:
    """The entries posted digests carried that are still shared (one made private or deleted since
    drops out), newest digest first, then newest share."""
    return list(
        session.scalars(
            select(Entry)
            .join(Digest, Entry.digest_id == Digest.id)
            .where(
                *_posted_digests(ws),
                Entry.enterprise_id == ws.enterprise_id,
                Entry.team_id == ws.team_id,
                Entry.visibility.in_(("anonymous", "named")),
            )
            .order_by(Digest.posted_at.desc(), Digest.id.desc(), Entry.id.desc())
        )
    )
