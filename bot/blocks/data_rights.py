"""A person's data rights in Block Kit: the "Delete all my data" confirmation, its answer, and the
counts that workspace admins get with the export of shared entries."""

from __future__ import annotations

from collections import Counter

from bot.blocks.common import modal, section
from bot.blocks.messages import build_text_message
from bot.domain.entries import category_label
from bot.domain.vocabulary import CATEGORIES
from bot.i18n import Translator
from bot.slack.ids import View
from storage.types import EntryCounts


def build_delete_all_data_modal(t: Translator) -> dict:
    """Says exactly what goes, and what stays, before anything is deleted."""
    removed = "\n".join(
        (
            t("*Delete all your Failure Resume data in this workspace?* This removes, for good:"),
            t("• every entry on your failure resume, with its lesson, safeguards and action items"),
            t("• the Nice jobs your entries received, and the Nice jobs you gave to teammates' entries"),
            t("• the record of which monthly prompts the app sent you"),
            t(
                "• your prompt settings: if you had stopped or snoozed the monthly prompts, they start again, "
                "and this month's may come once more"
            ),
        )
    )
    kept = t(
        "Team digests already posted are not edited: lessons you shared stay in those messages. "
        "None of your entries can appear in a future digest. The app's earlier messages and the files it sent "
        "you stay in your direct messages with it; delete those in Slack. Your data in other workspaces is not touched."
    )
    blocks = [section(removed), section(kept), section(t("This cannot be undone. To keep a copy, use *Export* first."))]
    return modal(View.DELETE_ALL_DATA, t("Delete all my data"), t("Delete everything"), t("Keep it"), blocks)


def build_data_deleted_message(t: Translator, entries: int) -> dict:
    return build_text_message(
        t.plural(
            "Done: all your data in this workspace is deleted ({n} entry and everything attached to it). "
            "Posted team digests were not edited.",
            "Done: all your data in this workspace is deleted ({n} entries and everything attached to them). "
            "Posted team digests were not edited.",
            entries,
        )
    )


def build_shared_export_refused_message(t: Translator) -> dict:
    return build_text_message(t("Only workspace admins and owners can export the team's shared entries."))


def workspace_counts_text(t: Translator, counts: EntryCounts) -> str:
    """Numbers about every entry of the workspace; no entry's words, no author."""
    visibility = counts.by_visibility
    lines = [
        "*" + t.plural("{n} entry in this workspace", "{n} entries in this workspace", counts.total) + "*",
        t(
            "Private: {private} · Shared with a name: {named} · Shared anonymously: {anonymous}",
            private=t.number(visibility.get("private", 0)),
            named=t.number(visibility.get("named", 0)),
            anonymous=t.number(visibility.get("anonymous", 0)),
        ),
    ]
    categories: Counter[str] = Counter()
    for key, n in counts.by_category.items():
        categories[key if key in CATEGORIES else "other"] += n
    if categories:
        listed = " · ".join(
            f"{category_label(t, key)}: {t.number(categories[key])}" for key in CATEGORIES if categories[key]
        )
        lines.append(t("By category: {counts}", counts=listed))
    if counts.by_year:
        listed = " · ".join(f"{year}: {t.number(n)}" for year, n in sorted(counts.by_year.items(), reverse=True))
        lines.append(t("By year: {counts}", counts=listed))
    lines.append(
        t(
            "The file holds the shared entries, oldest first: named ones with their author's user ID, "
            "anonymous ones without any author once a team digest has carried them. Private entries are only counted."
        )
    )
    return "\n".join(lines)
