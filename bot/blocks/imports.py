"""The Markdown import: the form to paste into, the preview before anything is saved, and its answers."""

from __future__ import annotations

from bot.blocks.common import button, context, escape_within, header, modal, plain, section
from bot.domain.entries import category_label
from bot.domain.markdown_import import IMPORT_BYTES_MAX, IMPORT_ENTRIES_MAX, Anomaly, ImportPlan
from bot.i18n import N_, Translator
from bot.slack.ids import Action, Block, View

PASTE_MAX = 3000  # Slack's limit for a text input: a longer resume comes as a file in the DM
PREVIEW_ENTRIES = 5
PREVIEW_ANOMALIES = 10

ANOMALIES = {
    "year_out_of_order": N_("Line {line}: {year} is out of order among the years around it (imported under {year})."),
    "future_year": N_("Line {line}: {year} is in the future, so its entries are left out."),
    "empty_year": N_("Line {line}: {year} has no entries."),
    "text_before_first_year": N_("Line {line}: text before the first year heading is left out."),
    "too_long": N_("Line {line}: an entry over Slack's limits is left out; shorten it and import again."),
    "future_date": N_("Line {line}: an entry dated in the future is left out."),
    "unknown_line": N_("Line {line}: this belongs to no entry, so it is left out."),
}
UNKNOWN_ANOMALY = N_("Line {line}: left out.")

REFUSALS = {
    "empty": N_("That file is empty, so there is nothing to import."),
    "binary": N_("That doesn't look like a text file. Please share the Markdown file (.md) of your resume."),
    "too_big": N_("That file is over {limit} MB. Please split it by years and import each part."),
    "too_many": N_("That file has {count} entries; one import takes up to {limit}. Please split it by years."),
    "no_years": N_(
        "We found no year headings such as `## 2024` in it, so we couldn't tell which year each entry "
        "belongs to. Add a heading per year and import again."
    ),
}
NOT_READABLE = N_(
    "We couldn't read that file from Slack. If the app was installed before imports existed, an admin "
    "may need to reinstall it (it now asks to read files shared with it)."
)
ALREADY_DONE = N_("This import is already done or cancelled.")


def refusal_text(t: Translator, reason: str, count: int | None = None) -> str:
    text = REFUSALS.get(reason, REFUSALS["binary"])
    return t(
        text,
        limit=t.number(IMPORT_BYTES_MAX // 1_000_000 if reason == "too_big" else IMPORT_ENTRIES_MAX),
        count=t.number(count or 0),
    )


def anomaly_text(t: Translator, anomaly: Anomaly) -> str:
    """What is wrong and where, with the start of the line at fault (escaped: it is the person's text)."""
    text = t(ANOMALIES.get(anomaly.kind, UNKNOWN_ANOMALY), line=anomaly.line, year=anomaly.year or "")
    return f"{text} “{escape_within(anomaly.detail, 80)}”" if anomaly.detail else text


def build_import_modal(t: Translator) -> dict:
    """Paste a resume (up to PASTE_MAX characters), or share the file in the app's DM."""
    blocks = [
        section(
            t(
                "Bring in the failure resume you already keep in Markdown: a heading per year "
                "(`## 2024`), a bullet per failure, and its lesson in a nested bullet or a "
                "`Lesson:` line. You see a preview before anything is saved, and imported entries are private."
            )
        ),
        {
            "type": "input",
            "block_id": Block.IMPORT_TEXT,
            "label": plain(t("Paste your resume")),
            "element": {
                "type": "plain_text_input",
                "action_id": Action.IMPORT_TEXT,
                "multiline": True,
                "max_length": PASTE_MAX,
                "placeholder": plain(t("## 2024\n- What did not go as planned\n  - What we learned")),
            },
        },
        context(
            t(
                "Longer than {limit} characters? Share the .md file in our Messages tab instead.",
                limit=t.number(PASTE_MAX),
            )
        ),
    ]
    return modal(View.IMPORT, t("Import your resume"), t("Preview"), t("Cancel"), blocks)


def preview_blocks(t: Translator, plan: ImportPlan) -> list[dict]:
    """Counts per year, the first entries, and what is left out and why."""
    entries = plan.entries
    years = ", ".join(
        t.plural("{year}: {n} entry", "{year}: {n} entries", count, year=year) for year, count in plan.per_year()
    )
    blocks = [
        header(t("Import preview")),
        section(
            t.plural(
                "*{n} entry* to import. Nothing is saved until you say so.",
                "*{n} entries* to import. Nothing is saved until you say so.",
                len(entries),
            )
            + ("\n" + years if years else "")
        ),
    ]
    for entry in entries[:PREVIEW_ENTRIES]:
        lesson = escape_within(entry.lesson, 300) if entry.lesson else t("Lesson still to come.")
        line = f"*{entry.happened_on.year}* · {category_label(t, entry.category)}\n"
        blocks.append(section(line + escape_within(entry.what_happened, 500) + "\n_" + lesson + "_"))
    if len(entries) > PREVIEW_ENTRIES:
        blocks.append(context(t("…and {n} more.", n=t.number(len(entries) - PREVIEW_ENTRIES))))
    if plan.anomalies:
        shown = [anomaly_text(t, a) for a in plan.anomalies[:PREVIEW_ANOMALIES]]
        if len(plan.anomalies) > PREVIEW_ANOMALIES:
            shown.append(t("…and {n} more.", n=t.number(len(plan.anomalies) - PREVIEW_ANOMALIES)))
        blocks.append(section(t("*Please look at these:*") + "\n" + "\n".join(f"• {line}" for line in shown)))
    blocks.append(context(t("Imported entries are private: only you see them, until you share one.")))
    return blocks


def build_preview_message(t: Translator, plan: ImportPlan, import_id: int) -> dict:
    """The preview of a file shared in the DM, with its buttons (each carries the import's id)."""
    value = str(import_id)
    buttons = [button(t("Cancel"), Action.IMPORT_CANCEL, value)]
    if plan.entries:
        label = t.plural("Import {n} entry", "Import {n} entries", len(plan.entries))
        buttons.insert(0, button(label, Action.IMPORT_CONFIRM, value, style="primary"))
    actions = {"type": "actions", "block_id": Block.IMPORT_ACTIONS, "elements": buttons}
    return {"text": t("Import preview"), "blocks": [*preview_blocks(t, plan), actions]}


def build_preview_modal(t: Translator, plan: ImportPlan, import_id: int) -> dict:
    """The preview of a pasted resume, over the form: its submit button imports."""
    submit = t("Import") if plan.entries else None
    return modal(View.IMPORT_PREVIEW, t("Import preview"), submit, t("Cancel"), preview_blocks(t, plan), str(import_id))


def build_imported_message(t: Translator, imported: int, already: int) -> dict:
    if not imported:
        text = t("Everything in it is in your failure resume already, so nothing was added twice.")
        return {"text": text, "blocks": [section(text)]}
    text = t.plural(
        "Nice job! {n} entry is now in your failure resume, private to you.",
        "Nice job! {n} entries are now in your failure resume, private to you.",
        imported,
    )
    if already:
        text += " " + t.plural(
            "{n} was in it already and is not added twice.", "{n} were in it already and are not added twice.", already
        )
    return {"text": text, "blocks": [section(text)]}
