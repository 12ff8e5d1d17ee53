"""Each entry's meaning (bot/domain/meaning.py), made by a worker that has the sentence encoder: a
follow-up of each save or edit of an entry's words, and a backlog run for the entries stored without
one (before meanings existed, imported, or whose follow-up was lost), enqueued at every worker's
start and by the clock. A worker without the encoder (SIMILAR_BY_MEANING=false) does neither."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.tasks.runtime import Runtime
from storage.types import Workspace

log = logging.getLogger(__name__)

# A backlog run embeds this many entries at a time, and stops after RUN_MOST (a few seconds of a
# worker thread) to let other work in; the next run is enqueued then.
BATCH = 64
RUN_MOST = 1024


def embed_entry(rt: Runtime, client: WebClient, ws: Workspace, entry_id: int) -> None:
    """The follow-up of a save: the entry's meaning, stored with it."""
    if rt.encoder is None:
        return
    from bot.domain.meaning import make_meaning

    make_meaning(rt.session_factory, rt.encoder, ws, entry_id)


def embed_backlog(rt: Runtime) -> bool:
    """Up to RUN_MOST entries without a meaning, made; whether more may be waiting."""
    if rt.encoder is None:
        return False
    from bot.domain.meaning import make_missing_meanings

    made, more = 0, True
    while more and made < RUN_MOST:
        found, stored = make_missing_meanings(rt.session_factory, rt.encoder, BATCH)
        made += stored
        # A batch that stored nothing was edited under it: the next run (the clock's) reads it again.
        more = found == BATCH and stored > 0
    if made:
        log.info("Meanings made for %s stored entries", made)
    return more
