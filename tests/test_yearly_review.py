"""The year in review: its numbers (pure, from transient entries) and its chart (a PNG, Korean included)."""

from __future__ import annotations

import struct
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from datetime import UTC, date, datetime

import pytest

from bot.blocks.review_chart import review_chart_png
from bot.domain.yearly_review import TeamYearInReview, personal_review, team_review, year_span
from bot.i18n import Translator, translator
from storage.models import ActionItem, Entry
from tests.harness.config import REPO

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def entry(
    id: int,
    day: date,
    category: str = "data",
    *,
    user: str = "U1",
    lesson: str | None = None,
    safeguards: tuple[str, ...] = (),
    visibility: str = "private",
    items: tuple[str, ...] = (),
) -> Entry:
    """A transient entry, never saved; `items` are action items' statuses ("open", "done", "dropped")."""
    return Entry(
        id=id,
        enterprise_id="",
        team_id="T0001",
        user_id=user,
        what_happened=f"What happened {id}",
        lesson=lesson,
        category=category,
        happened_on=day,
        safeguards=list(safeguards),
        visibility=visibility,
        action_items=[
            ActionItem(
                position=n,
                text=f"Step {n}",
                owner_id=user,
                status=status,
                done_at=datetime(day.year, 12, 1, tzinfo=UTC) if status == "done" else None,
            )
            for n, status in enumerate(items)
        ],
    )


# personal_review


def test_categories_most_first_with_ties_in_vocabulary_order_and_zeros_left_out():
    entries = [
        entry(1, date(2026, 1, 5), "career"),
        entry(2, date(2026, 2, 5), "data"),
        entry(3, date(2026, 3, 5), "personal"),
        entry(4, date(2026, 4, 5), "career"),
        entry(5, date(2026, 5, 5), "data"),
        entry(6, date(2026, 6, 5), "engineering"),
        entry(7, date(2026, 7, 5), "data"),
    ]
    review = personal_review(entries, 2026, {}, 0)
    # engineering and personal tie at 1: CATEGORIES order breaks the tie.
    assert review.by_category == (("data", 3), ("career", 2), ("engineering", 1), ("personal", 1))
    assert review.total == 7


def test_an_unknown_category_counts_as_other():
    review = personal_review(
        [entry(1, date(2026, 1, 1), "retired-key"), entry(2, date(2026, 1, 2), "other")], 2026, {}, 0
    )
    assert review.by_category == (("other", 2),)


def test_months_january_first_and_stacks_per_category():
    entries = [
        entry(1, date(2026, 1, 1), "data"),
        entry(2, date(2026, 1, 31), "engineering"),
        entry(3, date(2026, 3, 15), "data"),
        entry(4, date(2026, 12, 31), "data"),
    ]
    review = personal_review(entries, 2026, {}, 0)
    assert review.by_month == (2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1)
    assert review.by_category_month == (
        ("data", (1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
        ("engineering", (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    )


def test_only_the_year_asked_for_counts():
    entries = [
        entry(1, date(2025, 12, 31), "engineering", lesson="Last year's lesson"),
        entry(2, date(2026, 1, 1), "data", lesson="This year's lesson"),
        entry(3, date(2027, 1, 1), "career", lesson="Next year's lesson"),
    ]
    review = personal_review(entries, 2026, {1: 10, 3: 10}, 0)
    assert review.total == 1
    assert review.by_category == (("data", 1),)
    assert review.by_month == (1,) + (0,) * 11
    assert review.top_lessons == ("This year's lesson",)


def test_safeguards_count_entries_most_first_and_skip_unknown_keys():
    entries = [
        entry(1, date(2026, 1, 1), safeguards=("monitoring", "tests", "tests")),  # once per entry
        entry(2, date(2026, 2, 1), safeguards=("monitoring", "no-longer-offered")),
        entry(3, date(2026, 3, 1), safeguards=("runbook", "tests")),
        entry(4, date(2026, 4, 1), safeguards=("kill_switch",)),
        entry(5, date(2026, 5, 1)),
    ]
    review = personal_review(entries, 2026, {}, 0)
    # tests and monitoring tie at 2, kill_switch and runbook at 1: SAFEGUARDS order breaks ties.
    assert review.safeguards == (("tests", 2), ("monitoring", 2), ("kill_switch", 1), ("runbook", 1))


def test_top_lessons_by_nice_jobs_then_a_done_item_then_newest():
    entries = [
        entry(1, date(2026, 2, 1), lesson="Old, two Nice jobs"),
        entry(2, date(2026, 6, 1), lesson="New, no Nice job, done item", items=("open", "done")),
        entry(3, date(2026, 7, 1), lesson="Newest, no Nice job, only a dropped item", items=("dropped",)),
        entry(4, date(2026, 5, 1), lesson="One Nice job"),
        entry(5, date(2026, 9, 1), lesson=None),  # no lesson yet: never a top lesson
        entry(6, date(2026, 9, 2), lesson="   "),
    ]
    nice_jobs = {1: 2, 4: 1, 5: 9, 6: 9}
    assert personal_review(entries, 2026, nice_jobs, 0).top_lessons == (
        "Old, two Nice jobs",
        "One Nice job",
        "New, no Nice job, done item",
    )
    # Without Nice jobs, the entry with a done item comes first, then the newest.
    assert personal_review(entries, 2026, {}, 0).top_lessons == (
        "New, no Nice job, done item",
        "Newest, no Nice job, only a dropped item",
        "One Nice job",
    )


def test_top_lessons_tied_on_everything_newest_recorded_first_and_text_as_written():
    day = date(2026, 4, 1)
    entries = [
        entry(1, day, lesson="  First *as typed*\n"),
        entry(2, day, lesson="Second"),
        entry(3, day, lesson="Third"),
    ]
    assert personal_review(entries, 2026, {}, 0).top_lessons == ("Third", "Second", "  First *as typed*\n")


def test_items_done_is_the_callers_count():
    # Items the person owns can sit on a teammate's entry, so the count comes from the caller's query.
    entries = [entry(1, date(2026, 1, 1), items=("done", "done"))]
    assert personal_review(entries, 2026, {}, 5).action_items_done == 5
    assert year_span(2026) == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_an_empty_year():
    review = personal_review([entry(1, date(2025, 5, 1), lesson="Other year")], 2026, {}, 0)
    assert (review.total, review.by_category, review.by_category_month, review.top_lessons, review.safeguards) == (
        0,
        (),
        (),
        (),
        (),
    )
    assert review.by_month == (0,) * 12


# team_review


def team(people: int, year: int = 2026, **kwargs) -> list[Entry]:
    return [entry(n, date(year, 1 + n % 12, 1), user=f"UPERSON{n}", **kwargs) for n in range(people)]


def test_team_review_needs_the_crowd():
    assert team_review(team(2), 2026, crowd=3, items_done=0) is None
    review = team_review(team(3), 2026, crowd=3, items_done=4)
    assert review is not None
    assert (review.people, review.total, review.action_items_done) == (3, 3, 4)
    assert team_review([], 2026, crowd=0, items_done=0) is None  # a crowd of zero is still one person


def test_team_review_counts_people_of_that_year_only():
    entries = team(2) + [entry(10, date(2025, 6, 1), user="UPAST"), entry(11, date(2026, 6, 1), user="UPERSON0")]
    assert team_review(entries, 2026, crowd=3, items_done=0) is None
    review = team_review(entries + [entry(12, date(2026, 8, 1), user="UNEW")], 2026, crowd=3, items_done=0)
    assert (review.people, review.total) == (3, 4)


def test_team_review_counts_every_visibility_and_private_entries_count_toward_the_crowd():
    entries = [
        entry(1, date(2026, 1, 1), "engineering", user="UA", visibility="named"),
        entry(2, date(2026, 2, 1), "engineering", user="UA", visibility="anonymous"),
        entry(3, date(2026, 2, 1), "data", user="UB", visibility="private"),
        entry(4, date(2026, 3, 1), "career", user="UC", visibility="private", safeguards=("tests",)),
        entry(5, date(2026, 4, 1), "data", user="UB", visibility="anonymous"),
    ]
    entries[1].digest_id = 7  # carried by a digest; entry 5 still waits for its crowd: private
    review = team_review(entries, 2026, crowd=3, items_done=2)
    assert (review.shared_named, review.shared_anonymous, review.private) == (1, 1, 3)
    assert review.by_category == (("engineering", 2), ("data", 2), ("career", 1))
    assert review.by_month == (1, 2, 1, 1) + (0,) * 8
    assert review.safeguards == (("tests", 1),)


def test_team_review_holds_no_author_and_no_text():
    entries = [
        entry(
            n,
            date(2026, 3, n + 1),
            user=f"USECRET{n}",
            lesson=f"Secret lesson {n}",
            visibility=visibility,
            items=("done",),
        )
        for n, visibility in enumerate(["private", "anonymous", "named", "anonymous"])
    ]
    review = team_review(entries, 2026, crowd=4, items_done=1)
    shown = repr(review)
    for e in entries:
        for text in (e.user_id, e.what_happened, e.lesson, *(item.text for item in e.action_items)):
            assert text not in shown
    assert "USECRET" not in shown and "Secret" not in shown
    # Only counts and vocabulary keys: no field could carry a user id or a text.
    assert {f.name for f in fields(TeamYearInReview)} == {
        "year",
        "total",
        "year_only",
        "people",
        "by_category",
        "by_month",
        "by_category_month",
        "safeguards",
        "action_items_done",
        "shared_named",
        "shared_anonymous",
        "private",
    }


# The chart


class Hangul(Translator):
    """Korean months, and Hangul in every string the chart takes from the catalogue."""

    def __call__(self, message: str, **params: object) -> str:
        return "한국어 " + super().__call__(message, **params)

    def plural(self, singular: str, plural: str, n: int, **params: object) -> str:
        return "실패 " + super().plural(singular, plural, n, **params)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def glyph_warnings(draw) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = draw()
    return result, [str(w.message) for w in caught if "missing from font" in str(w.message)]


def busy_year() -> list[Entry]:
    categories = ["engineering", "data", "management", "career", "personal", "other"]
    return [
        entry(
            n,
            date(2026, 1 + n % 12, 1 + n % 28),
            categories[n % 5 if n % 7 else 5],
            user=f"U{n % 4}",
            safeguards=(("tests", "monitoring", "kill_switch")[n % 3],),
            visibility=("private", "anonymous", "named")[n % 3],
            lesson=f"Lesson {n}",
        )
        for n in range(40)
    ]


def test_the_warning_check_sees_a_missing_glyph():
    """The control: matplotlib's default font has no Hangul and says so, so a silent chart means something."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def draw():
        fig = Figure()
        FigureCanvasAgg(fig)
        fig.text(0.5, 0.5, "한국어")
        fig.canvas.draw()

    _result, missing = glyph_warnings(draw)
    assert missing


@pytest.mark.parametrize("t", [translator("ko"), Hangul("ko")], ids=["shipped-catalogue", "hangul-everywhere"])
def test_a_korean_chart_has_every_glyph(t):
    review = personal_review(busy_year(), 2026, {}, 3)
    png, missing = glyph_warnings(lambda: review_chart_png(t, review))
    assert missing == []
    assert png_size(png) == (1000, 600)


def test_an_english_chart():
    png, missing = glyph_warnings(lambda: review_chart_png(translator("en"), personal_review(busy_year(), 2026, {}, 0)))
    assert missing == []
    assert png_size(png) == (1000, 600)


def test_an_empty_year_still_renders():
    png, missing = glyph_warnings(lambda: review_chart_png(Hangul("ko"), personal_review([], 2026, {}, 0)))
    assert missing == []
    assert png_size(png) == (1000, 600)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_team_review_renders(language):
    review = team_review(busy_year(), 2026, crowd=3, items_done=7)
    png, missing = glyph_warnings(lambda: review_chart_png(Hangul(language), review))
    assert missing == []
    assert png_size(png) == (1000, 600)


def test_matplotlib_is_imported_only_to_draw_and_its_global_settings_stay_untouched():
    script = """
import sys
import bot.blocks.review_chart as chart
assert "matplotlib" not in sys.modules, "importing the builder loaded matplotlib"
import matplotlib
# Every setting but "backend": reading that one resolves it, which imports pyplot.
def settings():
    return {key: matplotlib.rcParams[key] for key in matplotlib.rcParams if key != "backend"}
before = settings()
from bot.domain.yearly_review import personal_review
from bot.i18n import translator
chart.review_chart_png(translator("ko"), personal_review([], 2026, {}, 0))
assert "koreanize_matplotlib" not in sys.modules, "koreanize_matplotlib was imported"
assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
assert settings() == before, "rcParams changed"
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_charts_drawn_on_threads_at_once_are_the_charts_drawn_one_by_one():
    # The task worker runs several threads: no shared figure state may leak between charts.
    review = personal_review(busy_year(), 2026, {}, 3)
    jobs = [(translator(language), review) for language in ("en", "ko") * 3]
    one_by_one = [review_chart_png(t, r) for t, r in jobs]
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(lambda job: review_chart_png(*job), jobs)) == one_by_one


def test_an_entry_with_only_its_year_counts_in_the_year_and_in_no_month():
    dated = entry(1, date(2026, 3, 4), "data")
    year_only = entry(2, date(2026, 1, 1), "career")
    year_only.day_known = False
    review = personal_review([dated, year_only], 2026, {}, 0)
    assert (review.total, review.year_only) == (2, 1)
    assert review.by_month == (0, 0, 1) + (0,) * 9
    assert review.by_category == (("data", 1), ("career", 1))
