"""The year in review as a picture: entries by month, stacked by category, and the categories' counts.

A pure builder: a review in, PNG bytes out. matplotlib is imported only when a chart is drawn, so the
web process never pays its memory, and only through its object-oriented API: pyplot keeps global
state and is not thread-safe.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import get_month_names

from bot.domain.entries import category_label, safeguard_labels
from bot.domain.vocabulary import CATEGORIES
from bot.domain.yearly_review import TeamYearInReview, YearInReview
from bot.i18n import Translator

WIDTH, HEIGHT, DPI = 10, 6, 100  # inches and dots per inch: 1000 × 600 px
SAFEGUARDS_SHOWN = 3
# One colour per category on every chart (Okabe-Ito, which colour-blind readers can tell apart).
CATEGORY_COLOURS = {
    "engineering": "#0072B2",
    "data": "#E69F00",
    "management": "#009E73",
    "career": "#CC79A7",
    "personal": "#56B4E9",
    "other": "#999999",
}
INK, MUTED, FAINT = "#333333", "#666666", "#DDDDDD"


@cache
def _font_file(bold: bool) -> str:
    """NanumGothic from koreanize-matplotlib's package directory, found without importing it: its
    import rewrites matplotlib's global rcParams. It has Latin and Hangul, so one font serves every
    language (matplotlib's default DejaVu Sans has no Hangul)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    fonts = Path(spec.submodule_search_locations[0]) / "fonts"
    return str(fonts / ("NanumGothicBold.ttf" if bold else "NanumGothic.ttf"))


def _font(size: float, bold: bool = False):
    """The font by its file, not by family name: nothing joins matplotlib's process-wide font list."""
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=_font_file(bold), size=size)


def review_chart_png(t: Translator, review: YearInReview | TeamYearInReview) -> bytes:
    """The review as a 1000 × 600 PNG, every word through `t`, months named in `t.locale`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(1, 2, width_ratios=(2.4, 1), left=0.07, right=0.96, top=0.80, bottom=0.14, wspace=0.42)
    months, categories = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])

    fig.text(0.07, 0.93, _title(t, review), fontproperties=_font(18, bold=True), color=INK)
    fig.text(0.07, 0.875, _subtitle(t, review), fontproperties=_font(11), color=MUTED)
    safeguards = _safeguards_line(t, review)
    if safeguards:
        fig.text(0.07, 0.035, safeguards, fontproperties=_font(10), color=MUTED)
    _draw_months(t, months, review)
    _draw_categories(t, categories, review)
    for ax in (months, categories):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(colors=INK, length=0)

    png = BytesIO()
    fig.savefig(png, format="png", dpi=DPI)
    return png.getvalue()


def _draw_months(t: Translator, ax, review: YearInReview | TeamYearInReview) -> None:
    """Entries by month, each month's bar stacked by category, the most frequent at the bottom."""
    from matplotlib.collections import PolyCollection
    from matplotlib.ticker import MaxNLocator

    # Every piece of every bar in one collection: ax.bar adds each as its own patch, about a
    # millisecond apiece, and a busy year has 72 of them.
    pieces, colours, bottom = [], [], [0] * 12
    for key, counts in review.by_category_month:
        for month, n in enumerate(counts):
            if n:
                low, high = bottom[month], bottom[month] + n
                pieces.append([(month - 0.35, low), (month - 0.35, high), (month + 0.35, high), (month + 0.35, low)])
                colours.append(CATEGORY_COLOURS[key])
                bottom[month] = high
    ax.add_collection(PolyCollection(pieces, facecolors=colours, edgecolors="none"))
    names = get_month_names("abbreviated", locale=t.locale)
    ax.set_xticks(range(12), [names[m] for m in range(1, 13)], fontproperties=_font(10))
    ax.set_xlim(-0.6, 11.6)  # the twelve months even in a year with no bars
    top = max(max(review.by_month), 1)
    ticks = [int(v) for v in MaxNLocator(nbins=5, integer=True).tick_values(0, top) if v >= 0]
    ax.set_ylim(0, max(ticks[-1], top) * 1.05)
    # Ticks and labels set once by hand: a tick a locator made later would not get our font.
    ax.set_yticks(ticks, [t.number(v) for v in ticks], fontproperties=_font(10))
    ax.set_title(t("Entries by month"), fontproperties=_font(12, bold=True), color=INK, loc="left")
    ax.grid(axis="y", color=FAINT, linewidth=0.8)
    ax.set_axisbelow(True)
    if not review.total:
        empty = t("Nothing recorded this year.")
        ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", fontproperties=_font(13), color=MUTED)


def _draw_categories(t: Translator, ax, review: YearInReview | TeamYearInReview) -> None:
    """The categories' totals, which are also the legend of the stacked bars."""
    # One slot per category from the top down, so bars keep their thickness however few there are.
    shown = review.by_category
    rows = [len(CATEGORIES) - 1 - n for n in range(len(shown))]
    most = max((n for _key, n in shown), default=1)
    ax.barh(rows, [n for _key, n in shown], height=0.6, color=[CATEGORY_COLOURS[key] for key, _n in shown])
    for row, (_key, n) in zip(rows, shown, strict=True):
        ax.text(n + most * 0.03, row, t.number(n), va="center", fontproperties=_font(10), color=INK)
    ax.set_yticks(rows, [category_label(t, key) for key, _n in shown], fontproperties=_font(10))
    ax.set_xticks([])
    ax.set_xlim(0, most * 1.25)
    ax.set_ylim(-0.6, len(CATEGORIES) - 0.4)
    ax.set_title(t("By category"), fontproperties=_font(12, bold=True), color=INK, loc="left")
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(bool(shown))


def _title(t: Translator, review: YearInReview | TeamYearInReview) -> str:
    if isinstance(review, TeamYearInReview):
        return t.plural(
            "Our {year} in failures: {n} entry", "Our {year} in failures: {n} entries", review.total, year=review.year
        )
    return t.plural("{year} in failures: {n} entry", "{year} in failures: {n} entries", review.total, year=review.year)


def _subtitle(t: Translator, review: YearInReview | TeamYearInReview) -> str:
    done = t.plural("{n} action item done", "{n} action items done", review.action_items_done)
    if not isinstance(review, TeamYearInReview):
        return done
    people = t.plural("{n} person writing", "{n} people writing", review.people)
    shared = t(
        "{named} shared with names, {anonymous} anonymously, {private} private",
        named=t.number(review.shared_named),
        anonymous=t.number(review.shared_anonymous),
        private=t.number(review.private),
    )
    return " · ".join((people, shared, done))


def _safeguards_line(t: Translator, review: YearInReview | TeamYearInReview) -> str | None:
    named = [
        f"{label} {t.number(n)}"
        for key, n in review.safeguards[:SAFEGUARDS_SHOWN]
        for label in safeguard_labels(t, [key])
    ]
    return t("Safeguards named most: {safeguards}", safeguards=" · ".join(named)) if named else None
