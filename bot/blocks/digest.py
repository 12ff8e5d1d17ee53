"""The team digest posted to the retro channel: lessons first, grouped by category."""

from __future__ import annotations

from bot.blocks.common import button, context, divider, escape_within, fit_mrkdwn, header, section
from bot.domain.digest import DigestItem, DigestProgress
from bot.domain.entries import category_label, safeguard_labels
from bot.domain.vocabulary import CATEGORIES
from bot.i18n import Translator
from bot.slack.ids import Action

# Slack allows 50 blocks a message; the rest of a long digest continues in the thread.
BLOCKS_PER_MESSAGE = 45


def digest_item_text(t: Translator, item: DigestItem) -> str:
    lesson = escape_within(item.lesson, 800) if item.lesson else f"_{t('Lesson still to come.')}_"
    if item.author_id:
        lines = [t("*<@{author}> learned:* {lesson}", author=item.author_id, lesson=lesson)]
    else:
        lines = [t("*We learned:* {lesson}", lesson=lesson)]
    lines.append(f"_{t('What happened')}:_ {escape_within(item.what_happened, 600)}")
    for text in item.action_items[:5]:
        lines.append(f"• {escape_within(text, 150)}")
    safeguards = safeguard_labels(t, item.safeguards)
    if safeguards:
        label = t("Safeguards")  # outside the f-string, where Babel's extraction finds it
        lines.append(f"*{label}:* {', '.join(safeguards)}")
    return fit_mrkdwn("\n".join(lines))


def digest_block_id(entry_id: int) -> str:
    return f"digest_entry_{entry_id}"


def build_nice_job_button(t: Translator, entry_id: int, count: int) -> dict:
    label = t("👏 Nice job") if not count else t("👏 Nice job · {count}", count=t.number(count))
    return button(label, Action.NICE_JOB, str(entry_id))


def build_digest_item_block(t: Translator, item: DigestItem) -> dict:
    return section(
        digest_item_text(t, item),
        build_nice_job_button(t, item.entry_id, item.nice_jobs),
        block_id=digest_block_id(item.entry_id),
    )


def progress_text(t: Translator, progress: DigestProgress) -> str | None:
    """Counts only: which entries' items were done, or who named a safeguard, is never said."""
    lines = []
    if progress.items_done or progress.items_open:
        done = t.plural(
            "{n} action item from earlier digests done since the last one",
            "{n} action items from earlier digests done since the last one",
            progress.items_done,
        )
        lines.append(f"✅ {done} · " + t.plural("{n} still open", "{n} still open", progress.items_open))
    if progress.safeguard_trend:
        trend = " · ".join(
            f"{label} {' → '.join(t.number(n) for n in counts)}"
            for name, counts in progress.safeguard_trend
            for label in safeguard_labels(t, [name])
        )
        periods = len(progress.safeguard_trend[0][1])
        lines.append(
            t.plural(
                "🛡️ Safeguards we keep naming, this digest: {trend}",
                "🛡️ Safeguards we keep naming, over the last {n} digests: {trend}",
                periods,
                trend=trend,
            )
        )
    return "\n".join(lines) or None


def build_digest_messages(t: Translator, items: list[DigestItem], progress: DigestProgress | None = None) -> list[dict]:
    """The digest as one or more messages (the first for the channel, the rest for its thread)."""
    anonymous = sum(1 for item in items if item.author_id is None)
    summary = t.plural("{n} lesson shared with the team", "{n} lessons shared with the team", len(items))
    if anonymous:
        summary += " · " + t.plural("{n} of them anonymously", "{n} of them anonymously", anonymous)
    blocks = [header(t("What we learned")), context(summary)]
    follow_up = progress_text(t, progress) if progress else None
    if follow_up:
        blocks.append(context(follow_up))
    order = list(CATEGORIES)
    for category in sorted({i.category for i in items}, key=lambda c: order.index(c) if c in order else len(order)):
        blocks += [divider(), section(f"*{category_label(t, category)}*")]
        blocks += [build_digest_item_block(t, item) for item in items if item.category == category]
    chunks = [blocks[n : n + BLOCKS_PER_MESSAGE] for n in range(0, len(blocks), BLOCKS_PER_MESSAGE)]
    return [
        {"text": summary if n == 0 else t("What we learned (continued)"), "blocks": chunk}
        for n, chunk in enumerate(chunks)
    ]
