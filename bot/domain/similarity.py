"""Which earlier entries are most like a new one: TF-IDF over character n-grams, fitted on one
workspace's entries (n-grams need no word splitting, so short texts, typos and Korean work
without a model download), and rapidfuzz to recognise near-duplicates.

Pure: documents in, entry IDs and scores out. Who may see which entry is decided by the caller
(bot/domain/suggestions.py), which also re-reads every candidate before showing it."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

NGRAMS = (2, 4)
# 262,144 columns: few collisions among one workspace's n-grams, and a small fixed cost per index.
FEATURES = 2**18
# Fitting on a sample keeps a big workspace's refit short and small; the vocabulary of 20,000
# texts covers nearly every n-gram the rest will use.
FIT_SAMPLE = 20_000
# New and edited entries wait in a small matrix, merged into the big one in batches.
MERGE_AFTER = 500
# A near-duplicate (the same words, reordered or with typos) counts as this similar at least.
NEAR_DUPLICATE_RATIO = 90

SLACK_MARKUP = re.compile(r"<[^>\s]*>")


@dataclass(frozen=True)
class Document:
    entry_id: int
    owner: str
    # Whether people other than the owner may be shown it (the caller decides what that means).
    shared: bool
    text: str


def normalise(text: str) -> str:
    """Mentions, links and channel names say nothing about what went wrong."""
    return SLACK_MARKUP.sub(" ", text).strip()


class SimilarityIndex:
    """One workspace's entries as TF-IDF rows. Not thread-safe: the caller holds a lock."""

    def __init__(self, documents: Iterable[Document]) -> None:
        documents = list(documents)
        texts = [normalise(d.text) for d in documents]
        sample = texts if len(texts) <= FIT_SAMPLE else random.Random(0).sample(texts, FIT_SAMPLE)
        # Hashed n-grams: an entry in words the fit never saw (the workspace's first Korean one,
        # say) still gets its columns, weighted as rare.
        self.hasher = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=NGRAMS,
            n_features=FEATURES,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )
        self.weights = TfidfTransformer(sublinear_tf=True)
        self.fitted = any(t for t in sample)
        if self.fitted:
            self.weights.fit(self.hasher.transform(sample))
        self.fitted_size = len(documents)
        self._codes: dict[str, int] = {}
        self._main = self._vectors(texts).tocsc()
        self._main_ids = np.array([d.entry_id for d in documents], dtype=np.int64)
        self._main_owners = np.array([self._code(d.owner) for d in documents], dtype=np.int32)
        self._main_shared = np.array([d.shared for d in documents], dtype=bool)
        self._alive = np.ones(len(documents), dtype=bool)
        self._row = {d.entry_id: i for i, d in enumerate(documents)}
        # entry ID -> (document, vector) for entries added or edited since the last merge
        self._recent: dict[int, tuple[Document, sparse.csr_matrix]] = {}
        self._recent_stack: tuple[list[Document], sparse.csr_matrix] | None = None

    def __len__(self) -> int:
        return len(self._row) + len(self._recent)

    def stale(self) -> bool:
        """True once the workspace has grown by half since the fit (its n-grams' weights have moved),
        or has its first entries."""
        return (not self.fitted and len(self) > 0) or len(self) > 1.5 * self.fitted_size + 10

    def _code(self, owner: str) -> int:
        return self._codes.setdefault(owner, len(self._codes))

    def _vectors(self, texts: list[str]) -> sparse.csr_matrix:
        if not self.fitted or not texts:
            return sparse.csr_matrix((len(texts), FEATURES if self.fitted else 0), dtype=np.float32)
        # In slices: one transform of 100,000 texts holds several times the result in memory.
        slices = (texts[i : i + 5_000] for i in range(0, len(texts), 5_000))
        return sparse.vstack([self.weights.transform(self.hasher.transform(part)) for part in slices]).astype(
            np.float32
        )

    def upsert(self, documents: Iterable[Document]) -> None:
        documents = list(documents)
        vectors = self._vectors([normalise(d.text) for d in documents])
        for n, document in enumerate(documents):
            self.remove(document.entry_id)
            self._recent[document.entry_id] = (document, vectors[n])
        self._recent_stack = None
        if len(self._recent) >= MERGE_AFTER:
            self._merge()

    def remove(self, entry_id: int) -> None:
        row = self._row.pop(entry_id, None)
        if row is not None:
            self._alive[row] = False
        if self._recent.pop(entry_id, None) is not None:
            self._recent_stack = None

    def _merge(self) -> None:
        recent = list(self._recent.values())
        start = self._main.shape[0]
        self._main = sparse.vstack([self._main.tocsr()] + [v for _, v in recent]).tocsc()
        self._main_ids = np.concatenate([self._main_ids, [d.entry_id for d, _ in recent]])
        self._main_owners = np.concatenate([self._main_owners, [self._code(d.owner) for d, _ in recent]])
        self._main_shared = np.concatenate([self._main_shared, [d.shared for d, _ in recent]])
        self._alive = np.concatenate([self._alive, np.ones(len(recent), dtype=bool)])
        self._row.update({d.entry_id: start + i for i, (d, _) in enumerate(recent)})
        self._recent, self._recent_stack = {}, None

    def _recent_rows(self) -> tuple[list[Document], sparse.csr_matrix]:
        """The recent entries as one matrix, stacked again only after a change."""
        if self._recent_stack is None:
            documents = [d for d, _ in self._recent.values()]
            self._recent_stack = (documents, sparse.vstack([v for _, v in self._recent.values()]).tocsr())
        return self._recent_stack

    def closest(self, text: str, viewer: str, limit: int, exclude: Iterable[int] = ()) -> list[tuple[int, float]]:
        """The entries most like `text` that `viewer` may see (their own, and shared ones), best
        first, as (entry ID, cosine similarity); only those with any n-gram in common."""
        text, exclude = normalise(text), tuple(exclude)
        if not self.fitted or not text or limit <= 0:
            return []
        query = self._vectors([text])
        if query.nnz == 0:
            return []
        found: list[tuple[int, float]] = []
        if self._main.shape[0]:
            scores = np.asarray(self._main[:, query.indices] @ query.data).ravel()
            visible = self._main_shared | (self._main_owners == self._codes.get(viewer, -1))
            rows = np.flatnonzero((scores > 0) & self._alive & visible & ~np.isin(self._main_ids, list(exclude)))
            if len(rows) > limit:  # the best `limit`, ties broken by ID so that pages never overlap
                cut = -np.partition(-scores[rows], limit - 1)[limit - 1]
                rows = rows[scores[rows] >= cut]
                rows = rows[np.lexsort((-self._main_ids[rows], -scores[rows]))[:limit]]
            found += [(int(self._main_ids[r]), float(scores[r])) for r in rows]
        if self._recent:
            documents, stack = self._recent_rows()
            scores = np.asarray((stack @ query.T).todense()).ravel()
            found += [
                (d.entry_id, float(score))
                for d, score in zip(documents, scores, strict=True)
                if score > 0 and (d.shared or d.owner == viewer) and d.entry_id not in exclude
            ]
        return sorted(found, key=lambda pair: (-pair[1], -pair[0]))[:limit]


def near_duplicate(a: str, b: str) -> bool:
    """The same mistake written again: the same words, reordered or with a typo or two."""
    return fuzz.token_set_ratio(normalise(a).lower(), normalise(b).lower()) >= NEAR_DUPLICATE_RATIO


def rescore(query: str, text: str, cosine: float) -> float:
    """A near-duplicate counts as a perfect match, whatever its n-gram weights say."""
    return 1.0 if near_duplicate(query, text) else cosine
