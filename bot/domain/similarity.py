"""Which earlier entries are most like a new one, by their words and by their meaning.

Words: TF-IDF over hashed character n-grams, fitted on one workspace's entries (n-grams need no word
splitting, so short texts, typos and Korean work), and rapidfuzz to recognise near-duplicates.
Meaning: each entry's vector from the multilingual sentence encoder (bot/domain/meaning.py), made
once by a worker and stored with the entry; an index only loads them. An English mistake and a
Korean lesson of the same mistake share no n-gram, and their vectors are close.

The score that ranks earlier entries is MEANING_WEIGHT of the cosine of the meanings plus the rest of
the cosine of the words, for the entries that have a vector and when the lookup has one; the cosine
of the words alone otherwise (the encoder turned off, or an entry not embedded yet). Between texts
in different scripts (English and Korean) words have nothing to say: the meaning alone counts there,
scaled by ACROSS_SCRIPTS.

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

# Character n-grams of 2 to 4 within each word padded with a space, as scikit-learn's "char_wb".
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
# The share of meaning in the score; chosen with the threshold by bench/similarity.py.
MEANING_WEIGHT = 0.6
# Across scripts, the meaning alone times this: the threshold bench/similarity.py chose for meaning
# alone (0.450) then meets the one for meaning and words (0.305).
ACROSS_SCRIPTS = 0.305 / 0.450
# Meanings are compared first by 512-bit signatures (random hyperplanes: the share of bits that
# differ estimates the angle), then exactly for this many more entries than were asked for.
SIGNATURE_BITS = 512
EXACT_EXTRA = 50
# The length of a meaning vector (the encoder's); a vector of another length is left out.
MEANING_SIZE = 512

SLACK_MARKUP = re.compile(r"<[^>\s]*>")


@dataclass(frozen=True)
class Document:
    entry_id: int
    owner: str
    # Whether people other than the owner may be shown it (the caller decides what that means).
    shared: bool
    text: str
    # The entry's meaning (bot/domain/meaning.py), or None where it has none yet.
    meaning: np.ndarray | None = None


def normalise(text: str) -> str:
    """Mentions, links and channel names say nothing about what went wrong."""
    return SLACK_MARKUP.sub(" ", text).strip()


LATIN, HANGUL, OTHER = 1, 2, 4
_LATIN = re.compile(r"[A-Za-z]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_OTHER = re.compile(r"[^\W\dA-Za-z_\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def scripts(text: str) -> int:
    """Which scripts the letters of `text` are in, as bits: two texts with no bit in common share no word."""
    found = LATIN if _LATIN.search(text) else 0
    found |= HANGUL if _HANGUL.search(text) else 0
    return found | (OTHER if _OTHER.search(text) else 0)


# -- words ---------------------------------------------------------------------------------------

_MULTIPLIER = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)


def _ngram_counts(texts: list[str]) -> sparse.csr_matrix:
    """Each text's character n-grams within its words (each word padded with a space, lower case),
    counted in FEATURES hashed columns. Stable across processes: a polynomial hash of code points."""
    docs = [f" {' '.join(t.lower().split())} " for t in texts]
    points = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    doc_of = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
    space = points == ord(" ")
    rows, columns = [], []
    low, high = NGRAMS
    for n in range(low, high + 1):
        starts = np.arange(max(0, len(points) - n + 1))
        # Within one text, and within one padded word: no space inside the n-gram, only at its ends.
        inside = doc_of[starts] == doc_of[starts + n - 1]
        for k in range(1, n - 1):
            inside &= ~space[starts + k]
        if n == 2:
            inside &= ~(space[starts] & space[starts + 1])  # an empty text's two spaces
        starts = starts[inside]
        hashed = np.full(len(starts), n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(n):
                hashed = hashed * _MULTIPLIER + points[starts + k]
            hashed ^= hashed >> np.uint64(29)
            hashed *= _MIX
            hashed ^= hashed >> np.uint64(32)
        rows.append(doc_of[starts])
        columns.append((hashed & np.uint64(FEATURES - 1)).astype(np.int64))
    rows, columns = np.concatenate(rows), np.concatenate(columns)
    counts = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(len(texts), FEATURES), dtype=np.float32
    )
    counts.sum_duplicates()
    return counts


class _Weights:
    """TF-IDF: 1 + log of each n-gram's count, times its smoothed inverse document frequency, each row
    scaled to unit length (scikit-learn's TfidfTransformer(sublinear_tf=True))."""

    def __init__(self, sample: sparse.csr_matrix) -> None:
        documents = np.bincount(sample.indices, minlength=FEATURES)
        self.idf = (np.log((1 + sample.shape[0]) / (1 + documents)) + 1).astype(np.float32)

    def __call__(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        weighted = counts.copy()
        weighted.data = (1 + np.log(weighted.data)) * self.idf[weighted.indices]
        lengths = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        lengths[lengths == 0] = 1
        return sparse.diags(1 / lengths).astype(np.float32) @ weighted


# -- meaning -------------------------------------------------------------------------------------

# The hyperplanes of the signatures: fixed, so that every index signs alike.
_HYPERPLANES = np.random.default_rng(19).standard_normal((MEANING_SIZE, SIGNATURE_BITS)).astype(np.float32)
# cos(pi * differing bits / SIGNATURE_BITS), by the number of differing bits.
_COSINES = np.cos(np.arange(SIGNATURE_BITS + 1) * np.pi / SIGNATURE_BITS).astype(np.float32)


def _signatures(vectors: np.ndarray) -> np.ndarray:
    return np.packbits(vectors @ _HYPERPLANES > 0, axis=1).view(np.uint64).reshape(len(vectors), -1)


def _usable(meaning: np.ndarray | None) -> np.ndarray | None:
    return meaning if meaning is not None and meaning.shape == (MEANING_SIZE,) else None


class _Meanings:
    """The vectors of a list of rows (float16, zero where a row has none), their lengths and signatures."""

    def __init__(self, vectors: list[np.ndarray | None], signed: bool = True) -> None:
        """signed: with the signatures that `estimate` reads (the recent rows are only compared exactly)."""
        self.has = np.array([_usable(v) is not None for v in vectors], dtype=bool)
        self.vectors = np.zeros((len(vectors), MEANING_SIZE), dtype=np.float16)
        for row in np.flatnonzero(self.has):
            self.vectors[row] = vectors[row]
        self.lengths = np.zeros(len(vectors), dtype=np.float32)
        # Word by word (64 bits of every row, then the next 64): counting bits runs down whole columns.
        self.signatures = np.zeros((SIGNATURE_BITS // 64, len(vectors) if signed else 0), dtype=np.uint64)
        for start in range(0, len(vectors), 8192):  # in slices: no float32 copy of the whole matrix
            exact = self.vectors[start : start + 8192].astype(np.float32)
            self.lengths[start : start + 8192] = np.linalg.norm(exact, axis=1)
            if signed:
                self.signatures[:, start : start + 8192] = _signatures(exact).T

    def estimate(self, query_signature: np.ndarray) -> np.ndarray:
        """Every row's dot product with the query, estimated from the signatures (about 1 ms for 100,000)."""
        differing = np.bitwise_count(self.signatures[0] ^ query_signature[0]).astype(np.uint16)
        for word in range(1, len(query_signature)):
            differing += np.bitwise_count(self.signatures[word] ^ query_signature[word])
        return self.lengths * _COSINES[differing]

    def exact(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        return self.vectors[rows].astype(np.float32) @ query

    @staticmethod
    def concatenate(parts: list[_Meanings]) -> _Meanings:
        joined = _Meanings([])
        joined.has = np.concatenate([p.has for p in parts])
        joined.vectors = np.concatenate([p.vectors for p in parts])
        joined.lengths = np.concatenate([p.lengths for p in parts])
        joined.signatures = np.concatenate([p.signatures for p in parts], axis=1)
        return joined


def _combined(words: np.ndarray, meaning: np.ndarray, has: np.ndarray, across: np.ndarray) -> np.ndarray:
    """The score of rows with these cosines of words and meanings (`has`: a row has a meaning; `across`:
    its script is not the lookup's)."""
    both = MEANING_WEIGHT * meaning + (1 - MEANING_WEIGHT) * words
    return np.where(has, np.where(across, ACROSS_SCRIPTS * meaning, both), words)


# -- the index -----------------------------------------------------------------------------------


class SimilarityIndex:
    """One workspace's entries as TF-IDF rows and meaning vectors. Not thread-safe: the caller holds a lock."""

    def __init__(self, documents: Iterable[Document]) -> None:
        documents = list(documents)
        texts = [normalise(d.text) for d in documents]
        sample = texts if len(texts) <= FIT_SAMPLE else random.Random(0).sample(texts, FIT_SAMPLE)
        # Hashed n-grams: an entry in words the fit never saw (the workspace's first Korean one,
        # say) still gets its columns, weighted as rare.
        self.fitted = any(t for t in sample)
        self.weights = _Weights(_ngram_counts(sample)) if self.fitted else None
        self.fitted_size = len(documents)
        self._codes: dict[str, int] = {}
        self._main = self._vectors(texts).tocsc()
        self._main_meanings = _Meanings([d.meaning for d in documents])
        self._main_scripts = np.array([scripts(t) for t in texts], dtype=np.int8)
        self._main_ids = np.array([d.entry_id for d in documents], dtype=np.int64)
        self._main_owners = np.array([self._code(d.owner) for d in documents], dtype=np.int32)
        self._main_shared = np.array([d.shared for d in documents], dtype=bool)
        self._alive = np.ones(len(documents), dtype=bool)
        self._row = {d.entry_id: i for i, d in enumerate(documents)}
        # entry ID -> (document, its row, its scripts) for entries added or edited since the last merge
        self._recent: dict[int, tuple[Document, sparse.csr_matrix, int]] = {}
        self._recent_stack: tuple[list[Document], sparse.csr_matrix, _Meanings, np.ndarray] | None = None

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
        # In slices: the n-grams of 100,000 texts at once hold several times the result in memory.
        slices = (texts[i : i + 5_000] for i in range(0, len(texts), 5_000))
        return sparse.vstack([self.weights(_ngram_counts(part)) for part in slices]).astype(np.float32).tocsr()

    def upsert(self, documents: Iterable[Document]) -> None:
        documents = list(documents)
        texts = [normalise(d.text) for d in documents]
        vectors = self._vectors(texts)
        for n, document in enumerate(documents):
            self.remove(document.entry_id)
            self._recent[document.entry_id] = (document, vectors[n], scripts(texts[n]))
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
        documents, stack, _unsigned, written_in = self._recent_rows()
        meanings = _Meanings([d.meaning for d in documents])
        start = self._main.shape[0]
        self._main = sparse.vstack([self._main.tocsr(), stack]).tocsc()
        self._main_meanings = _Meanings.concatenate([self._main_meanings, meanings])
        self._main_scripts = np.concatenate([self._main_scripts, written_in])
        self._main_ids = np.concatenate([self._main_ids, [d.entry_id for d in documents]])
        self._main_owners = np.concatenate([self._main_owners, [self._code(d.owner) for d in documents]])
        self._main_shared = np.concatenate([self._main_shared, [d.shared for d in documents]])
        self._alive = np.concatenate([self._alive, np.ones(len(documents), dtype=bool)])
        self._row.update({d.entry_id: start + i for i, d in enumerate(documents)})
        self._recent, self._recent_stack = {}, None

    def _recent_rows(self) -> tuple[list[Document], sparse.csr_matrix, _Meanings, np.ndarray]:
        """The recent entries as one matrix, stacked again only after a change: in a burst of records,
        once for nearly every lookup, so from what each row kept rather than with sparse.vstack (16 ms
        for 500 rows, most of it its cost per matrix)."""
        if self._recent_stack is None:
            kept = list(self._recent.values())
            documents = [d for d, _, _ in kept]
            rows = [v for _, v, _ in kept]
            stack = sparse.csr_matrix(
                (
                    np.concatenate([r.data for r in rows]),
                    np.concatenate([r.indices for r in rows]),
                    np.concatenate([[0], np.cumsum([r.nnz for r in rows])]),
                ),
                shape=(len(rows), rows[0].shape[1]),
            )
            meanings = _Meanings([d.meaning for d in documents], signed=False)
            written_in = np.array([written for _, _, written in kept], dtype=np.int8)
            self._recent_stack = (documents, stack, meanings, written_in)
        return self._recent_stack

    def closest(
        self, text: str, viewer: str, limit: int, exclude: Iterable[int] = (), meaning: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The entries most like `text` (whose meaning is `meaning`, if known) that `viewer` may see
        (their own, and shared ones), best first, as (entry ID, score); only those with any n-gram in
        common, or with a meaning to compare."""
        text, exclude, meaning = normalise(text), tuple(exclude), _usable(meaning)
        if limit <= 0:
            return []
        query = self._vectors([text]) if self.fitted and text else None
        if (query is None or query.nnz == 0) and meaning is None:
            return []
        signature = _signatures(meaning[None, :])[0] if meaning is not None else None
        written_in = scripts(text)
        found: list[tuple[int, float]] = []
        if self._main.shape[0]:
            found += self._closest_main(query, meaning, signature, written_in, viewer, limit, exclude)
        if self._recent:
            documents, stack, meanings, their_scripts = self._recent_rows()
            words = np.zeros(len(documents), dtype=np.float32)
            if query is not None and query.nnz and stack.shape[1] == query.shape[1]:
                words = np.asarray((stack @ query.T).todense()).ravel()
            has = meanings.has if meaning is not None else np.zeros(len(documents), dtype=bool)
            scores = words
            if has.any():
                across = _across(their_scripts, written_in)
                scores = _combined(words, meanings.exact(np.arange(len(documents)), meaning), has, across)
            found += [
                (d.entry_id, float(score))
                for d, score, with_meaning in zip(documents, scores, has, strict=True)
                if (score > 0 or with_meaning) and (d.shared or d.owner == viewer) and d.entry_id not in exclude
            ]
        return sorted(found, key=lambda pair: (-pair[1], -pair[0]))[:limit]

    def _closest_main(self, query, meaning, signature, written_in, viewer, limit, exclude) -> list[tuple[int, float]]:
        rows = self._main.shape[0]
        words = np.zeros(rows, dtype=np.float32)
        if query is not None and query.nnz and self._main.shape[1] == query.shape[1]:
            words = np.asarray(self._main[:, query.indices] @ query.data).ravel()
        has = self._main_meanings.has if meaning is not None else np.zeros(rows, dtype=bool)
        scores = words
        if has.any():
            across = _across(self._main_scripts, written_in)
            scores = _combined(words, self._main_meanings.estimate(signature), has, across)
        visible = self._main_shared | (self._main_owners == self._codes.get(viewer, -1))
        wanted = self._alive & visible & ~np.isin(self._main_ids, list(exclude)) & ((scores > 0) | has)
        candidates = np.flatnonzero(wanted)
        if has.any():
            # The best by the estimate, and a margin, then their meanings compared exactly.
            candidates = _best(candidates, scores, self._main_ids, limit + EXACT_EXTRA)
            scores = scores.copy()
            exact = self._main_meanings.exact(candidates, meaning)
            scores[candidates] = _combined(words[candidates], exact, has[candidates], across[candidates])
        candidates = _best(candidates, scores, self._main_ids, limit)
        return [(int(self._main_ids[r]), float(scores[r])) for r in candidates]


def _across(written_in: np.ndarray, query_scripts: int) -> np.ndarray:
    """The rows in no script of the lookup's (and both in some script)."""
    return ((written_in & query_scripts) == 0) & (written_in != 0) & (query_scripts != 0)


def _best(rows: np.ndarray, scores: np.ndarray, ids: np.ndarray, limit: int) -> np.ndarray:
    """The `limit` best of `rows`, ties broken by ID so that pages never overlap."""
    if len(rows) <= limit:
        return rows
    cut = -np.partition(-scores[rows], limit - 1)[limit - 1]
    rows = rows[scores[rows] >= cut]
    return rows[np.lexsort((-ids[rows], -scores[rows]))[:limit]]


def near_duplicate(a: str, b: str) -> bool:
    """The same mistake written again: the same words, reordered or with a typo or two."""
    return fuzz.token_set_ratio(normalise(a).lower(), normalise(b).lower()) >= NEAR_DUPLICATE_RATIO


def rescore(query: str, text: str, score: float) -> float:
    """A near-duplicate counts as a perfect match, whatever its n-gram weights say."""
    return 1.0 if near_duplicate(query, text) else score
