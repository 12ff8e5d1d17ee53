"""The lessons canvas in the retro channel: every lesson the team's digests carried, by category, newest
first, in canvas Markdown. Pure: the items in, the Markdown out."""

from __future__ import annotations

import re

from bot.domain.digest import DigestItem
from bot.domain.entries import category_label
from bot.domain.vocabulary import CATEGORIES
from bot.i18n import Translator

# A canvas takes 1 MiB of Markdown; this many lessons stay far within it and still read as a page.
CANVAS_LESSONS_MAX = 200
WHAT_HAPPENED_MAX = 600
LESSON_MAX = 800
# Why the last rewrite made no canvas, as kept for the settings to say.
NO_SCOPE = "no_scope"
NO_CANVASES = "no_canvases"
# What could make user text into emphasis, a link, an image or a mention (`![](@U1)`, `<@U1>`,
# `<!channel>`), or a table cell: each is written escaped, as itself.
MARKDOWN_MARKS = re.compile(r"([\\`*_\[\]()!<>~&|#])")
LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")


def canvas_text(text: str, limit: int) -> str:
    """User text as inert canvas Markdown on one line (a line of theirs can start no heading or list)."""
    text = LINE_BREAKS.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return MARKDOWN_MARKS.sub(r"\\\1", text)


def user_mention(user_id: str) -> str:
    """A canvas mention of a person: a profile chip, without a notification."""
    return f"![](@{user_id})"


def lessons_canvas_title(t: Translator) -> str:
    return t("Lessons the team learned")


def _lesson_lines(t: Translator, item: DigestItem) -> list[str]:
    lesson = canvas_text(item.lesson, LESSON_MAX) if item.lesson else f"_{t('Lesson still to come.')}_"
    if item.author_id:
        who = t("{author} learned:", author=user_mention(item.author_id))
    else:
        who = t("We learned:")
    label = t("What happened")  # outside the f-string, where Babel's extraction finds it
    return [f"- **{who}** {lesson}", f"  - _{label}:_ {canvas_text(item.what_happened, WHAT_HAPPENED_MAX)}"]


def build_lessons_canvas(t: Translator, items: list[DigestItem]) -> str:
    """`items`: the lessons the digests carried and still shared, newest first; anonymous ones have no
    author. The newest CANVAS_LESSONS_MAX are shown, by category, and how many more there are."""
    shown, more = items[:CANVAS_LESSONS_MAX], len(items) - CANVAS_LESSONS_MAX
    lines = [
        t(
            "Every lesson our team digests shared, newest first. Failure Resume rewrites this canvas with each "
            "digest: private entries never appear, and anonymous lessons never name their author."
        ),
        "",
    ]
    if not shown:
        lines.append(t("No lessons shared yet."))
    order = list(CATEGORIES)
    for category in sorted({i.category for i in shown}, key=lambda c: order.index(c) if c in order else len(order)):
        lines += [f"## {category_label(t, category)}", ""]
        for item in shown:
            if item.category == category:
                lines += _lesson_lines(t, item)
        lines.append("")
    if more > 0:
        lines.append(
            t.plural(
                "…and {n} earlier lesson, in earlier digests.", "…and {n} earlier lessons, in earlier digests.", more
            )
        )
    return "\n".join(lines).rstrip() + "\n"
