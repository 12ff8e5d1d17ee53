"""The Markdown importer: hand-written layouts (tests/fixtures/import), the bot's own export read back, bad files."""

from __future__ import annotations

import codecs
import time
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
)
from bot.domain.markdown_reading import parse_resume
from bot.domain.vocabulary import CATEGORIES, SAFEGUARDS, VISIBILITIES
from bot.i18n import LOCALE_DIR, translator
from bot.text import clean_text
from storage.models import ActionItem, Entry
from tests.harness.drafts import DRAFT_LESSONS

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


# -- resumes written for readers: sections by kind, years in bullets, lessons in sentences -----------


def rows(plan) -> list[tuple]:
    """(year or None, what happened, lesson, category, section) of each entry."""
    return [
        (e.happened_on.year if e.happened_on else None, e.what_happened, e.lesson, e.category, e.section)
        for e in plan.entries
    ]


def test_an_english_blog_post_without_year_headings_gives_its_seven_failures():
    plan = fixture("blog_post.md")
    ds, management = "Top DS Failures", "Top management failures"
    assert rows(plan) == [
        (
            2023,  # the front matter's date: the bullet names no year
            "Built a churn model on leaky features; it scored 0.99 offline and fell apart in production.",
            "I learnt the importance of checking when every feature becomes known.",
            "data",
            ds,
        ),
        (
            2019,
            "Shipped a recommender without an A/B test.",
            "I learned that offline metrics are not the product.",
            "data",
            ds,
        ),
        (
            2020,
            "Spent three months tuning a model nobody had asked for (2020).",
            "talk to the people who will use it first.",
            "data",
            ds,
        ),
        (2023, "Trusted a dashboard without reading the query behind it", None, "data", ds),
        (
            2021,
            "Hired too fast for a team of five.",
            "We learned to write the role down before opening it.",
            "management",
            management,
        ),
        (
            2023,
            "Skipped one-on-ones during a crunch, and two people left.",
            "the crunch is when one-on-ones matter most",
            "management",
            management,
        ),
        (2022, "Promised a launch date to leadership without asking the team", None, "management", management),
    ]
    assert all(entry.day_known is False for entry in plan.entries)
    assert kinds(plan) == [
        ("text_before_first_section", 8, None),
        ("text_before_first_section", 11, None),
        ("image", 13, None),
        ("reference", 31, None),
        ("reference", 32, None),
    ]
    assert plan.undated() == 0 and plan.latest_year == TODAY.year


def test_a_korean_blog_post_without_a_date_leaves_the_entries_without_a_year_to_pick():
    plan = fixture("blog_post_ko.md")
    data, management = "데이터 분석 실패", "관리 실패"
    assert rows(plan) == [
        (
            None,
            "이탈 예측 모델을 미래 정보가 섞인 변수로 만들었다.",
            "변수마다 언제 알 수 있는 값인지 확인해야 한다는 것을 깨달았다.",
            "data",
            data,
        ),
        (2019, "A/B 테스트 없이 추천 모델을 배포했다.", "오프라인 지표가 곧 제품은 아니다.", "data", data),
        (None, "아무도 요청하지 않은 모델을 석 달 동안 튜닝했다", None, "data", data),
        (2021, "다섯 명 팀에 사람을 너무 빨리 뽑았다.", "채용 전에 역할부터 글로 적는다.", "management", management),
        (
            None,
            "마감 직전에 일대일 면담을 건너뛰었고 두 명이 떠났다.",
            "바쁠 때일수록 일대일 면담이 중요하다",
            "management",
            management,
        ),
    ]
    assert plan.undated() == 3 and plan.per_year() == [(2021, 1), (2019, 1)]
    assert kinds(plan) == [("text_before_first_section", 7, None), ("image", 9, None), ("reference", 25, None)]


DRAFT_YEARS = [(2023, 2), (2022, 2), (2021, 2), (2020, 2), (2019, 2), (2018, 2)]
DRAFT_NOTES = [
    ("empty_year", 7, 2024),
    ("empty_year", 21, 2017),
    ("empty_year", 23, 2016),
    ("empty_year", 25, 2025),
    ("year_out_of_order", 25, 2025),  # the stray 2025 among the table of contents
    ("empty_year", 27, 2014),
    ("empty_year", 29, 2013),
    ("in_comment", 31, None),
    ("reference", 70, 2018),
    ("reference", 71, 2018),
    ("reference", 72, 2018),
    ("reference", 73, 2018),
]


@pytest.mark.parametrize("name", sorted(DRAFT_LESSONS))
def test_a_draft_with_a_table_of_contents_and_its_resume_inside_a_comment(name):
    plan = fixture(name)
    # Twelve failures: the four reference links at the end are not failures.
    assert plan.per_year() == DRAFT_YEARS and len(plan.entries) == 12
    assert lessons(plan) == DRAFT_LESSONS[name]
    # 2023 to 2018 are headed twice (the table of contents, then their entries): not empty.
    assert kinds(plan) == DRAFT_NOTES
    [comment] = [anomaly for anomaly in plan.anomalies if anomaly.kind == "in_comment"]
    assert (comment.line, comment.last_line) == (31, 75)  # never closed: to the file's last line
    footnoted = plan.entries[2].what_happened
    assert footnoted.split("\n")[1].startswith("[^1]: ")  # the footnote goes with the entry that cites it
    assert {entry.category for entry in plan.entries} == {"other"} and {e.section for e in plan.entries} == {None}


def test_an_entrys_year_comes_from_its_bullet_then_its_heading_then_the_front_matter():
    text = "\n".join(
        [
            "---",
            "date: 2022-11-30",
            "---",
            "Failures:",
            "",
            "- 2019: Colon",
            "- **2018** — Bold and a dash",
            "- 2017 - Hyphen",
            "- Parenthesis at the end (2016)",
            "- Parenthesis (2015) in the middle",
            "- Battle of Hastings (1066) is no year of mine",
            "- 2019-2020 is a range, not a year",
            "- No year at all",
            "- 2031: Next decade",
        ]
    )
    plan = parse_resume(text, TODAY)
    assert [(year, what) for year, what, *_ in rows(plan)] == [
        (2019, "Colon"),
        (2018, "Bold and a dash"),
        (2017, "Hyphen"),
        (2016, "Parenthesis at the end"),
        (2015, "Parenthesis (2015) in the middle"),
        (2022, "Battle of Hastings (1066) is no year of mine"),
        (2022, "2019-2020 is a range, not a year"),
        (2022, "No year at all"),
    ]
    assert kinds(plan) == [("future_date", 14, 2031)]
    under_a_heading = parse_resume("## 2024\n- (2019) an old one, remembered late\n- this year's\n", TODAY)
    assert [year for year, *_ in rows(under_a_heading)] == [2019, 2024]
    scheduled = parse_resume("---\ndate: 2031-01-01\n---\nFailures:\n- Wrote a post ahead\n", TODAY)
    assert scheduled.undated() == 1  # a post dated after today gives its entries no year


@pytest.mark.parametrize(
    ("bullet", "what", "lesson"),
    [
        ("Broke prod. I learnt to canary.", "Broke prod.", "I learnt to canary."),
        ("Broke prod! I learned that canaries help.", "Broke prod!", "I learned that canaries help."),
        ("Broke prod. Lesson: canary first.", "Broke prod.", "canary first."),
        ("Broke prod. We learned to canary. It took a week.", "Broke prod. It took a week.", "We learned to canary."),
        ("Broke prod. Lessons learned: canary first.", "Broke prod.", "canary first."),
        ("배포하다 장애를 냈다. 배운 점: 카나리 배포부터.", "배포하다 장애를 냈다.", "카나리 배포부터."),
        ("배포하다 장애를 냈다. 교훈은 작게 나누는 것이다.", "배포하다 장애를 냈다.", "교훈은 작게 나누는 것이다."),
        (
            "배포하다 장애를 냈다. 작게 나눠야 한다는 것을 깨달았다.",
            "배포하다 장애를 냈다.",
            "작게 나눠야 한다는 것을 깨달았다.",
        ),
        ("I learned Go in a week.", "I learned Go in a week.", None),  # nothing else: it stays what happened
        ("Broke prod with no lesson in sight.", "Broke prod with no lesson in sight.", None),
    ],
)
def test_a_sentence_that_says_what_was_learned_is_the_lesson(bullet, what, lesson):
    [entry] = parse_resume(f"## 2024\n- {bullet}\n", TODAY).entries
    assert (entry.what_happened, entry.lesson) == (what, lesson)


def test_a_lesson_sentence_comes_before_the_nested_lesson_and_nothing_is_dropped():
    text = "## 2024\n- Broke prod. I learned to canary.\n  - Lesson: and to watch the graphs\n"
    [entry] = parse_resume(text, TODAY).entries
    assert (entry.what_happened, entry.lesson) == ("Broke prod.", "I learned to canary.\nand to watch the graphs")


def test_references_links_images_and_unused_footnotes_are_skipped_and_counted():
    text = "\n".join(
        [
            "## 2024",  # 1
            "- Broke prod",
            "  - [the postmortem](https://example.com/pm)",  # a nested link stays the entry's lesson
            "- [a link alone](https://example.com/a)",
            "- <https://example.com/b>, [c](https://example.com/c)",
            "* https://example.com/d",
            "- ![a picture](pic.png)",
            "![another](pic2.png)",
            "- [a link](https://example.com/e) with words is a failure",
            "[^unused]: Nobody cites me",  # 10
            "",
            "### References",
            "- Anything at all",
            "Even prose",
            "",
            "### Engineering",
            "- Still 2024",
            "",
            "Sources:",
            "- [s](https://example.com/s)",  # 20
            "",
            "## 참고",
            "- 아무거나",
        ]
    )
    plan = parse_resume(text, TODAY)
    assert texts(plan) == ["Broke prod", "[a link](https://example.com/e) with words is a failure", "Still 2024"]
    assert plan.entries[0].lesson == "[the postmortem](https://example.com/pm)"
    assert plan.entries[2].category == "engineering"
    assert kinds(plan) == [
        ("reference", 4, 2024),
        ("reference", 5, 2024),
        ("reference", 6, 2024),
        ("image", 7, 2024),
        ("image", 8, 2024),
        ("reference", 10, None),
        ("reference", 13, 2024),
        ("reference", 14, 2024),
        ("reference", 20, 2024),
        ("reference", 23, None),
    ]


def test_comments_within_a_line_are_skipped_and_a_comment_over_lines_is_read_and_reported():
    text = "\n".join(
        [
            "## 2024",
            "- Visible <!-- a private aside --> entry",
            "<!-- more -->",
            "<!--",
            "- Hidden draft",
            "  - Lesson: drafts count too",
            "-->",
            "- After the comment",
        ]
    )
    plan = parse_resume(text, TODAY)
    assert texts(plan) == ["Visible  entry", "Hidden draft", "After the comment"]
    assert lessons(plan)[1] == "drafts count too"
    assert kinds(plan) == [("comment", 2, 2024), ("comment", 3, 2024), ("in_comment", 4, None)]
    assert plan.anomalies[2].last_line == 7


def test_a_year_headed_twice_is_one_year_and_an_anchor_after_it_is_no_part_of_it():
    text = "## 2024\n## 2023\n## 2022\n\n## 2023[](https://x.example/#2023)\n- a\n## 2022 {#y2022}\n- b\n"
    plan = parse_resume(text, TODAY)
    assert plan.per_year() == [(2023, 1), (2022, 1)]
    assert kinds(plan) == [("empty_year", 1, 2024)]


def test_headings_with_nothing_under_them_are_reported_once_each():
    text = "# My resume\n\n## Contents\n\n## 2024\n### Engineering\n### Career\n- a\n## Notes\n"
    plan = parse_resume(text, TODAY)
    assert texts(plan) == ["a"] and plan.entries[0].category == "career"
    assert kinds(plan) == [("empty_heading", 3, None), ("empty_heading", 6, 2024), ("empty_heading", 9, None)]
    assert [anomaly.detail for anomaly in plan.anomalies] == ["Contents", "Engineering", "Notes"]


def test_a_cv_of_failures_by_category_gives_each_its_kind_and_keeps_the_sections_name():
    text = "\n".join(
        [
            "# CV of failures",
            "",
            "## Degree programmes I did not get into",
            "2008 PhD programme in Neuroscience, Harvard",
            "2007: Fulbright scholarship",
            "",
            "## Research funding I did not get",
            "- 2015: ERC Starting Grant",
            "- A grant whose year I forget",
            "",
            "## Engineering",
            "- 2016: Broke the build",
            "",
            "## Things I regret",
            "- 2014: Said yes to everything",
            "",
            "**Rejections**:",
            "- 2012 — Paper to Nature",
        ]
    )
    plan = parse_resume(text, TODAY)
    assert rows(plan) == [
        (2008, "PhD programme in Neuroscience, Harvard", None, "career", "Degree programmes I did not get into"),
        (2007, "Fulbright scholarship", None, "career", "Degree programmes I did not get into"),
        (2015, "ERC Starting Grant", None, "career", "Research funding I did not get"),
        (None, "A grant whose year I forget", None, "career", "Research funding I did not get"),
        (2016, "Broke the build", None, "engineering", None),  # the category's own label: nothing more to keep
        (2014, "Said yes to everything", None, "other", "Things I regret"),
        (2012, "Paper to Nature", None, "career", "Rejections"),
    ]
    assert plan.anomalies == ()


def test_a_file_of_bullets_that_name_their_years_needs_no_heading():
    plan = parse_resume("My failures, in no order\n\n- 2019: Missed a deadline\n- Lost a bet (2021)\n", TODAY)
    assert rows(plan) == [(2019, "Missed a deadline", None, "other", None), (2021, "Lost a bet", None, "other", None)]
    assert kinds(plan) == [("text_before_first_section", 1, None)]


def test_the_title_is_no_section_and_a_line_within_an_entry_is_no_label():
    with pytest.raises(ImportRefused, match="no_years"):
        parse_resume("# Things that went wrong\n\n- Deployed on a Friday\n- Missed a deadline\n", TODAY)
    several = parse_resume("# Work\n- Broke prod\n# Life\n- Missed a flight\n", TODAY)
    assert [(e.what_happened, e.category, e.section) for e in several.entries] == [
        ("Broke prod", "other", "Work"),
        ("Missed a flight", "personal", "Life"),
    ]
    within = parse_resume("Failures:\n- Broke prod\nWhat followed:\n- Missed a flight\n", TODAY)
    assert texts(within) == ["Broke prod\nWhat followed:", "Missed a flight"]


@pytest.mark.parametrize(
    "text",
    [
        "Failures:\n- " + "http://" * 3000 + " x\n",  # a links-only line that fails at its very end
        "Failures:\n- " + "[a](b)  " * 3000 + "!\n",
        "## 2024\na" + " " * 20000 + "b:\n- x\n",
        "## 2024\n- a" + " " * 20000 + "b I learned\n",
        "## a" + " " * 20000 + "x\n- y\n",
        "## 2023" + "[](" * 7000 + ")\n- y\n",
    ],
    ids=["links", "spaced-links", "label", "sentences", "closing-marks", "anchors"],
)
def test_a_crafted_line_is_read_in_one_pass_not_backtracked_into(text):
    started = time.monotonic()
    try:
        parse_resume(text, TODAY)
    except ImportRefused:
        pass
    assert time.monotonic() - started < 5  # each takes milliseconds; a backtracking pattern takes hours


def test_an_imported_section_goes_out_in_the_export_and_comes_back():
    entries = [
        make_entry(1, "Shipped a leaky model", "check the timestamps", date(2023, 1, 1), "data"),
        make_entry(2, "Rejected by Nature", None, date(2012, 5, 1), "career"),
        make_entry(3, "Typed <!-- in a note", "and --> in its lesson", date(2012, 6, 1), "other"),
    ]
    for entry, section in zip(entries, ["Top DS Failures", "Rejections · papers", "C#"], strict=True):
        entry.section = section
    for language in ("en", "ko"):
        plan = read_back(entries, language)
        assert_same(entries, plan)
        assert [entry.section for entry in plan.entries] == ["Top DS Failures", "C#", "Rejections · papers"]


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
    from bot.domain.markdown_years import _days

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
