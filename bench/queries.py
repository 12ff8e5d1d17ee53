"""The database's queries at scale: 1,000,000 entries over 1,000 workspaces and 10 years, against
the same queries at 10,000 entries; each query's time and its plan (are the indexes used?).

    .venv/bin/python -m bench.queries                      # SQLite, in a temporary file
    .venv/bin/python -m bench.queries --database-url postgresql+psycopg://...  # an empty database

The queries are the app's own (storage.repository), as the listeners and jobs call them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_to_head
from storage.models import ActionItem, Digest, Entry
from storage.repository import action_items as action_item_store
from storage.repository import deliveries as delivery_store
from storage.repository import digests as digest_store
from storage.repository import entries as entry_store
from storage.types import Workspace

PEOPLE_PER_WORKSPACE = 50
HEAVY = "UHEAVY"  # the one person with a 1,000-entry resume, in the first workspace
HEAVY_ENTRIES = 1_000
YEARS = 10
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RUNS = 25
CATEGORIES = ("engineering", "data", "management", "career", "personal", "other")
WHAT = "The nightly export job overwrote yesterday's files because two runs overlapped; " * 2
LESSON = "Make the job take a lock, and alert when a run takes longer than its interval."


def workspace(n: int) -> Workspace:
    return Workspace(enterprise_id="", team_id=f"T{n:05d}")


def fill(session_factory, entries: int, workspaces: int, seed: int = 1) -> None:
    """`entries` entries over `workspaces` workspaces of 50 people and 10 years; a fifth of them
    with an action item, three in ten shared (older shares already carried by a digest)."""
    rng = random.Random(seed)
    first_day = TODAY - timedelta(days=365 * YEARS)
    with session_factory.begin() as session:
        digests = {}
        for n in range(workspaces):
            ws = workspace(n)
            digest = Digest(enterprise_id="", team_id=ws.team_id, channel="CRETRO", posted_at=NOW - timedelta(days=31))
            session.add(digest)
            session.flush()
            digests[ws.team_id] = digest.id
    owners = [(0, HEAVY)] * HEAVY_ENTRIES
    rest = entries - HEAVY_ENTRIES
    owners += [(n % workspaces, f"U{(n // workspaces) % PEOPLE_PER_WORKSPACE:03d}") for n in range(rest)]
    batch, items, next_id = [], [], 1
    for number, (ws_number, user_id) in enumerate(owners):
        happened = first_day + timedelta(days=rng.randrange(365 * YEARS))
        visibility = rng.choices(("private", "named", "anonymous"), (7, 2, 1))[0]
        shared_at = datetime.combine(happened, datetime.min.time(), UTC) if visibility != "private" else None
        team = workspace(ws_number).team_id
        batch.append(
            {
                "id": next_id,
                "enterprise_id": "",
                "team_id": team,
                "user_id": user_id,
                "what_happened": f"{number}: {WHAT}",
                "lesson": LESSON if rng.random() < 0.7 else None,
                "category": rng.choice(CATEGORIES),
                "happened_on": happened,
                "safeguards": ["tests", "monitoring"] if rng.random() < 0.3 else [],
                "visibility": visibility,
                "shared_at": shared_at,
                "digest_id": digests[team] if shared_at and shared_at < NOW - timedelta(days=31) else None,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        if rng.random() < 0.2:
            done = NOW if rng.random() < 0.5 else None
            item = {"entry_id": next_id, "position": 0, "text": "Add a lock and an alert", "owner_id": user_id}
            items.append({**item, "done_at": done, "status": "done" if done else "open"})
        next_id += 1
        if len(batch) == 20_000:
            _insert(session_factory, batch, items)
            batch, items = [], []
    _insert(session_factory, batch, items)


def _insert(session_factory, entries: list[dict], items: list[dict]) -> None:
    with session_factory.begin() as session:
        if entries:
            session.execute(insert(Entry), entries)
        if items:
            session.execute(insert(ActionItem), items)


def queries(session: Session) -> dict:
    """The app's heaviest reads, by what the person or the job waits for."""
    team = workspace(0)
    batch = [f"U{n:03d}" for n in range(PEOPLE_PER_WORKSPACE)] + [HEAVY]
    return {
        "one person's resume (1,000 entries)": lambda: entry_store.list_entries(session, team, HEAVY),
        "the Home tab: 30 newest entries and counts": lambda: (
            entry_store.list_entries(session, team, HEAVY, limit=30),
            entry_store.count_entries(session, team, HEAVY),
            entry_store.count_entries_by_year(session, team, HEAVY),
        ),
        "one workspace's digest (undigested shared entries)": lambda: digest_store.list_undigested_shared(
            session, team
        ),
        "one prompt batch (51 people: ledger, open items, missing lessons, a year ago)": lambda: (
            delivery_store.list_recipients(session, team, batch, "reflection_prompt", "2026-12"),
            action_item_store.list_open_action_items(session, team, batch, limit=5),
            entry_store.list_entries_missing_lessons(session, team, batch, TODAY - timedelta(days=60), 3),
            entry_store.list_lessons_from_a_year_ago(session, team, batch, TODAY),
        ),
    }


def plans(session: Session) -> dict[str, list[str]]:
    """The plans of the statements behind each query, as the database reports them."""
    found: dict[str, list[str]] = {}
    statements: list[str] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    engine = session.get_bind()
    for name, run in queries(session).items():
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            run()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        lines = []
        for statement, parameters in statements:
            explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            rows = session.connection().exec_driver_sql(explain + statement, parameters).all()
            lines += [" | ".join(str(c) for c in row[-1:]) for row in rows]
        found[name] = lines
    return found


def timings(session_factory) -> dict[str, float]:
    """Each query's median over RUNS runs, in ms, warm."""
    result = {}
    with session_factory() as session:
        for name, run in queries(session).items():
            run()
            samples = []
            for _ in range(RUNS):
                start = time.perf_counter()
                run()
                samples.append((time.perf_counter() - start) * 1000)
                session.expunge_all()
            result[name] = statistics.median(samples)
    return result


def measure(url: str, entries: int, workspaces: int) -> tuple[dict[str, float], dict[str, list[str]]]:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade_to_head(url)
    session_factory = make_session_factory(engine)
    start = time.monotonic()
    fill(session_factory, entries, workspaces)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    print(f"  filled {entries:,} entries over {workspaces:,} workspaces in {time.monotonic() - start:.0f} s")
    measured = timings(session_factory)
    with session_factory() as session:
        assert session.scalar(select(func.count(Entry.id))) == entries
        query_plans = plans(session)
    engine.dispose()
    return measured, query_plans


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite files)")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workspaces", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small_url = args.database_url or f"sqlite:///{Path(tmp) / 'small.db'}"
        large_url = args.database_url or f"sqlite:///{Path(tmp) / 'large.db'}"
        print(f"database: {make_engine(small_url).dialect.name}")
        print("10,000 entries, 10 workspaces:")
        small, _ = measure(small_url, 10_000, 10)
        print(f"{args.entries:,} entries, {args.workspaces:,} workspaces:")
        large, large_plans = measure(large_url, args.entries, args.workspaces)
    print(f"\n{'query':<80} {'10k ms':>8} {'1M ms':>8} {'ratio':>6}")
    for name in large:
        print(f"{name:<80} {small[name]:8.2f} {large[name]:8.2f} {large[name] / small[name]:6.2f}")
    print("\nplans at the large scale:")
    for name, lines in large_plans.items():
        print(f"- {name}")
        for line in lines:
            print(f"    {line}")


if __name__ == "__main__":
    main()
