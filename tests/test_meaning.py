"""The sentence encoder and the similarity index's meanings, on their own (the surfaces are tested over
signed HTTP in test_suggestions.py)."""

from __future__ import annotations

import numpy as np

from bot.domain import similarity
from bot.domain.meaning import SIZE, Encoder, from_bytes, to_bytes
from bot.domain.similarity import Document, SimilarityIndex


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
