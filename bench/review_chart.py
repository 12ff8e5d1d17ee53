"""The year-in-review chart: what matplotlib costs a worker to import, and how long a chart takes.

    .venv/bin/python -m bench.review_chart                      # 30 charts a language, English and Korean
    .venv/bin/python -m bench.review_chart --fresh-font-cache   # as on a new host: no matplotlib font cache yet

Import: the builder's own imports of matplotlib (figure, Agg canvas, font manager, ticker), timed
in a process that has already imported the app's modules, with the resident memory before and
after (VmRSS from /proc/self/status). The first chart is timed apart: it loads the fonts.
Charts: a busy personal year (120 entries over six categories) and a team year (2,000 entries of
50 people), alternating, in each language; p50 and p99 of the time to PNG bytes.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date

from bot.blocks.review_chart import review_chart_png
from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS
from bot.domain.yearly_review import personal_review, team_review
from bot.i18n import translator
from storage.models import Entry

YEAR = 2026


def memory() -> dict[str, float]:
    """Resident and peak resident memory in MiB (Linux), peak from getrusage elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            fields = dict(line.split(":", 1) for line in status)
        return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"VmRSS": peak, "VmHWM": peak}


def entries(count: int, people: int, rng: random.Random) -> list[Entry]:
    return [
        Entry(
            id=n + 1,
            user_id=f"U{n % people:03d}",
            what_happened="A mistake",
            lesson=f"Lesson {n}",
            category=rng.choice(list(CATEGORIES)),
            happened_on=date(YEAR, rng.randint(1, 12), rng.randint(1, 28)),
            safeguards=rng.sample(list(SAFEGUARDS), rng.randint(0, 3)),
            visibility=rng.choice(["private", "anonymous", "named"]),
        )
        for n in range(count)
    ]


def percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(share * len(sorted_ms)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--charts", type=int, default=30, help="charts per language")
    parser.add_argument("--fresh-font-cache", action="store_true", help="an empty MPLCONFIGDIR")
    args = parser.parse_args()
    if args.fresh_font_cache:
        os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp()
    assert "matplotlib" not in sys.modules, "something imported matplotlib before the measure"

    before = memory()
    t0 = time.perf_counter()
    import matplotlib.backends.backend_agg  # noqa: F401  (what review_chart_png imports)
    import matplotlib.figure  # noqa: F401
    import matplotlib.font_manager  # noqa: F401
    import matplotlib.ticker  # noqa: F401

    imported = (time.perf_counter() - t0) * 1000
    after = memory()
    print(
        f"import matplotlib: {imported:.0f} ms, RSS {before['VmRSS']:.1f} -> {after['VmRSS']:.1f} MiB "
        f"(+{after['VmRSS'] - before['VmRSS']:.1f} MiB)" + (" with a fresh font cache" if args.fresh_font_cache else "")
    )

    rng = random.Random(7)
    mine = personal_review(entries(120, 1, rng), YEAR, {}, 12)
    ours = team_review(entries(2_000, 50, rng), YEAR, crowd=3, items_done=340)
    t0 = time.perf_counter()
    first = review_chart_png(translator("ko"), mine)
    print(
        f"first chart (loads the fonts): {(time.perf_counter() - t0) * 1000:.0f} ms, {len(first) / 1024:.0f} KiB, "
        f"RSS {memory()['VmRSS']:.1f} MiB"
    )

    for language in ("en", "ko"):
        t = translator(language)
        times, sizes = [], []
        for n in range(args.charts):
            t0 = time.perf_counter()
            png = review_chart_png(t, mine if n % 2 == 0 else ours)
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(png))
        times.sort()
        print(
            f"{language}: {args.charts} charts, p50 {statistics.median(times):.0f} ms, "
            f"p99 {percentile(times, 0.99):.0f} ms, max {times[-1]:.0f} ms; "
            f"PNG {min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KiB"
        )
    final = memory()
    print(f"RSS after the charts {final['VmRSS']:.1f} MiB, peak {final['VmHWM']:.1f} MiB")


if __name__ == "__main__":
    main()
