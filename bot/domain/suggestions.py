"""Earlier entries like a new one, and search: who may be shown what, from an index kept fresh.

Each worker process keeps one similarity index per workspace it has served lately. Before a
lookup the index takes in the entries changed since it last looked; every candidate it finds is
then read again from the database with the visibility rule in the query itself, so an entry
deleted, erased or made private a moment ago is never shown, whatever the index still holds.

With the worker's sentence encoder (bot/domain/meaning.py) the index holds each entry's stored
meaning, and a lookup ranks by meaning and words together (bot/domain/similarity.py): the same
mistake in other words, or in the other language, is found too. Without it (SIMILAR_BY_MEANING=false,
or in a process that never loads it), by words alone, each with its own threshold.

Who may be shown what: a person's own entries (any visibility); others' named entries, as the
team's lesson, with their month; others' anonymous entries only once a digest carried them, and
then only their words, with no date or anything else that could point at their author."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from cachetools import LRUCache
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Entry
from storage.repository import entry_index as entry_index_store
from storage.types import IndexedEntry, Workspace

if TYPE_CHECKING:
    from bot.domain.meaning import Encoder

# The score (or a near-duplicate's 1.0) from which an earlier entry counts as "something like this".
# By words alone: bench/similarity.py chose 0.275 on its first labelled set's dev half (the lowest from
# which precision stays at 0.85); 0.30 keeps a margin, so that a second set written apart by another
# author stays above precision 0.8 too: say nothing rather than something unrelated.
SIMILAR_FROM = 0.3
# By meaning and words: the lowest score from which precision on both earlier sets together stays at
# 0.9 or more, each set scored with a meaning adapter learned on the other (bench/similarity.py); the
# third set, written apart, was never used to choose.
SIMILAR_BY_MEANING_FROM = 0.305
# Search shows the best matches first, down to this score: below it, an entry shares only a
# syllable or two with the words (or, by meaning, is about as close as two unrelated mistakes are).
SEARCH_FROM = 0.1
SEARCH_BY_MEANING_FROM = 0.2
# How many of the index's best candidates are read again and scored.
CANDIDATES = 10
# A transaction may commit a little after the time it wrote into updated_at (and another host's
# clock may be a little behind): each look takes in what changed since the last one, less a few
# seconds, and every SWEEP_SECONDS it looks back a whole minute for the rare later commit. (Looking
# back the whole minute every time read each entry of a burst again for every later lookup.)
RECENT_SLACK = timedelta(seconds=3)
COMMIT_SLACK = timedelta(seconds=60)
SWEEP_SECONDS = 10.0
# Deleted entries stay in the index (never shown) until it is rebuilt.
REBUILD_AFTER_SECONDS = 3600
WORKSPACES_KEPT = 32


@dataclass(frozen=True)
class Suggestion:
    """An entry as someone other than its owner may be shown it (or as its owner sees it)."""

    entry_id: int
    what_happened: str
    lesson: str | None
    # None for someone else's anonymous entry: its date could point at its author.
    happened_on: date | None
    origin: str  # "own", "team" (a teammate's named entry) or "anonymous" (a teammate's anonymous one)
    score: float


@dataclass(frozen=True)
class SearchPage:
    words: str
    found: list[Suggestion]
    page: int
    more: bool


@dataclass
class _Kept:
    index: object  # a SimilarityIndex
    built_at: float
    synced_at: datetime | None
    swept_at: float = 0.0
    # The rows changed in the last COMMIT_SLACK as last seen (entry ID -> updated_at).
    window: dict[int, datetime] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _document(row: IndexedEntry):
    from bot.domain.meaning import from_bytes
    from bot.domain.similarity import Document

    return Document(row.id, row.user_id, row.seen_by_the_team, row.what_happened, from_bytes(row.meaning))


def _suggestion(entry: Entry, viewer: str, score: float) -> Suggestion:
    if entry.user_id == viewer:
        origin = "own"
    else:
        origin = "anonymous" if entry.visibility == "anonymous" else "team"
    day = None if origin == "anonymous" or entry.day_known is False else entry.happened_on
    return Suggestion(entry.id, entry.what_happened, entry.lesson, day, origin, score)


class Suggestions:
    def __init__(self, session_factory: sessionmaker[Session], encoder: Encoder | None = None) -> None:
        """encoder: the worker's sentence encoder, to rank by meaning too; None ranks by words alone."""
        self.session_factory = session_factory
        self.encoder = encoder
        self._kept: LRUCache = LRUCache(maxsize=WORKSPACES_KEPT)
        self._lock = threading.Lock()

    @property
    def method(self) -> str:
        return "meaning and words" if self.encoder else "words"

    def similar(
        self,
        ws: Workspace,
        viewer: str,
        text: str,
        limit: int = 1,
        exclude: tuple[int, ...] = (),
        at_least: float | None = None,
    ) -> list[Suggestion]:
        """The earlier entries most like `text` that have a lesson, best first, only those similar enough
        (by default, from the method's own threshold)."""
        from bot.domain.similarity import rescore

        if at_least is None:
            at_least = SIMILAR_BY_MEANING_FROM if self.encoder else SIMILAR_FROM
        found = []
        for entry, score in self._candidates(ws, viewer, text, CANDIDATES, exclude):
            score = rescore(text, entry.what_happened, score)
            if entry.lesson and score >= at_least:
                found.append(_suggestion(entry, viewer, score))
        return sorted(found, key=lambda s: -s.score)[:limit]

    def search(self, ws: Workspace, viewer: str, words: str, page: int, size: int) -> SearchPage:
        """Page `page` of the entries `viewer` may see that best match `words`, best first."""
        wanted = (page + 1) * size + 1  # one more than the page, to know whether another follows
        at_least = SEARCH_BY_MEANING_FROM if self.encoder else SEARCH_FROM
        found = [
            _suggestion(entry, viewer, score)
            for entry, score in self._candidates(ws, viewer, words, wanted, ())
            if score >= at_least
        ]
        return SearchPage(words, found[page * size : (page + 1) * size], page, len(found) > (page + 1) * size)

    def _candidates(self, ws, viewer, text, limit, exclude) -> list[tuple[Entry, float]]:
        kept = self._fresh(ws)
        meaning = self.encoder.of_query(text) if self.encoder else None
        with kept.lock:
            found = kept.index.closest(text, viewer, limit, exclude, meaning)
        with self.session_factory() as session:
            visible = {
                e.id: e for e in entry_index_store.list_visible_entries(session, ws, viewer, [i for i, _ in found])
            }
        return [(visible[i], score) for i, score in found if i in visible]

    @property
    def _model(self) -> str | None:
        return self.encoder.model if self.encoder else None

    def _fresh(self, ws: Workspace) -> _Kept:
        with self._lock:
            kept = self._kept.get(ws)
            if kept is None:
                kept = self._kept[ws] = _Kept(index=None, built_at=0.0, synced_at=None)
        with kept.lock:
            old = kept.index is None or kept.index.stale() or time.monotonic() - kept.built_at > REBUILD_AFTER_SECONDS
            synced_at, now = datetime.now(UTC), time.monotonic()
            with self.session_factory() as session:
                if old:
                    from bot.domain.similarity import SimilarityIndex

                    rows = entry_index_store.list_indexed_entries(session, ws, meaning_model=self._model)
                    kept.index = SimilarityIndex(_document(row) for row in rows)
                    kept.built_at = kept.swept_at = now
                    kept.window = {r.id: r.updated_at for r in rows}
                else:
                    sweep = now - kept.swept_at >= SWEEP_SECONDS
                    since = kept.synced_at - (COMMIT_SLACK if sweep else RECENT_SLACK)
                    seen = [at for at in kept.window.values() if at > since]
                    if not sweep and entry_index_store.count_changes(session, ws, since) == (
                        len(seen),
                        max(seen, default=None),
                    ):
                        changed_at = {}  # nothing new since the last look
                    else:
                        changed_at = entry_index_store.entry_change_times(session, ws, since)
                    # The look-back returns rows seen last time again: only those whose time moved are read whole.
                    moved = [i for i, at in changed_at.items() if kept.window.get(i) != at]
                    if moved:
                        changed = entry_index_store.list_indexed_entries(session, ws, moved, meaning_model=self._model)
                        kept.index.upsert(_document(r) for r in changed)
                    kept.window.update(changed_at)
                    if sweep:
                        kept.swept_at = now
            if kept.swept_at == now:  # what is older than the longest look-back will not be seen again
                kept.window = {i: at for i, at in kept.window.items() if at > synced_at - COMMIT_SLACK}
            kept.synced_at = synced_at
        return kept
