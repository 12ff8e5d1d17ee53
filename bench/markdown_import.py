"""The Markdown import: how long a big resume takes to parse, and to save once its owner says yes.

    .venv/bin/python -m bench.markdown_import                # SQLite in a temporary directory
    .venv/bin/python -m bench.markdown_import --database-url postgresql+psycopg://…

Parse: the app's own export of 1,000 entries over 30 years (English and Korean), a hand-written
resume of 1,000 bullets with nested lessons, and a pasted resume at the form's 3,000 characters
(the one parsed in the web process, before the ack). Save: `confirm_import` of the 1,000-entry
export into an empty resume, in one transaction, as a worker does it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime

from bot.domain.entries import resume_markdown
from bot.domain.imports import confirm_import, prepare_import
from bot.domain.markdown_reading import parse_resume
from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS
from bot.i18n import translator
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_to_head
from storage.models import ActionItem, Entry
from storage.types import Workspace

TODAY = date(2026, 12, 4)
NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
WS = Workspace("", "TBENCH")


def exported(language: str, count: int) -> str:
    categories, safeguards = list(CATEGORIES), list(SAFEGUARDS)
    entries = [
        Entry(
            id=n + 1,
            what_happened=f"Mistake {n}: the deploy went out on a Friday and the cache fell over 캐시 {n}",
            lesson=f"Lesson {n}: deploy early in the week" if n % 4 else None,
            category=categories[n % len(categories)],
            happened_on=date(1996 + n % 30, 1 + n % 12, 1 + n % 28),  # 1996-2025: none in the future
            safeguards=safeguards[: n % 3],
            visibility="private",
            action_items=[ActionItem(text=f"Step {n}", status="open")] if n % 2 else [],
        )
        for n in range(count)
    ]
    return resume_markdown(translator(language), entries, person="Ada")


def hand_written(count: int) -> str:
    lines = []
    for year in range(2026, 2026 - 30, -1):
        lines += [f"## {year}", ""]
        lines += [f"- Missed deadline {year}-{n}\n  - Ask the team first" for n in range(count // 30)]
    return "\n".join(lines) + "\n"


def timed(work, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    print(f"{name}: p50 {statistics.median(times):.0f} ms, max {max(times):.0f} ms ({len(times)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    english, korean, by_hand = exported("en", 1000), exported("ko", 1000), hand_written(1000)
    pasted = by_hand[:3000]
    print(f"export en {len(english.encode()) // 1024} KiB, ko {len(korean.encode()) // 1024} KiB")
    # The first parse builds each year's date table (both languages), kept for the next ones.
    report("first parse of 1,000 exported entries over 30 years", timed(lambda: parse_resume(english, TODAY), 1))
    report("parse 1,000 exported entries (en)", timed(lambda: parse_resume(english, TODAY), args.runs))
    report("parse 1,000 exported entries (ko)", timed(lambda: parse_resume(korean, TODAY), args.runs))
    report("parse 1,000 hand-written bullets", timed(lambda: parse_resume(by_hand, TODAY), args.runs))
    report("parse a 3,000-character paste", timed(lambda: parse_resume(pasted, TODAY), args.runs * 4))

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/import.db"
    upgrade_to_head(url)
    sf = make_session_factory(make_engine(url))
    times = []
    for run in range(args.runs):
        user = f"U{run}"
        pending = prepare_import(sf, WS, user, english, TODAY, NOW)
        start = time.perf_counter()
        done = confirm_import(sf, WS, user, pending.import_id, TODAY, NOW)
        times.append((time.perf_counter() - start) * 1000)
        assert done is not None and done.imported == 1000, done
    report("save 1,000 entries (confirm_import)", times)


if __name__ == "__main__":
    main()
