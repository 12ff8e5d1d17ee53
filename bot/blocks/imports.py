"""The Markdown import: the form to paste into, the preview before anything is saved, and its answers."""

from __future__ import annotations

from bot.blocks.common import SECTION_TEXT_MAX, button, context, escape_within, header, modal, option, plain, section
from bot.domain.entries import category_label
from bot.domain.markdown_import import IMPORT_BYTES_MAX, IMPORT_ENTRIES_MAX, Anomaly, ImportPlan
from bot.i18n import N_, Translator
from bot.slack.ids import Action, Block, View

PASTE_MAX = 3000  # Slack's limit for a text input: a longer resume comes as a file in the DM
PREVIEW_ENTRIES = 5
# Of a kind of line left out, the lines quoted (and those only numbered); the rest are counted.
PREVIEW_QUOTED = 10
PREVIEW_NUMBERED = 30
# Slack's most options in a static_select: this year and the 99 before it.
YEAR_OPTIONS = 100

# What changes what is imported comes first; then notes. Each kind is said once, with its lines or years.
WARNINGS = ("future_year", "year_out_of_order", "future_date", "too_long", "in_comment")
NOTES = (
    "empty_year",
    "empty_heading",
    "text_before_first_year",
    "text_before_first_section",
    "unknown_line",
    "reference",
    "image",
    "comment",
)
# One of a kind, said of its line.
ANOMALIES = {
    "year_out_of_order": N_("Line {line}: {year} is out of order among the years around it (imported under {year})."),
    "future_year": N_("Line {line}: {year} is in the future, so its entries are left out."),
    "empty_year": N_("Line {line}: {year} has no entries."),
    "text_before_first_year": N_("Line {line}: text before the first year heading is left out."),
    "text_before_first_section": N_("Line {line}: text before the first section is left out."),
    "too_long": N_("Line {line}: an entry over Slack's limits is left out; shorten it and import again."),
    "future_date": N_("Line {line}: an entry dated in the future is left out."),
    "unknown_line": N_("Line {line}: this belongs to no entry, so it is left out."),
    "empty_heading": N_("Line {line}: a heading with nothing under it is left out."),
    "in_comment": N_(
        "Lines {line} to {last_line} are inside an HTML comment (`<!--`), which readers of the file don't see; "
        "what is in them is offered too."
    ),
}
UNKNOWN_ANOMALY = N_("Line {line}: left out.")
# Several of a kind, said once: {years} or {lines}.
GROUPED = {
    "year_out_of_order": N_(
        "These years are out of order among the years around them (their entries are imported under the "
        "year written): {years}."
    ),
    "future_year": N_("These years are in the future, so their entries are left out: {years}."),
    "empty_year": N_("Empty years: {years}."),
    "text_before_first_year": N_("Text before the first year heading is left out: {lines}."),
    "text_before_first_section": N_("Text before the first section is left out: {lines}."),
    "too_long": N_("Entries over Slack's limits are left out; shorten them and import again: {lines}."),
    "future_date": N_("Entries dated in the future are left out: {lines}."),
    "unknown_line": N_("These lines belong to no entry, so they are left out: {lines}."),
    "empty_heading": N_("Headings with nothing under them are left out: {lines}."),
    "in_comment": N_(
        "These lines are inside HTML comments (`<!--`), which readers of the file don't see; what is in "
        "them is offered too: {lines}."
    ),
}
UNKNOWN_GROUPED = N_("Left out: {lines}.")
YEAR_KINDS = ("year_out_of_order", "future_year", "empty_year")

REFUSALS = {
    "empty": N_("That file is empty, so there is nothing to import."),
    "binary": N_("That doesn't look like a text file. Please share the Markdown file (.md) of your resume."),
    "too_big": N_("That file is over {limit} MB. Please split it by years and import each part."),
    "too_many": N_("That file has {count} entries; one import takes up to {limit}. Please split it by years."),
    "no_years": N_(
        "We found no year headings such as `## 2024` in it, and no failures listed under a heading or a line "
        "such as `Top failures:`, so we couldn't tell what to import. Put each failure in a bullet under a "
        "heading per year or per kind (`## 2024`, `## Rejections`) and import again."
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
    text = t(
        ANOMALIES.get(anomaly.kind, UNKNOWN_ANOMALY),
        line=anomaly.line,
        year=anomaly.year or "",
        last_line=anomaly.last_line or anomaly.line,
    )
    return f"{text} “{escape_within(anomaly.detail, 80)}”" if anomaly.detail else text


def anomalies_text(t: Translator, kind: str, found: list[Anomaly]) -> str:
    """One kind of anomaly said once: of one line as anomaly_text says it; of several, every year (a
    year out of order or in the future is never cut), or the first lines quoted and the rest counted."""
    if kind in ("reference", "image", "comment"):
        lines = _numbered(t, [a.line for a in found])
        if kind == "reference":
            return t.plural(
                "{n} reference link skipped ({lines}).",
                "{n} reference links skipped ({lines}).",
                len(found),
                lines=lines,
            )
        if kind == "image":
            return t.plural("{n} image skipped ({lines}).", "{n} images skipped ({lines}).", len(found), lines=lines)
        return t.plural(
            "{n} HTML comment within a line skipped ({lines}).",
            "{n} HTML comments within a line skipped ({lines}).",
            len(found),
            lines=lines,
        )
    if len(found) == 1:
        return anomaly_text(t, found[0])
    if kind in YEAR_KINDS:
        years = [
            str(a.year) if kind == "empty_year" else t("{year} (line {line})", year=a.year, line=a.line) for a in found
        ]
        return t(GROUPED[kind], years=", ".join(years))
    quoted = [_quoted(t, a) for a in found[:PREVIEW_QUOTED]]
    if len(found) > PREVIEW_QUOTED:
        quoted.append(t("and {n} more", n=t.number(len(found) - PREVIEW_QUOTED)))
    return t(GROUPED.get(kind, UNKNOWN_GROUPED), lines="; ".join(quoted))


def _quoted(t: Translator, anomaly: Anomaly) -> str:
    if anomaly.last_line:
        return t("lines {line} to {last_line}", line=anomaly.line, last_line=anomaly.last_line)
    where = t("line {line}", line=anomaly.line)
    return f"{where} “{escape_within(anomaly.detail, 80)}”" if anomaly.detail else where


def _numbered(t: Translator, lines: list[int]) -> str:
    shown = ", ".join(str(line) for line in lines[:PREVIEW_NUMBERED])
    if len(lines) > PREVIEW_NUMBERED:
        shown += " " + t("and {n} more", n=t.number(len(lines) - PREVIEW_NUMBERED))
    return t.plural("line {lines}", "lines {lines}", len(lines), lines=shown)


def year_choice_value(import_id: int, year: int) -> str:
    """The year menu's option: the import it is for, and the year."""
    return f"{import_id}:{year}"


def parse_year_choice(value: object) -> tuple[int, int] | None:
    """(import id, year) from a year menu's option; None for anything else."""
    import_id, colon, year = str(value or "").partition(":")
    if not (colon and import_id.isdigit() and year.isdigit() and len(import_id) <= 18 and len(year) == 4):
        return None
    return int(import_id), int(year)


def build_import_modal(t: Translator) -> dict:
    """Paste a resume (up to PASTE_MAX characters), or share the file in the app's DM."""
    blocks = [
        section(
            t(
                "Bring in the failure resume you already keep in Markdown: a bullet per failure under a heading "
                "per year (`## 2024`) or per kind (`## Rejections`, `Top failures:`), and its lesson in a nested "
                "bullet, a `Lesson:` line or a sentence such as “I learned…”. You see a preview before anything "
                "is saved, and imported entries are private."
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


def ready(plan: ImportPlan, year: int | None) -> bool:
    """Whether Import is offered: there is something to import, and every entry has its year."""
    return bool(plan.entries) and (year is not None or not plan.undated())


def preview_blocks(t: Translator, plan: ImportPlan, import_id: int, year: int | None = None) -> list[dict]:
    """Counts per year; what changes what is imported (years out of order or in the future, entries
    without a year, with the menu to give them one); the first entries; then notes (empty years,
    lines left out). `year`: the one picked for the entries without one."""
    entries, undated = plan.entries, plan.undated()
    counts = [t.plural("{year}: {n} entry", "{year}: {n} entries", n, year=y) for y, n in plan.per_year()]
    if undated:
        counts.append(t.plural("{n} entry without a year", "{n} entries without a year", undated))
    blocks = [
        header(t("Import preview")),
        section(
            t.plural(
                "*{n} entry* to import. Nothing is saved until you say so.",
                "*{n} entries* to import. Nothing is saved until you say so.",
                len(entries),
            )
            + ("\n" + ", ".join(counts) if counts else "")
        ),
    ]
    by_kind: dict[str, list[Anomaly]] = {}
    for anomaly in plan.anomalies:
        by_kind.setdefault(anomaly.kind, []).append(anomaly)
    warnings = [kind for kind in WARNINGS if kind in by_kind]
    notes = [kind for kind in by_kind if kind not in WARNINGS]
    notes.sort(key=lambda kind: NOTES.index(kind) if kind in NOTES else len(NOTES))
    blocks += _listed(t("*Please look at these:*"), [anomalies_text(t, kind, by_kind[kind]) for kind in warnings])
    if undated:
        blocks.append(_year_menu(t, plan, import_id, year))
    for entry in entries[:PREVIEW_ENTRIES]:
        when = entry.happened_on.year if entry.happened_on else year or t("year to pick")
        kind = category_label(t, entry.category)
        kind += f" · {escape_within(entry.section, 100)}" if entry.section else ""
        lesson = escape_within(entry.lesson, 300) if entry.lesson else t("Lesson still to come.")
        blocks.append(section(f"*{when}* · {kind}\n" + escape_within(entry.what_happened, 500) + "\n_" + lesson + "_"))
    if len(entries) > PREVIEW_ENTRIES:
        blocks.append(context(t("…and {n} more.", n=t.number(len(entries) - PREVIEW_ENTRIES))))
    blocks += _listed(t("*Also:*"), [anomalies_text(t, kind, by_kind[kind]) for kind in notes])
    blocks.append(context(t("Imported entries are private: only you see them, until you share one.")))
    return blocks


def _year_menu(t: Translator, plan: ImportPlan, import_id: int, year: int | None) -> dict:
    """One menu of years for every entry that has none; Import comes once a year is picked."""
    undated = plan.undated()
    if year is None:
        text = t.plural(
            "*{n} entry has no year.* Pick the year it happened in; *Import* comes once it has one.",
            "*{n} entries have no year.* Pick the year they happened in; *Import* comes once they have one.",
            undated,
        )
    else:
        text = t.plural(
            "*{n} entry* without a year is imported under *{year}*.",
            "*{n} entries* without a year are imported under *{year}*.",
            undated,
            year=year,
        )
    years = range(plan.latest_year, plan.latest_year - YEAR_OPTIONS, -1)
    options = [option(str(y), year_choice_value(import_id, y)) for y in years]
    menu = {
        "type": "static_select",
        "action_id": Action.IMPORT_YEAR,
        "placeholder": plain(t("Pick a year")),
        "options": options,
    }
    if year in years:
        menu["initial_option"] = option(str(year), year_choice_value(import_id, year))
    return section(text, accessory=menu, block_id=Block.IMPORT_YEAR)


def _listed(title: str, items: list[str]) -> list[dict]:
    """A titled list in as many sections as it takes: never cut to fit one."""
    if not items:
        return []
    lines = [title] + [f"• {item}" for item in items]
    return [section(text) for text in _packed(lines, SECTION_TEXT_MAX)]


def _packed(lines: list[str], limit: int) -> list[str]:
    """Lines joined into texts of at most `limit` characters; a longer line split between its items."""
    pieces = []
    for line in lines:
        while len(line) > limit:
            cut = line.rfind(", ", 0, limit - 1)
            cut = cut + 1 if cut > 0 else limit
            pieces.append(line[:cut])
            line = line[cut:].lstrip()
        pieces.append(line)
    texts = [pieces[0]]
    for piece in pieces[1:]:
        if len(texts[-1]) + 1 + len(piece) <= limit:
            texts[-1] += "\n" + piece
        else:
            texts.append(piece)
    return texts


def build_preview_message(t: Translator, plan: ImportPlan, import_id: int, year: int | None = None) -> dict:
    """The preview of a file shared in the DM, with its buttons (each carries the import's id)."""
    value = str(import_id)
    buttons = [button(t("Cancel"), Action.IMPORT_CANCEL, value)]
    if ready(plan, year):
        label = t.plural("Import {n} entry", "Import {n} entries", len(plan.entries))
        buttons.insert(0, button(label, Action.IMPORT_CONFIRM, value, style="primary"))
    actions = {"type": "actions", "block_id": Block.IMPORT_ACTIONS, "elements": buttons}
    return {"text": t("Import preview"), "blocks": [*preview_blocks(t, plan, import_id, year), actions]}


def build_preview_modal(t: Translator, plan: ImportPlan, import_id: int, year: int | None = None) -> dict:
    """The preview of a pasted resume, over the form: its submit button imports."""
    submit = t("Import") if ready(plan, year) else None
    blocks = preview_blocks(t, plan, import_id, year)
    return modal(View.IMPORT_PREVIEW, t("Import preview"), submit, t("Cancel"), blocks, str(import_id))


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
