"""The Markdown importer: hand-written layouts (tests/fixtures/import), the bot's own export read back, bad files."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.blocks import entry_modal
from bot.domain import markdown_import
from bot.domain.entries import MARKDOWN_LINE_MARKS, by_year, resume_markdown
from bot.domain.markdown_import import (
    IMPORT_BYTES_MAX,
    IMPORT_ENTRIES_MAX,
    ImportedItem,
    ImportRefused,
    decode_markdown,
    parse_resume,
)
from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS, VISIBILITIES
from bot.i18n import LOCALE_DIR, translator
from bot.slack.text import clean_text
from storage.models import ActionItem, Entry

FIXTURES = Path(__file__).parent / "fixtures" / "import"
TODAY = date(2025, 6, 15)
DONE_AT = datetime(2025, 1, 2, 9, tzinfo=UTC)
KOREAN_CATALOGUE = LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.po"
needs_korean = pytest.mark.skipif(
    not KOREAN_CATALOGUE.exists(), reason="bot/locale/ko/LC_MESSAGES/messages.po is not written yet"
)


def fixture(name: str):
    return parse_resume(decode_markdown((FIXTURES / name).read_bytes()), TODAY)


def texts(plan) -> list[str]:
    return [entry.what_happened for entry in plan.entries]


def lessons(plan) -> list[str | None]:
    return [entry.lesson for entry in plan.entries]


def kinds(plan) -> list[tuple[str, int, int | None]]:
    return [(anomaly.kind, anomaly.line, anomaly.year) for anomaly in plan.anomalies]


# -- hand-written layouts ---------------------------------------------------------------------


def test_yaml_front_matter_is_skipped_quietly():
    plan = fixture("yaml_front_matter.md")
    assert texts(plan) == [
        "Shipped a migration without a rollback plan",
        "Missed a deadline because I never asked for help",
    ]
    assert lessons(plan) == ["Always write the down migration first", None]
    assert [entry.happened_on for entry in plan.entries] == [date(2024, 1, 1), date(2023, 1, 1)]
    assert [entry.line for entry in plan.entries] == [11, 16]
    assert plan.anomalies == ()
    assert plan.per_year() == [(2024, 1), (2023, 1)]


def test_toml_front_matter_is_skipped_even_a_line_that_looks_like_a_year():
    plan = fixture("toml_front_matter.md")
    assert texts(plan) == ["Forgot to renew the TLS certificate", "Reviewed a pull request without running it"]
    assert lessons(plan) == ["put renewals in the team calendar", None]
    assert plan.per_year() == [(2022, 2)]
    assert plan.anomalies == ()


def test_single_hash_year_headings():
    plan = fixture("single_hash_years.md")
    assert texts(plan) == [
        "Deleted the staging database thinking it was my local one",
        "Told a customer a feature was done before it was merged",
        "Took on three projects at once",
    ]
    assert plan.per_year() == [(2019, 2), (2018, 1)]
    assert {entry.category for entry in plan.entries} == {"other"}
    assert plan.anomalies == ()


def test_nested_bullets_are_the_lesson_and_indented_lines_continue_the_text():
    plan = fixture("nested_lessons.md")
    assert texts(plan) == [
        "Rolled out the new search to everyone at once",
        "Ignored a flaky test for weeks,\nuntil it hid a real bug",
        "Rewrote the billing job without tests",
    ]
    assert lessons(plan) == [
        "Roll out to 5% first\nWatch the error rate for a day",
        "A flaky test is a bug report",
        None,
    ]
    assert [entry.line for entry in plan.entries] == [5, 8, 11]
    assert plan.anomalies == ()


def test_numbered_lists_with_dots_and_parentheses():
    plan = fixture("numbered_list.md")
    assert texts(plan) == [
        "Estimated the project at two weeks; it took three months",
        "Merged on a Friday evening",
        "Kept quiet in the retro",
    ]
    assert lessons(plan) == [None, "merges wait until Monday", None]
    assert [entry.line for entry in plan.entries] == [3, 4, 6]


def test_lesson_lines_in_their_many_spellings():
    plan = fixture("lesson_learnt_lines.md")
    assert lessons(plan) == [
        "the review would have saved a week",
        "secrets go in the vault",
        "sleep first, then fix",
        "write it down",
        "always store UTC",
    ]
    assert texts(plan)[0] == "Skipped the design review to save time"
    assert plan.anomalies == ()


def test_a_year_without_items_is_reported():
    plan = fixture("empty_year.md")
    assert texts(plan) == ["Broke the build twice in one day", "Promised a date without asking the team"]
    assert kinds(plan) == [("empty_year", 5, 2023)]


def test_years_in_any_order_and_the_one_out_of_place_is_flagged():
    plan = fixture("out_of_order.md")
    assert plan.per_year() == [(2025, 1), (2016, 1), (2014, 1)]  # all imported
    assert kinds(plan) == [("year_out_of_order", 5, 2025)]
    ascending = parse_resume("## 2014\n- a\n## 2016\n- b\n## 2015\n- c\n## 2020\n- d\n", TODAY)
    assert kinds(ascending) == [("year_out_of_order", 5, 2015)]


def test_a_future_year_is_reported_and_its_entries_skipped():
    plan = fixture("future_year.md")
    assert texts(plan) == ["Let a dependency go three major versions out of date"]
    assert kinds(plan) == [("future_year", 1, 2031)]
    assert plan.anomalies[0].detail == "2031"


def test_text_before_the_first_year_is_skipped_and_reported_once_per_paragraph():
    plan = fixture("text_before_heading.md")
    assert texts(plan) == ["Pushed straight to main"]
    assert kinds(plan) == [("text_before_first_year", 1, None), ("text_before_first_year", 4, None)]
    assert plan.anomalies[0].detail == "I keep this list so that I remember what each mistake taugh…"
    assert all(len(anomaly.detail) <= markdown_import.DETAIL_MAX for anomaly in plan.anomalies)


def test_korean_throughout():
    plan = fixture("korean.md")
    assert texts(plan) == [
        "금요일 오후에 배포했다가 장애를 냈다",
        "회의록을 남기지 않아서 결정이 뒤집혔다",
        "백업을 확인하지 않았다",
    ]
    assert lessons(plan) == ["금요일에는 배포하지 않는다", "결정은 바로 기록한다 📝", "복구 연습까지 해야 백업이다"]
    assert plan.per_year() == [(2023, 2), (2022, 1)]
    assert plan.anomalies == ()


@needs_korean
def test_a_korean_category_heading_sets_the_category():
    assert [entry.category for entry in fixture("korean.md").entries] == ["other", "other", "engineering"]


def test_links_and_footnotes_are_kept_exactly_with_their_definitions():
    plan = fixture("links_and_footnotes.md")
    assert texts(plan) == [
        "Trusted a [status page](https://status.example.com) instead of our own alerts[^status]\n"
        '[^status]: The page said "all green" for two hours.',
        "Copied a snippet from [Stack Overflow](https://stackoverflow.com/q/1) without reading it",
    ]
    assert lessons(plan) == ["read [our dashboards][dash] first\n[dash]: https://grafana.example.com/d/abc", None]
    assert plan.anomalies == ()


def test_a_file_without_year_headings_is_refused():
    with pytest.raises(ImportRefused) as refused:
        fixture("not_markdown.md")
    assert refused.value.reason == "no_years"
    with pytest.raises(ImportRefused, match="no_years"):
        parse_resume("# My failures\n\nI have made many. I will write them down one day.\n", TODAY)


def test_category_sub_headings_set_the_category_until_the_next_heading():
    text = "# Resume\n\n## 2024\n\n### Engineering\n- a\n### career\n- b\n### Things I regret\n- c\n## 2023\n- d\n"
    plan = parse_resume(text, TODAY)
    assert [(entry.what_happened, entry.category) for entry in plan.entries] == [
        ("a", "engineering"),
        ("b", "career"),
        ("c", "other"),
        ("d", "other"),
    ]


def test_lines_that_belong_to_no_entry_are_reported_not_lost():
    text = "## 2024\nA hard year.\n\n- a\n  continued\n\n  still a\n\nNot part of a.\n\n## Notes\n- not an entry\n"
    plan = parse_resume(text, TODAY)
    assert texts(plan) == ["a\ncontinued\n\nstill a"]
    assert kinds(plan) == [("unknown_line", 2, 2024), ("unknown_line", 9, 2024), ("unknown_line", 12, None)]


def test_a_top_level_lesson_bullet_and_nested_action_items_belong_to_the_entry_above():
    text = "## 2024\n- Broke prod\n- Lesson: small steps\n  - [x] add a canary\n  - [ ] write the runbook\n"
    [entry] = parse_resume(text, TODAY).entries
    assert entry.lesson == "small steps"
    assert entry.action_items == (ImportedItem("add a canary", True), ImportedItem("write the runbook", False))


def test_heading_variants_and_an_export_entry_dated_after_today():
    text = "## 2025 ##\n- a\n-\n### Jun 16, 2025 · Data\n\nTomorrow\n\n_Only me_\n# **2023** — the hard year\n- b\n"
    plan = parse_resume(text, TODAY)
    assert texts(plan) == ["a", "b"]
    assert plan.per_year() == [(2025, 1), (2023, 1)]
    assert kinds(plan) == [("unknown_line", 3, 2025), ("future_date", 4, 2025)]


def test_an_entry_over_a_limit_is_skipped_whole_never_cut():
    limit, item_limit = markdown_import.TEXT_MAX, markdown_import.ACTION_ITEM_MAX
    text = "\n".join(
        [
            "## 2024",
            "- " + "a" * limit,
            "- " + "b" * (limit + 1),
            "- c",
            "  Lesson: " + "l" * (limit + 1),
            "- d",
            "  - [ ] " + "i" * (item_limit + 1),
            "- e",
            *["  - [ ] step"] * (markdown_import.ACTION_ITEMS_MAX + 1),
        ]
    )
    plan = parse_resume(text, TODAY)
    assert texts(plan) == ["a" * limit]
    assert kinds(plan) == [("too_long", 3, 2024), ("too_long", 4, 2024), ("too_long", 6, 2024), ("too_long", 8, 2024)]
    assert plan.anomalies[0].detail == "b" * 59 + "…"


def test_the_limits_are_the_record_forms():
    assert markdown_import.TEXT_MAX == entry_modal.TEXT_MAX
    assert markdown_import.ACTION_ITEMS_MAX == entry_modal.ACTION_ITEMS_MAX
    assert markdown_import.ACTION_ITEM_MAX == entry_modal.ACTION_ITEM_MAX


# -- bad files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b" \n\t\r\n  ", "empty"),
        ("\ufeff  \n".encode(), "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary"),
        (b"## 2024\n- a\x00b\n", "binary"),
        (b"## 2024\n- caf\xe9 au lait\n", "binary"),
        (b"\xff\xfe\x00", "binary"),  # UTF-16 cut in half
        (b"a" * (IMPORT_BYTES_MAX + 1), "too_big"),
    ],
)
def test_bad_bytes_are_refused_with_a_reason(data, reason):
    with pytest.raises(ImportRefused) as refused:
        decode_markdown(data)
    assert refused.value.reason == reason


def test_utf8_with_a_bom_and_utf16_with_a_bom_are_read():
    text = "## 2024\n- 배포 🙈\n"
    assert decode_markdown(codecs.BOM_UTF8 + text.encode()) == text
    assert decode_markdown(text.encode("utf-16")) == text
    assert decode_markdown(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == text
    assert decode_markdown(b"a" * IMPORT_BYTES_MAX) == "a" * IMPORT_BYTES_MAX


def test_windows_line_endings_give_the_same_entries():
    text = (FIXTURES / "nested_lessons.md").read_text()
    assert parse_resume(text.replace("\n", "\r\n"), TODAY) == parse_resume(text, TODAY)


def test_blank_text_is_refused_as_empty():
    with pytest.raises(ImportRefused, match="empty"):
        parse_resume(" \n\n", TODAY)


def test_too_many_bullets_are_refused_as_a_whole_with_the_count():
    with pytest.raises(ImportRefused) as refused:
        parse_resume("## 2024\n" + "- oops\n" * 5000, TODAY)
    assert (refused.value.reason, refused.value.count) == ("too_many", 5000)
    assert len(parse_resume("## 2024\n" + "- oops\n" * IMPORT_ENTRIES_MAX, TODAY).entries) == IMPORT_ENTRIES_MAX


# -- the bot's own export, read back ----------------------------------------------------------


def make_entry(
    entry_id: int,
    what: str,
    lesson: str | None,
    happened_on: date,
    category: str = "engineering",
    safeguards=(),
    items=(),
    source_link: str | None = None,
    visibility: str = "private",
) -> Entry:
    """A transient entry, never saved: the export only reads its fields."""
    return Entry(
        id=entry_id,
        what_happened=what,
        lesson=lesson,
        happened_on=happened_on,
        category=category,
        safeguards=list(safeguards),
        visibility=visibility,
        source_link=source_link,
        action_items=[
            ActionItem(text=text, position=n, done_at=DONE_AT if done else None, status="done" if done else "open")
            for n, (text, done) in enumerate(items)
        ],
    )


def read_back(entries: list[Entry], language: str = "en"):
    text = resume_markdown(translator(language), entries, person="Ada")
    plan = parse_resume(text, TODAY)
    assert plan.anomalies == (), text
    return plan


def assert_same(entries: list[Entry], plan) -> None:
    expected = [
        (
            e.happened_on,
            e.what_happened,
            e.lesson,
            e.category if e.category in CATEGORIES else "other",
            tuple(e.safeguards),
            tuple(ImportedItem(item.text, item.done_at is not None) for item in e.action_items),
            e.source_link,
        )
        for _, group in by_year(entries)
        for e in group
    ]
    got = [
        (e.happened_on, e.what_happened, e.lesson, e.category, e.safeguards, e.action_items, e.source_link)
        for e in plan.entries
    ]
    assert got == expected


TRICKY = [
    make_entry(
        1,
        "# not a heading\n## 2019\n### Mar 1, 2024 · Data\n- not a bullet\n1. not a list\n2) nor this\n"
        "> not a quote\n<!channel> and <@U123>\n**What we learned:** not the lesson\n_Only me_",
        "- still the lesson\n\n  indented, after a blank line\n<https://not.a.link>",
        date(2024, 3, 1),
        category="data",
        safeguards=("tests", "runbook"),
        items=(("- ship it", True), ("[ ] write it down", False), ("배포 🙈", False)),
        source_link="https://example.slack.com/archives/C0001/p1700000000000100",
    ),
    make_entry(2, "배포했다가 장애가 났다 🙈\n두 번째 줄", None, date(2024, 12, 31), category="retired-category"),
    make_entry(3, "Lesson still to come? No: a lesson-less entry", None, date(2019, 1, 1), visibility="named"),
    make_entry(4, "[^1] and [a link](https://x.example)", "Lesson: kept as typed", date(2019, 7, 4), "career"),
]


def test_the_export_reads_back_exactly():
    plan = read_back(TRICKY)
    assert_same(TRICKY, plan)
    assert plan.entries[0].line == 5


@needs_korean
def test_the_korean_export_reads_back_exactly():
    assert "우리가 배운 점" in resume_markdown(translator("ko"), TRICKY, person="Ada")
    assert_same(TRICKY, read_back(TRICKY, "ko"))


def test_an_empty_export_has_no_years():
    with pytest.raises(ImportRefused, match="no_years"):
        parse_resume(resume_markdown(translator("en"), [], person="Ada"), TODAY)


PIECES = [
    *MARKDOWN_LINE_MARKS,
    "# ",
    "## 2024",
    "- ",
    "1. ",
    "2) ",
    "- [x] ",
    "<!channel>",
    "<@U123>",
    "**What we learned:** ",
    "**Action items:**",
    "_Only me_",
    "[^1]: ",
    "Lesson: ",
    "배운 점: ",
    "배포",
    "🙈",
    " · ",
    "\n",
    "\n\n",
    "  ",
    "\t",
    "\u2028",
    "\\",
    "x",
]
# As the record form stores it: cleaned and stripped.
stored_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=16).map(
    lambda parts: clean_text("".join(parts)).strip()
)


def escapable(text: str) -> bool:
    """markdown_text cannot tell `\\#` typed by a person from the `\\` it adds before `#`: leave those out."""
    for line in text.split("\n"):
        body = line.lstrip()
        if body.startswith("\\") and body[1:].startswith(MARKDOWN_LINE_MARKS):
            return False
        if markdown_import.ESCAPED_NUMBER.match(body):
            return False
    return True


@st.composite
def exported_entries(draw) -> list[Entry]:
    entries = []
    for n in range(draw(st.integers(1, 4))):
        what = draw(stored_text.map(lambda s: s or "x"))
        lesson = draw(st.none() | stored_text.map(lambda s: s or None))
        items = draw(st.lists(stored_text.map(lambda s: s.split("\n")[0].strip() or "x"), max_size=3))
        assume(escapable(what) and escapable(lesson or "") and all(map(escapable, items)))
        assume(lesson not in {translator(code)("Lesson still to come.") for code in ("en", "ko")})
        entries.append(
            make_entry(
                n + 1,
                what,
                lesson,
                draw(st.dates(min_value=date(2015, 1, 1), max_value=TODAY)),
                category=draw(st.sampled_from(list(CATEGORIES))),
                safeguards=draw(st.lists(st.sampled_from(list(SAFEGUARDS)), unique=True)),
                items=[(item, draw(st.booleans())) for item in items],
                source_link=draw(st.none() | st.just("https://example.slack.com/archives/C1/p1")),
                visibility=draw(st.sampled_from(list(VISIBILITIES))),
            )
        )
    return entries


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=exported_entries(), language=st.sampled_from(["en", "ko"]))
def test_any_export_reads_back_exactly(entries, language):
    assert_same(entries, read_back(entries, language))


def test_a_file_of_nothing_but_year_headings_is_refused_as_too_many_as_it_is_read():
    with pytest.raises(ImportRefused) as refused:
        parse_resume("".join(f"# {1000 + n}\n## a · b\n" for n in range(1001)), TODAY)
    assert (refused.value.reason, refused.value.count) == ("too_many", 2002)


def test_a_years_export_dates_are_every_day_of_it_in_every_language():
    from bot.domain.markdown_import import _days

    common, leap = _days(2023), _days(2024)
    assert len(common) == 365 * 2 and len(leap) == 366 * 2
    assert leap["Feb 29, 2024"] == date(2024, 2, 29) and "Feb 29, 2023" not in common
    assert common["2023. 12. 31."] == date(2023, 12, 31)


def test_a_bullet_knows_only_its_year_and_so_does_the_exports_year_only_entry():
    plan = parse_resume("## 2019\n\n- Missed the deadline\n\n### 2018 · Career\n", TODAY)
    [bullet] = plan.entries
    assert (bullet.happened_on, bullet.day_known) == (date(2019, 1, 1), False)
    exported = parse_resume("# Failure resume of Ada\n\n## 2019\n\n### 2019 · Career\n\nMissed it\n", TODAY)
    [entry] = exported.entries
    assert (entry.what_happened, entry.category, entry.day_known) == ("Missed it", "career", False)
    dated = parse_resume("## 2019\n\n### Mar 4, 2019 · Career\n\nMissed it\n", TODAY)
    assert dated.entries[0].day_known is True and dated.entries[0].happened_on == date(2019, 3, 4)
