"""Similar lessons: how good the top suggestion is, and how fast a lookup is at scale.

    .venv/bin/python -m bench.similarity             # quality, then speed on SQLite in a temporary file
    .venv/bin/python -m bench.similarity --database-url postgresql+psycopg://...  # an empty database

Quality: bench/similarity_set.json, written for this benchmark, holds earlier entries and new
mistakes labelled with the earlier entries that are the same kind of mistake (or none). Every
earlier entry is stored as a named entry of a teammate; each new mistake is looked up as another
person would see it, through the app's own code (bot.domain.suggestions against the database).
The threshold is chosen on one half of the queries (the lowest with precision >= 0.85 there)
and reported on the other half, so the figure is not the threshold's own training set.

Speed: one workspace with 100,000 shared entries and a person with 1,000 entries of their own;
a lookup is what the worker does for a Nice job: take in what changed, find, read the candidates
back from the database with the visibility rule, score them.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.domain import suggestions
from bot.domain.suggestions import Suggestions
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Entry
from storage.repository import Workspace

SET = Path(__file__).with_name("similarity_set.json")
HELD_OUT = Path(__file__).with_name("similarity_set_heldout.json")
WS = Workspace(enterprise_id="", team_id="TBENCH")
TEAMMATE, VIEWER, HEAVY = "UTEAM", "UVIEWER", "UHEAVY"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
THRESHOLDS = [round(0.15 + 0.005 * i, 3) for i in range(111)]  # 0.15 to 0.70


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


def quality(url: str | None, labelled: dict, choose: bool = True) -> None:
    sf = database(url)
    corpus = labelled["entries"]
    ids = {e["id"]: n + 1 for n, e in enumerate(corpus)}
    with sf.begin() as session:
        session.execute(insert(Entry), rows([(e["what_happened"], e["lesson"]) for e in corpus], TEAMMATE, "named"))
    finder = Suggestions(sf)
    tops = []
    for query in labelled["queries"]:
        found = finder.similar(WS, VIEWER, query["text"], at_least=0.0)
        top = found[0] if found else None
        tops.append((query, top.entry_id if top else None, top.score if top else 0.0))
    dev = [t for n, t in enumerate(tops) if n % 2 == 0]
    test = [t for n, t in enumerate(tops) if n % 2 == 1]

    def figures(part, threshold):
        made = [(q, i) for q, i, s in part if i is not None and s >= threshold]
        right = sum(1 for q, i in made if i in {ids[x] for x in q["similar"]})
        wanted = sum(1 for q, _, _ in part if q["similar"])
        quiet = sum(1 for q, i, s in part if not q["similar"] and (i is None or s < threshold))
        unrelated = sum(1 for q, _, _ in part if not q["similar"])
        return (right / len(made) if made else 1.0), right / wanted, quiet / unrelated, len(made)

    sizes = {lang: sum(1 for q in labelled["queries"] if q["lang"] == lang) for lang in ("en", "ko")}
    print(
        f"{len(corpus)} earlier entries; {len(tops)} new mistakes ({sizes}), "
        f"{sum(1 for q, _, _ in tops if q['similar'])} with a similar earlier one"
    )
    if choose:
        print("threshold  dev: precision recall quiet   test: precision recall quiet")
        for th in THRESHOLDS[::10]:
            d, t = figures(dev, th), figures(test, th)
            print(
                f"  {th:.3f}      {d[0]:.2f}     {d[1]:.2f}   {d[2]:.2f}        {t[0]:.2f}     {t[1]:.2f}   {t[2]:.2f}"
            )
        # The lowest threshold from which precision on the dev half stays at 0.85 or more.
        ok = [figures(dev, th)[0] >= 0.85 for th in THRESHOLDS]
        chosen = next((th for n, th in enumerate(THRESHOLDS) if all(ok[n:])), THRESHOLDS[-1])
        print(f"chosen on the dev half: {chosen:.3f}; the app uses {suggestions.SIMILAR_FROM:.3f}")
    parts = (("test half", test), ("whole set", tops)) if choose else (("whole set", tops),)
    for name, part in parts:
        p, r, q, n = figures(part, suggestions.SIMILAR_FROM)
        print(
            f"at {suggestions.SIMILAR_FROM:.3f}, {name}: precision {p:.2f}, recall {r:.2f}, "
            f"quiet on unrelated {q:.2f} ({n} suggestions)"
        )
    for lang in ("en", "ko"):
        p, r, q, n = figures([t for t in tops if t[0]["lang"] == lang], suggestions.SIMILAR_FROM)
        print(f"  {lang}: precision {p:.2f}, recall {r:.2f}, quiet on unrelated {q:.2f} ({n} suggestions)")


def speed(url: str | None, labelled: dict, shared: int, own: int, lookups: int) -> None:
    rng = random.Random(7)
    pool = [e["what_happened"] for e in labelled["entries"]] + [q["text"] for q in labelled["queries"]]
    words = [w for text in pool for w in text.split()]

    def text():  # an entry in the set's vocabulary, a different one each time
        return " ".join(rng.choice(words) for _ in range(rng.randint(6, 30)))

    sf = database(url)
    t0 = time.perf_counter()
    with sf.begin() as session:
        for start in range(0, shared, 10_000):
            batch = [(text(), text()) for _ in range(min(10_000, shared - start))]
            session.execute(insert(Entry), rows(batch, f"U{start // 10_000:03d}", "named", first_id=start + 1))
        session.execute(insert(Entry), rows([(text(), text()) for _ in range(own)], HEAVY, "private", shared + 1))
    print(f"{shared:,} shared entries and {own:,} of one person's own, stored in {time.perf_counter() - t0:.0f} s")
    finder = Suggestions(sf)
    queries = [q["text"] for q in labelled["queries"]]
    t0 = time.perf_counter()
    finder.similar(WS, HEAVY, queries[0])
    print(
        f"first lookup (builds the index): {time.perf_counter() - t0:.1f} s, "
        f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    times = []
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
        t0 = time.perf_counter()
        finder.similar(WS, HEAVY, rng.choice(queries))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(
        f"{lookups} lookups: p50 {statistics.median(times):.1f} ms, p99 {times[int(0.99 * len(times)) - 1]:.1f} ms, "
        f"max {times[-1]:.1f} ms; peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--shared", type=int, default=100_000)
    parser.add_argument("--own", type=int, default=1_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--set", type=Path, default=SET)
    args = parser.parse_args()
    labelled = json.loads(args.set.read_text(encoding="utf-8"))
    print(f"== {args.set.name}: the threshold is chosen on its dev half")
    quality(args.database_url, labelled)
    if args.set == SET:
        print(f"\n== {HELD_OUT.name}: written apart by another author, never used to choose")
        quality(args.database_url, json.loads(HELD_OUT.read_text(encoding="utf-8")), choose=False)
    if not args.quality_only:
        speed(args.database_url, labelled, args.shared, args.own, args.lookups)


if __name__ == "__main__":
    main()
