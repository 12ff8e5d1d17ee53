"""The year in review: a person's, in their DM, and the team's, in the retro channel (counts only)."""

from __future__ import annotations

from babel.dates import get_month_names

from bot.blocks.common import context, escape_within, header, section
from bot.domain.entries import category_label
from bot.domain.vocabulary import SAFEGUARDS
from bot.domain.yearly_review import TeamYearInReview, YearInReview
from bot.i18n import Translator

TOP_MONTHS = 3
TEAM_SAFEGUARDS_SHOWN = 3


def _categories(t: Translator, counts: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{category_label(t, key)} {t.number(n)}" for key, n in counts)


def _busiest_months(t: Translator, by_month: tuple[int, ...]) -> str:
    names = get_month_names("wide", locale=t.locale)
    counted = [(month, n) for month, n in enumerate(by_month, start=1) if n]
    busiest = sorted(counted, key=lambda month_n: (-month_n[1], month_n[0]))[:TOP_MONTHS]  # earlier first on a tie
    return ", ".join(f"{names[month]} {t.number(n)}" for month, n in busiest)


def _months_line(t: Translator, review: YearInReview | TeamYearInReview) -> str:
    """The busiest months, and how many entries have no month (imported with only their year)."""
    line = t("*Busiest months:* {months}", months=_busiest_months(t, review.by_month)) if any(review.by_month) else ""
    if review.year_only:
        undated = t.plural(
            "{n} entry has only its year, so it is in no month.",
            "{n} entries have only their year, so they are in no month.",
            review.year_only,
        )
        line = f"{line} ({undated})" if line else undated
    return line


def _safeguards(t: Translator, counts: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{t(SAFEGUARDS[key])} {t.number(n)}" for key, n in counts if key in SAFEGUARDS)


def build_review_message(t: Translator, review: YearInReview) -> dict:
    """A person's year in failures; its chart follows as an image in the same DM."""
    title = t("Your {year} in failures", year=review.year)
    if not review.total:
        text = t(
            "Nothing recorded in {year} yet. When something does not go as planned, `/fail` keeps it.", year=review.year
        )
        return {"text": text, "blocks": [header(title), section(text)]}
    lines = [
        t.plural(
            "*{n} entry* this year. Every one of them is something we learned from. Nice job!",
            "*{n} entries* this year. Every one of them is something we learned from. Nice job!",
            review.total,
        ),
        t("*By category:* {counts}", counts=_categories(t, review.by_category)),
        _months_line(t, review),
        t.plural("*{n} action item* done this year.", "*{n} action items* done this year.", review.action_items_done),
    ]
    if review.safeguards:
        lines.append(t("*Safeguards we named:* {counts}", counts=_safeguards(t, review.safeguards)))
    blocks = [header(title), section("\n".join(lines))]
    if review.top_lessons:
        lessons = "\n".join(f"• {escape_within(lesson, 600)}" for lesson in review.top_lessons)
        blocks.append(section(t("*Lessons worth keeping:*") + "\n" + lessons))
    blocks.append(context(t("Only you see this. The chart below shows the year month by month.")))
    return {"text": title, "blocks": blocks}


def build_team_review_message(t: Translator, review: TeamYearInReview) -> dict:
    """The team's year, in numbers alone: no words of an entry, no names, private and anonymous ones
    only counted (and nothing at all below the anonymity crowd, decided before this is built)."""
    title = t("Our {year} in failures", year=review.year)
    lines = [
        t.plural(
            "*{n} entry* recorded by the team this year.", "*{n} entries* recorded by the team this year.", review.total
        )
        + " "
        + t(
            "Shared by name {named}, anonymously {anonymous}, kept private {private}.",
            named=t.number(review.shared_named),
            anonymous=t.number(review.shared_anonymous),
            private=t.number(review.private),
        ),
        t("*By category:* {counts}", counts=_categories(t, review.by_category)),
        _months_line(t, review),
        t.plural("*{n} action item* done this year.", "*{n} action items* done this year.", review.action_items_done),
    ]
    if review.safeguards:
        lines.append(
            t("*Safeguards we named most:* {counts}", counts=_safeguards(t, review.safeguards[:TEAM_SAFEGUARDS_SHOWN]))
        )
    blocks = [
        header(title),
        section("\n".join(lines)),
        context(t("Thank you all for writing things down. That is how the same mistake never happens twice.")),
    ]
    return {"text": title, "blocks": blocks}


def build_review_year_message(t: Translator, asked: str, year: int | None, years: list[int], this_year: int) -> dict:
    """`/fail review` with a year it cannot use (`asked`: what was typed when it is no year): what is
    wrong, and the years the resume has entries in (`years`, oldest first)."""
    if year is None:
        wrong = t("“{asked}” is not a year.", asked=escape_within(asked, 50))
    elif year > this_year:
        wrong = t("{year} has not come yet.", year=year)
    else:
        wrong = t("There are no entries from {year}.", year=year)
    if not years:
        works = t("Your resume has no entries yet, so there is no year to review: record one with `/fail` first.")
    elif len(years) == 1:
        works = t("Your resume has entries from {year} only: try `/fail review {year}`.", year=years[0])
    elif years[-1] - years[0] + 1 == len(years):
        works = t(
            "Your resume has entries from {first} to {last}: try `/fail review {last}`.", first=years[0], last=years[-1]
        )
    else:
        works = t(
            "Your resume has entries from these years: {years}. Try `/fail review {last}`.",
            years=", ".join(str(y) for y in years),
            last=years[-1],
        )
    text = f"{wrong} {works}"
    return {"text": text, "blocks": [section(text)]}
