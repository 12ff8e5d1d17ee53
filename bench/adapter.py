"""The meaning adapter: a 512 × 512 matrix, learned on bench/similarity.py's first two labelled sets,
that moves the sentence encoder's vectors so that a mistake and an earlier entry of the same kind come
out closer than entries of the same topic that are a different mistake.

    .venv/bin/python -m bench.adapter        # learns it and writes bot/domain/meaning_adapter.npy

Each new mistake of a set is pulled towards its labelled earlier entries and away from every other
entry of the set (a softmax over the set's entries, temperature TEMPERATURE), while the matrix is kept
near the identity (PULL_TO_IDENTITY × the squared distance): with a few hundred labelled pairs a free
matrix would learn the sets by heart. The temperature and the pull were chosen on how well a matrix
learned on one set does on the other (`python -m bench.similarity --adapter-grid`).
The retold set is never learned from."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from bot.domain.meaning import ADAPTER, SIZE, Encoder

SETS = [Path(__file__).with_name(name) for name in ("similarity_set.json", "similarity_set_heldout.json")]
TEMPERATURE = 0.05
PULL_TO_IDENTITY = 0.1
ITERATIONS = 200


class Pairs:
    """One labelled set as the encoder's own vectors: its mistakes, its entries, and which match which."""

    def __init__(self, encoder: Encoder, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        raw = encoder.adapted(None)
        self.entries = np.stack(raw.of_entries([(e["what_happened"], e["lesson"]) for e in data["entries"]]))
        self.mistakes = np.stack([raw.of_query(q["text"]) for q in data["queries"]])
        row = {e["id"]: n for n, e in enumerate(data["entries"])}
        # (mistake, one of its entries, all of its entries): the others are no counter-example
        self.pairs = [
            (n, row[match], [row[x] for x in q["similar"]])
            for n, q in enumerate(data["queries"])
            for match in q["similar"]
        ]


def _unit(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / lengths, lengths


def _loss_and_gradient(
    flat: np.ndarray, sets: list[Pairs], temperature: float, pull: float
) -> tuple[float, np.ndarray]:
    """Scored as the app scores: a mistake's unit vector against each entry's, times the entry's length
    (the adapter keeps it: an entry whose two texts disagree counts for less)."""
    matrix = flat.reshape(SIZE, SIZE)
    loss, gradient, count = 0.0, np.zeros((SIZE, SIZE)), sum(len(s.pairs) for s in sets)
    for s in sets:
        mistakes, mistake_lengths = _unit(s.mistakes @ matrix.T)
        entries, entry_lengths = _unit(s.entries @ matrix.T)
        kept = np.linalg.norm(s.entries, axis=1)
        rows = np.array([p[0] for p in s.pairs])
        wanted = np.array([p[1] for p in s.pairs])
        logits = mistakes[rows] @ entries.T * kept / temperature
        for n, (_, match, matches) in enumerate(s.pairs):
            logits[n, [m for m in matches if m != match]] = -np.inf
        top = logits.max(axis=1, keepdims=True)
        shares = np.exp(logits - top)
        totals = shares.sum(axis=1)
        loss += float((np.log(totals) - (logits[np.arange(len(rows)), wanted] - top[:, 0])).sum())
        shares /= totals[:, None]
        shares[np.arange(len(rows)), wanted] -= 1
        by_cosine = np.zeros((len(mistakes), len(entries)))
        np.add.at(by_cosine, rows, shares * kept / temperature)
        # Back through the cosines, each vector's unit length and the matrix.
        to_mistakes, to_entries = by_cosine @ entries, by_cosine.T @ mistakes
        to_mistakes = (to_mistakes - mistakes * (mistakes * to_mistakes).sum(1, keepdims=True)) / mistake_lengths
        to_entries = (to_entries - entries * (entries * to_entries).sum(1, keepdims=True)) / entry_lengths
        gradient += to_mistakes.T @ s.mistakes + to_entries.T @ s.entries
    away = matrix - np.eye(SIZE)
    loss = loss / count + pull * float((away**2).sum())
    return loss, (gradient / count + 2 * pull * away).ravel()


def learn(sets: list[Pairs], temperature: float = TEMPERATURE, pull: float = PULL_TO_IDENTITY) -> np.ndarray:
    """The matrix, from the identity (the encoder's own vectors)."""
    found = minimize(
        _loss_and_gradient,
        np.eye(SIZE).ravel(),
        args=(sets, temperature, pull),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": ITERATIONS},
    )
    return found.x.reshape(SIZE, SIZE).astype(np.float32)


def main() -> None:
    encoder = Encoder()
    matrix = learn([Pairs(encoder, path) for path in SETS])
    np.save(ADAPTER, matrix.astype(np.float16))
    print(f"{ADAPTER}: {np.linalg.norm(matrix - np.eye(SIZE)):.3f} from the identity")
    print(f"SHA-256 {hashlib.sha256(ADAPTER.read_bytes()).hexdigest()}: bot/domain/meaning.py's ADAPTER_SHA256,")
    print("with a new MODEL and the one before it SUPERSEDED")


if __name__ == "__main__":
    main()
