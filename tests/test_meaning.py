"""The sentence encoder and the similarity index's meanings, on their own (the surfaces are tested over
signed HTTP in test_suggestions.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from bot.domain import meaning, similarity
from bot.domain.meaning import ADAPTER, ADAPTER_SHA256, MODEL, SIZE, Encoder, from_bytes, to_bytes
from bot.domain.similarity import Document, SimilarityIndex
from storage.models import Entry


def test_the_table_read_from_disk_gives_the_same_meanings_as_the_table_in_memory(encoder, monkeypatch, tmp_path):
    """Where the cache cannot be written the table stays in memory; both give the same vectors."""
    assert encoder.table_on_disk
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    in_memory = Encoder()
    assert not in_memory.table_on_disk
    texts = ["Deployed on a Friday and nobody was on call", "금요일 저녁에 배포했다가 장애가 났다", "🚀 <@U1> ok"]
    assert np.array_equal(encoder.embed(texts), in_memory.embed(texts))


def test_a_meaning_is_stored_as_512_float16_and_read_back_in_place(encoder):
    [meaning] = encoder.of_entries([("Forgot the backup", "We test restores")])
    stored = to_bytes(meaning)
    assert len(stored) == 2 * SIZE
    assert np.allclose(from_bytes(stored), meaning, atol=1e-3)
    assert from_bytes(stored[:-2]) is None and from_bytes(None) is None  # another model's, or none


def vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    made = rng.standard_normal((n, SIZE)).astype(np.float32)
    return (made / np.linalg.norm(made, axis=1, keepdims=True)).astype(np.float16)


def test_the_signatures_find_the_same_best_entry_as_exact_comparison_and_score_it_exactly():
    """Among 5,100 entries (100 added since the last merge), the entry closest in meaning, found through
    the signatures and then compared exactly, is the one a comparison with every entry finds; the rest
    are random, about equally far, and each is scored exactly."""
    meanings = vectors(5_100)
    close = meanings[::255].astype(np.float32) + vectors(20, seed=1).astype(np.float32) * 0.6
    documents = [Document(i, "U2", True, "", meanings[i]) for i in range(5_000)]
    index = SimilarityIndex(documents)
    index.upsert(Document(i, "U2", True, "", meanings[i]) for i in range(5_000, 5_100))
    for query in close:
        query = query / np.linalg.norm(query)
        exact = meanings.astype(np.float32) @ query
        found = index.closest("", "U1", 10, meaning=query)
        assert found[0][0] == int(np.argmax(exact))
        ids = [entry_id for entry_id, _ in found]
        assert np.allclose([s for _, s in found], similarity.MEANING_WEIGHT * exact[ids], atol=1e-3)


def test_across_scripts_the_meaning_alone_counts_and_entries_without_one_go_by_words():
    meanings = vectors(3)
    documents = [
        Document(1, "U2", True, "회의록을 남기지 않았다", meanings[0]),
        Document(2, "U2", True, "We kept no meeting notes", meanings[0]),
        Document(3, "U2", True, "We kept no meeting notes at all", None),  # not embedded yet
    ]
    index = SimilarityIndex(documents)
    query = meanings[0].astype(np.float32)
    scores = dict(index.closest("We kept no meeting notes", "U1", 3, meaning=query))
    assert np.isclose(scores[1], similarity.ACROSS_SCRIPTS * float(query @ query), atol=1e-3)
    assert scores[2] > scores[1]  # the same words too
    words_alone = dict(index.closest("We kept no meeting notes", "U1", 3))
    assert np.isclose(scores[3], words_alone[3])
    assert 1 not in words_alone  # no word in common


def test_someone_elses_private_entry_is_never_a_candidate_whatever_its_meaning():
    meanings = vectors(2)
    index = SimilarityIndex(
        [Document(1, "U2", False, "Forgot the backup", meanings[0]), Document(2, "U1", False, "Other", meanings[1])]
    )
    query = meanings[0].astype(np.float32)
    assert [i for i, _ in index.closest("Forgot the backup", "U1", 5, meaning=query)] == [2]
    assert [i for i, _ in index.closest("Forgot the backup", "U2", 5, meaning=query)] == [1]


def test_each_embedding_runs_on_one_blas_thread(encoder):
    """threadpoolctl (the package's "fast" extra) is there: on a busy host, OpenBLAS's threads waiting for
    each other made single embeddings take hundreds of milliseconds."""
    assert encoder._use.threads == 1 and encoder._use._model._threadpool is not None


def test_every_meaning_goes_through_the_shipped_adapter_keeping_its_length(encoder):
    adapter = np.load(ADAPTER).astype(np.float32)
    own = encoder.adapted(None)
    text = "Our TLS cert expired and nobody could reach the site"
    moved = own.of_query(text) @ adapter.T
    assert np.allclose(encoder.of_query(text), moved / np.linalg.norm(moved), atol=1e-5)
    assert not np.allclose(encoder.of_query(text), own.of_query(text), atol=1e-2)
    [entry], [own_entry] = (method.of_entries([(text, "We monitor expiry")]) for method in (encoder, own))
    moved = own_entry @ adapter.T
    assert np.allclose(entry, moved / np.linalg.norm(moved) * np.linalg.norm(own_entry), atol=1e-5)
    assert encoder.model == MODEL != own.model  # stored vectors say which they are
    assert len(MODEL) <= Entry.meaning_model.type.length


def test_the_adapter_brings_a_mistake_closer_to_its_own_earlier_entry_than_the_encoder_alone(encoder):
    """On the labelled set it learned from (bench/adapter.py): the earlier entry closest to each mistake is
    its labelled one more often (the identity, an adapter never learned, fails this)."""
    data = json.loads((Path(__file__).parents[1] / "bench" / "similarity_set.json").read_text(encoding="utf-8"))
    labelled = [q for q in data["queries"] if q["similar"]]
    ids = [e["id"] for e in data["entries"]]

    def right(method) -> int:
        entries = np.stack(method.of_entries([(e["what_happened"], e["lesson"]) for e in data["entries"]]))
        closest = [ids[int(np.argmax(entries @ method.of_query(q["text"])))] for q in labelled]
        return sum(found in q["similar"] for found, q in zip(closest, labelled, strict=True))

    assert right(encoder) >= right(encoder.adapted(None)) + 5


def test_the_shipped_adapter_is_the_one_its_model_name_stands_for():
    """Stored meanings are known by MODEL alone: a matrix learned again under the same name would leave
    every meaning made before it compared with the new ones."""
    assert hashlib.sha256(ADAPTER.read_bytes()).hexdigest() == ADAPTER_SHA256


def test_a_shipped_adapter_of_the_wrong_shape_or_not_finite_stops_the_worker_clearly(monkeypatch, tmp_path):
    for name, matrix in (("small", np.eye(4)), ("broken", np.full((SIZE, SIZE), np.nan))):
        np.save(tmp_path / f"{name}.npy", matrix)
        monkeypatch.setattr(meaning, "ADAPTER", tmp_path / f"{name}.npy")
        with pytest.raises(ValueError, match="not a finite 512 × 512 matrix: learn it again"):
            meaning._shipped_adapter()
