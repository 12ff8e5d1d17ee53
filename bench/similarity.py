"""Similar lessons: how good the top suggestion is, by words alone and by meaning and words, and how
fast a lookup is at scale.

    .venv/bin/python -m bench.similarity             # quality on every set, then speed, SQLite in a temporary file
    .venv/bin/python -m bench.similarity --database-url postgresql+psycopg://...  # an empty database
    .venv/bin/python -m bench.similarity --quality-only
    .venv/bin/python -m bench.similarity --adapter-grid   # the meaning adapter's temperature and pull

Quality: three labelled sets, each written for this benchmark by a different author: earlier entries,
and new mistakes labelled with the earlier entries that are the same kind of mistake (or none). Every
earlier entry is stored as a named entry of a teammate (with its meaning, made and stored by the app's
own code for the second method); each new mistake is looked up as another person would see it, through
the app's own code (bot.domain.suggestions against the database), by each method.

Thresholds are chosen on the first two sets only. Words alone: on the first set's dev half (even
positions), the lowest from which precision stays at 0.85 (the app keeps a margin). Meaning and words:
for each weight of meaning, the lowest from which precision on the two sets together stays at 0.9; and
for meaning alone, which counts across scripts. The meaning adapter (bench/adapter.py) is learned on the
same two sets, so each is scored for this choice with an adapter learned on the other.
similarity_set_retold.json, written apart with paraphrases in each language and English/Korean pairs,
is never used to choose: both methods are reported on it at the app's own weights and thresholds.

Speed: one workspace with 100,000 shared entries and a person with 1,000 entries of their own;
a lookup is what the worker does for a Nice job: embed the new entry's words, take in what changed,
find, read the candidates back from the database with the visibility rule, score them.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from bench.adapter import Pairs, learn
from bot.domain import similarity, suggestions
from bot.domain.meaning import MODEL, Encoder, make_missing_meanings, to_bytes
from bot.domain.suggestions import Suggestions
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Entry
from storage.types import Workspace

SET = Path(__file__).with_name("similarity_set.json")
HELD_OUT = Path(__file__).with_name("similarity_set_heldout.json")
RETOLD = Path(__file__).with_name("similarity_set_retold.json")
WS = Workspace(enterprise_id="", team_id="TBENCH")
TEAMMATE, VIEWER, HEAVY = "UTEAM", "UVIEWER", "UHEAVY"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
THRESHOLDS = [round(0.15 + 0.005 * i, 3) for i in range(111)]  # 0.15 to 0.70
WEIGHTS = (0.4, 0.5, 0.6, 0.7, 0.8)


def rows(texts_and_lessons, owner: str, visibility: str, first_id: int = 1):
    day = date(2020, 1, 1)
    return [
        dict(
            id=first_id + n,
            enterprise_id=WS.enterprise_id,
            team_id=WS.team_id,
            user_id=owner,
            what_happened=what,
            lesson=lesson,
            category="other",
            happened_on=day + timedelta(days=n % 2000),
            safeguards=[],
            visibility=visibility,
            shared_at=NOW if visibility != "private" else None,
            created_at=NOW,
            updated_at=NOW,
        )
        for n, (what, lesson) in enumerate(texts_and_lessons)
    ]


def database(url: str | None):
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/similarity.db"
    upgrade_to_head(url)
    return make_session_factory(make_engine(url))


@contextmanager
def weights(meaning: float, across: float):
    """The index's weights for a while (to choose them); the app's own afterwards."""
    kept = similarity.MEANING_WEIGHT, similarity.ACROSS_SCRIPTS
    similarity.MEANING_WEIGHT, similarity.ACROSS_SCRIPTS = meaning, across
    try:
        yield
    finally:
        similarity.MEANING_WEIGHT, similarity.ACROSS_SCRIPTS = kept


class Labelled:
    """One labelled set, stored as a teammate's named entries (with their meanings, for `encoder`)."""

    def __init__(self, url: str | None, path: Path, encoder: Encoder | None) -> None:
        self.name, self.data = path.name, json.loads(path.read_text(encoding="utf-8"))
        self.queries = self.data["queries"]
        corpus = self.data["entries"]
        self.ids = {e["id"]: n + 1 for n, e in enumerate(corpus)}
        sf = database(url)
        with sf.begin() as session:
            session.execute(insert(Entry), rows([(e["what_happened"], e["lesson"]) for e in corpus], TEAMMATE, "named"))
        if encoder is not None:  # as a worker's backlog run makes them
            while make_missing_meanings(sf, encoder, 64)[0]:
                pass
        self.words = Suggestions(sf)
        self.meaning = Suggestions(sf, encoder) if encoder is not None else None

    def tops(self, finder: Suggestions) -> list[tuple[dict, int | None, float]]:
        """Each query's top suggestion (any score): (query, entry row id or None, score)."""
        found = []
        for query in self.queries:
            top = next(iter(finder.similar(WS, VIEWER, query["text"], at_least=0.0)), None)
            found.append((query, top.entry_id if top else None, top.score if top else 0.0))
        return found

    def figures(self, tops, threshold: float) -> tuple[float, float, float, int]:
        """Precision, recall, the share of unrelated mistakes left quiet, and how many suggestions."""
        made = [(q, i) for q, i, s in tops if i is not None and s >= threshold]
        right = sum(1 for q, i in made if i in {self.ids[x] for x in q["similar"]})
        wanted = sum(1 for q, _, _ in tops if q["similar"])
        quiet = sum(1 for q, i, s in tops if not q["similar"] and (i is None or s < threshold))
        unrelated = sum(1 for q, _, _ in tops if not q["similar"])
        return (
            right / len(made) if made else 1.0,
            right / wanted if wanted else 0.0,
            quiet / unrelated if unrelated else 1.0,
            len(made),
        )


def lowest_from(precision_at, floor: float) -> float:
    """The lowest threshold from which precision stays at `floor` or more."""
    ok = [precision_at(th) >= floor for th in THRESHOLDS]
    return next((th for n, th in enumerate(THRESHOLDS) if all(ok[n:])), THRESHOLDS[-1])


def pooled(sets: list[Labelled], tops: list[list], threshold: float) -> tuple[float, float]:
    made = right = wanted = 0.0
    for labelled, found in zip(sets, tops, strict=True):
        p, r, _q, n = labelled.figures(found, threshold)
        made, right = made + n, right + p * n
        wanted += sum(1 for q in labelled.queries if q["similar"])
    return (right / made if made else 1.0), right / wanted


def at_precision(sets: list[Labelled], meaning: float, across: float) -> tuple[float, float, float]:
    """With this share of meaning (and scale across scripts), both sets together: the lowest threshold
    from which precision stays at 0.9, and the precision and recall there."""
    with weights(meaning, across):
        found = [s.tops(s.meaning) for s in sets]
    th = lowest_from(lambda th: pooled(sets, found, th)[0], 0.9)
    return (th, *pooled(sets, found, th))


def crossed(url: str | None, encoder: Encoder, pairs: list[Pairs] | None = None, **learning: float) -> list[Labelled]:
    """The first two sets, each with an adapter learned on the other (bench/adapter.py): the shipped
    one learned on both, so its scores on them would say more than it will on mistakes it never saw."""
    first, second = pairs or [Pairs(encoder, path) for path in (SET, HELD_OUT)]
    return [
        Labelled(url, SET, encoder.adapted(learn([second], **learning))),
        Labelled(url, HELD_OUT, encoder.adapted(learn([first], **learning))),
    ]


def adapter_grid(encoder: Encoder) -> None:
    """bench/adapter.py's temperature and pull: for each, recall at precision 0.9 of meaning and words at
    the app's share, both earlier sets together, each with an adapter learned on the other, scored as
    choose() scores them (each cell in temporary SQLite databases of its own)."""
    pairs = [Pairs(encoder, path) for path in (SET, HELD_OUT)]
    pulls = (0.001, 0.01, 0.1, 0.3, 1.0)
    print("recall at precision 0.9 (threshold)  pull: " + "   ".join(f"{pull:>12}" for pull in pulls))
    for temperature in (0.02, 0.05, 0.1):
        cells = []
        for pull in pulls:
            sets = crossed(None, encoder, pairs, temperature=temperature, pull=pull)
            th, _, recall = at_precision(sets, similarity.MEANING_WEIGHT, 0.0)
            cells.append(f"{recall:.2f} ({th:.3f})")
        print(f"  temperature {temperature:<24} " + "   ".join(f"{cell:>12}" for cell in cells))


def choose(sets: list[Labelled], crossed_sets: list[Labelled]) -> None:
    """The thresholds and weights, from the first two sets alone: words on the first set, meaning and
    words on each set with an adapter learned on the other."""
    first = sets[0]
    words = first.tops(first.words)
    dev, test = words[0::2], words[1::2]
    print("words alone, first set  threshold  dev: precision recall quiet   test: precision recall quiet")
    for th in THRESHOLDS[::10]:
        d, t = first.figures(dev, th), first.figures(test, th)
        print(f"  {th:.3f}      {d[0]:.2f}     {d[1]:.2f}   {d[2]:.2f}        {t[0]:.2f}     {t[1]:.2f}   {t[2]:.2f}")
    chosen = lowest_from(lambda th: first.figures(dev, th)[0], 0.85)
    print(f"  chosen on the dev half: {chosen:.3f}; the app uses {suggestions.SIMILAR_FROM:.3f}")
    t = first.figures(test, suggestions.SIMILAR_FROM)
    print(f"  test half at the app's: precision {t[0]:.2f}, recall {t[1]:.2f}, quiet {t[2]:.2f} ({t[3]} suggestions)")
    if first.meaning is None:
        return
    print("meaning and words, both earlier sets together, each with an adapter learned on the other:")
    print("  the lowest threshold with precision >= 0.90")
    alone_from, p, r = at_precision(crossed_sets, 1.0, 1.0)
    print(f"  meaning alone: from {alone_from:.3f}, precision {p:.2f}, recall {r:.2f}")
    for weight in WEIGHTS:
        # across 0: the earlier sets pair no query with an entry in another script
        th, p, r = at_precision(crossed_sets, weight, 0.0)
        across = th / alone_from
        print(f"  weight {weight:.1f}: from {th:.3f}, precision {p:.2f}, recall {r:.2f}; across scripts x{across:.3f}")
    print(
        f"  the app: weight {similarity.MEANING_WEIGHT:.1f}, from {suggestions.SIMILAR_BY_MEANING_FROM:.3f}, "
        f"across scripts x{similarity.ACROSS_SCRIPTS:.3f}"
    )


def report(labelled: Labelled, learned_from: bool = False) -> None:
    """Both methods at the app's thresholds: the whole set, by language, and by kind where labelled.
    learned_from: the shipped adapter learned on this set, so meaning's figures are not a test."""
    methods = [("words", labelled.words, suggestions.SIMILAR_FROM)]
    if labelled.meaning is not None:
        methods.append(("meaning and words", labelled.meaning, suggestions.SIMILAR_BY_MEANING_FROM))
    sizes = {lang: sum(1 for q in labelled.queries if q["lang"] == lang) for lang in ("en", "ko")}
    print(
        f"== {labelled.name}: {len(labelled.data['entries'])} earlier entries; {len(labelled.queries)} new mistakes "
        f"({sizes}), {sum(1 for q in labelled.queries if q['similar'])} with a similar earlier one"
    )
    if learned_from and labelled.meaning is not None:
        print("  (the meaning adapter learned on this set: meaning and words' figures here are its training data)")
    languages = {e["id"]: e["lang"] for e in labelled.data["entries"]}
    parts = [
        ("whole set", lambda q: True),
        ("English", lambda q: q["lang"] == "en"),
        ("Korean", lambda q: q["lang"] == "ko"),
    ]
    if any("kind" in q for q in labelled.queries):
        for lang, name in (("en", "English"), ("ko", "Korean")):
            parts.append(
                (f"same-language, {name}", lambda q, lang=lang: q.get("kind") == "same-language" and q["lang"] == lang)
            )
        parts += [
            ("same-language, both", lambda q: q.get("kind") == "same-language"),
            ("English -> Korean lesson", lambda q: q.get("kind") == "cross-language" and q["lang"] == "en"),
            ("Korean -> English lesson", lambda q: q.get("kind") == "cross-language" and q["lang"] == "ko"),
            ("cross-language, both", lambda q: q.get("kind") == "cross-language"),
        ]
    print(
        f"  {'':28} "
        + "   ".join(f"{name} (from {th:.3f}): precision recall quiet suggestions" for name, _, th in methods)
    )
    tops = {name: labelled.tops(finder) for name, finder, _ in methods}
    for part, keep in parts:
        cells = []
        for name, _, th in methods:
            p, r, q, n = labelled.figures([t for t in tops[name] if keep(t[0])], th)
            cells.append(f"{p:9.2f} {r:6.2f} {q:5.2f} {n:4d}")
        print(f"  {part:28} " + "          ".join(cells))
    if labelled.meaning is not None:  # suggestions in the other language than the mistake's
        row_lang = {labelled.ids[i]: lang for i, lang in languages.items()}
        across = [
            (q, i)
            for q, i, s in tops["meaning and words"]
            if i and s >= suggestions.SIMILAR_BY_MEANING_FROM and row_lang[i] != q["lang"]
        ]
        right = sum(1 for q, i in across if i in {labelled.ids[x] for x in q["similar"]})
        print(f"  suggestions in the other language: {len(across)}, of which right {right}")
        if any("kind" in q for q in labelled.queries):
            ceiling(labelled, [t for t in tops["meaning and words"] if t[0].get("kind") == "same-language"])


def ceiling(labelled: Labelled, tops: list) -> None:
    """What no threshold can mend (for analysis, never to choose): how often the earlier entry ranked first
    is the right one, whatever its score, and the best that a threshold chosen on these very figures does."""
    first = sum(1 for q, i, _ in tops if i in {labelled.ids[x] for x in q["similar"]})
    made = {th: labelled.figures(tops, th) for th in THRESHOLDS}
    reaching = [(figures[1], th) for th, figures in made.items() if figures[0] >= 0.9 and figures[3]]
    best = max(reaching, default=(0.0, THRESHOLDS[-1]))
    print(
        f"  same-language: ranked first, whatever the score, right for {first} of {len(tops)}; the best "
        f"threshold with precision 0.9 chosen on them: {best[1]:.3f}, recall {best[0]:.2f}"
    )


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentiles(times: list[float]) -> str:
    times = sorted(times)
    return (
        f"p50 {statistics.median(times):.1f} ms, p99 {times[int(0.99 * len(times)) - 1]:.1f} ms, max {times[-1]:.1f} ms"
    )


def embedding(encoder: Encoder, sets: list[Labelled]) -> None:
    """Embedding one entry (what happened, and with its lesson), and one lookup's words, alone as a worker does."""
    encoder._kept.clear()  # nothing embedded before counts
    entries = [(e["what_happened"], e["lesson"]) for s in sets for e in s.data["entries"]]
    queries = [q["text"] for s in sets for q in s.queries]
    times = []
    for what, lesson in entries:
        t0 = time.perf_counter()
        encoder.of_entries([(what, lesson)])
        times.append((time.perf_counter() - t0) * 1000)
    print(f"embedding an entry, {len(entries)} entries one at a time: {percentiles(times)}")
    times = []
    for text in queries:
        t0 = time.perf_counter()
        encoder.of_query(text)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"embedding a lookup's words, {len(queries)} one at a time: {percentiles(times)}")
    t0 = time.perf_counter()
    encoder._kept.clear()
    for n in range(0, len(entries), 64):
        encoder.of_entries(entries[n : n + 64])
    print(f"a backlog run's batches of 64: {(time.perf_counter() - t0) * 1000 / len(entries):.1f} ms an entry")


def speed(url: str | None, labelled: dict, shared: int, own: int, lookups: int, encoder: Encoder | None) -> None:
    rng = random.Random(7)
    pool = [e["what_happened"] for e in labelled["entries"]] + [q["text"] for q in labelled["queries"]]
    words = [w for text in pool for w in text.split()]
    # Meanings for 100,000 entries would take minutes to embed: each entry takes the meaning of one of
    # the set's texts, moved a little (the lookup's cost does not depend on which meanings they are).
    meanings = encoder.embed(pool) if encoder is not None else None

    def text():  # an entry in the set's vocabulary, a different one each time
        return " ".join(rng.choice(words) for _ in range(rng.randint(6, 30)))

    def with_meanings(batch: list[dict]) -> list[dict]:
        if meanings is not None:
            for row in batch:
                vector = meanings[rng.randrange(len(meanings))] + np.random.default_rng(row["id"]).normal(0, 0.02, 512)
                row.update(meaning=to_bytes(0.95 * vector / np.linalg.norm(vector)), meaning_model=MODEL)
        return batch

    sf = database(url)
    t0 = time.perf_counter()
    with sf.begin() as session:
        for start in range(0, shared, 10_000):
            batch = [(text(), text()) for _ in range(min(10_000, shared - start))]
            owner = f"U{start // 10_000:03d}"
            session.execute(insert(Entry), with_meanings(rows(batch, owner, "named", first_id=start + 1)))
        mine = rows([(text(), text()) for _ in range(own)], HEAVY, "private", shared + 1)
        session.execute(insert(Entry), with_meanings(mine))
    print(f"{shared:,} shared entries and {own:,} of one person's own, stored in {time.perf_counter() - t0:.0f} s")
    methods = [("words", None)] + ([("meaning and words", encoder)] if encoder is not None else [])
    for name, method_encoder in methods:
        finder = Suggestions(sf, method_encoder)
        before, t0 = rss_mib(), time.perf_counter()
        finder.similar(WS, HEAVY, text())
        print(
            f"{name}: first lookup (builds the index): {time.perf_counter() - t0:.1f} s, the index "
            f"{rss_mib() - before:+.0f} MiB resident, peak memory so far "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
        times, cpu = [], []
        for n in range(lookups):
            if n % 10 == 0:  # a new entry now and then, as the index would see between Nice jobs
                with sf.begin() as session:
                    session.add(
                        Entry(
                            enterprise_id="",
                            team_id=WS.team_id,
                            user_id=HEAVY,
                            what_happened=text(),
                            lesson=text(),
                            category="other",
                            happened_on=date(2026, 12, 1),
                            safeguards=[],
                            visibility="private",
                        )
                    )
            query = text()  # a new one each time: its words are embedded too
            t0, c0 = time.perf_counter(), time.thread_time()
            finder.similar(WS, HEAVY, query)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
        # The CPU time of the lookup's own thread moves less when other work shares the machine.
        print(f"{name}: {lookups} lookups: {percentiles(times)}; its thread's CPU time {percentiles(cpu)}")
        del finder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--shared", type=int, default=100_000)
    parser.add_argument("--own", type=int, default=1_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--words-only", action="store_true", help="without the sentence encoder")
    parser.add_argument("--adapter-grid", action="store_true", help="choose the adapter's temperature and pull")
    args = parser.parse_args()
    encoder = None
    if not args.words_only:
        encoder = Encoder()
        print(f"sentence encoder {encoder.model} loaded in {encoder.load_seconds:.1f} s")
    if args.adapter_grid:
        adapter_grid(encoder or Encoder())
        return
    if not args.speed_only:
        sets = [Labelled(args.database_url, path, encoder) for path in (SET, HELD_OUT, RETOLD)]
        print(f"== choosing, on {SET.name} and {HELD_OUT.name}")
        choose(sets[:2], crossed(args.database_url, encoder) if encoder is not None else [])
        for n, labelled in enumerate(sets):
            print()
            report(labelled, learned_from=n < 2)
        if encoder is not None:
            print()
            embedding(encoder, sets)
    if not args.quality_only:
        print()
        speed(
            args.database_url, json.loads(SET.read_text(encoding="utf-8")), args.shared, args.own, args.lookups, encoder
        )


if __name__ == "__main__":
    main()
