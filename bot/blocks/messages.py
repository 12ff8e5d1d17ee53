"""Messages the bot sends: acknowledgements, help, and the clear answers when something goes wrong."""

from __future__ import annotations

from bot.blocks.common import button, context, echo_sections, escape_within, modal, section
from bot.blocks.entry_modal import BLAME_SUGGESTION
from bot.blocks.similar import earlier_lesson_text
from bot.domain.entries import category_label, entry_day, nice_job_words, visibility_label
from bot.domain.suggestions import Suggestion
from bot.i18n import N_, Translator
from bot.slack.ids import Action, View
from storage.models import Entry

NOT_INSTALLED = N_(
    "Failure Resume isn't installed in this workspace, so nothing was saved. "
    "A workspace admin can install it, and then it is yours to use here too."
)


# Under a form's field, when the database could not take what was submitted: the modal stays open.
NOT_SAVED_IN_FORM = N_("Sorry, this could not be saved just now. Your words are still here: please try again soon.")


def build_notice_modal(t: Translator, text: str) -> dict:
    """A modal that only tells the person something, with a Close button."""
    return modal(View.NOTICE, t("Failure Resume"), None, t("Close"), [section(text)])


def build_not_installed_modal(t: Translator) -> dict:
    return build_notice_modal(t, t(NOT_INSTALLED))


def build_loading_modal(t: Translator) -> dict:
    """Shown the moment a trigger arrives, while what the real modal needs is read."""
    return modal(View.LOADING, t("Failure Resume"), None, t("Close"), [section(t("Loading…"))])


def _message(text: str, blocks: list[dict]) -> dict:
    return {"text": text, "blocks": blocks}


def entry_summary(t: Translator, entry: Entry) -> str:
    return " · ".join((category_label(t, entry.category), entry_day(t, entry), visibility_label(t, entry.visibility)))


def build_nice_job_message(t: Translator, entry: Entry, quick: bool, earlier: Suggestion | None = None) -> dict:
    """The blameless 'Nice job' after a record, with the lesson of the most similar earlier entry;
    a quick entry also offers its next steps."""
    thanks = nice_job_words(t, entry.id)
    blocks = [section(thanks), context(escape_within(entry_summary(t, entry), 2000))]
    if earlier is not None:
        blocks.append(section(earlier_lesson_text(t, earlier)))
    if quick:
        value = str(entry.id)
        elements = [button(t("Add the lesson"), Action.ADD_LESSON, value, style="primary")]
        if entry.visibility == "private":
            elements.append(button(t("Share anonymously"), Action.SHARE_ANONYMOUSLY, value))
        elements.append(button(t("Undo"), Action.UNDO, value, style="danger"))
        blocks.append({"type": "actions", "elements": elements})
    return _message(thanks, blocks)


def build_blame_warning_message(t: Translator, entry_id: int) -> dict:
    """Before a quick entry is shared anonymously, when its words point at a person."""
    text = t(BLAME_SUGGESTION)
    value = str(entry_id)
    buttons = [
        button(t("Reword it first"), Action.ADD_LESSON, value, style="primary"),
        button(t("Share my words as they are"), Action.SHARE_AS_WRITTEN, value),
        button(t("Undo"), Action.UNDO, value, style="danger"),
    ]
    return _message(text, [section(text), {"type": "actions", "elements": buttons}])


def build_text_message(text: str) -> dict:
    return _message(text, [section(text)])


def build_undone_message(t: Translator) -> dict:
    return build_text_message(t("Removed for good. It is not on your resume any more."))


def build_help_message(t: Translator) -> dict:
    lines = [
        t("*Failure Resume* keeps what did not go as planned, and what we learned from it."),
        "",
        t("`/fail` opens a form to record a failure and its lesson."),
        t("`/fail <what happened>` records it at once, privately."),
        t("`/fail resume [year]` shows your failure resume."),
        t("`/fail search <words>` finds your entries and the team's shared ones, best match first."),
        t("`/fail review [year]` sends you your year in failures, with a chart."),
        t("`/fail import` brings in a failure resume you keep in Markdown (or share the .md file in our DM)."),
        t("`/fail export` sends you your whole resume as a Markdown file, and all your data as a JSON file."),
        t("`/fail settings` lets workspace admins set the retro channel and defaults."),
        t("`/fail admin-export` sends workspace admins the team's shared entries as a CSV file, with counts."),
        t("*Delete all my data* in the App Home removes everything you recorded in this workspace."),
        t("`/fail help` shows this message."),
    ]
    return build_text_message("\n".join(lines))


def build_dm_hint_message(t: Translator) -> dict:
    """The answer to a message typed in the app's DM, which only reads files shared for import."""
    text = t(
        "Hi! To record what did not go as planned, use `/fail` anywhere. To bring in a failure resume "
        "you keep in Markdown, share its .md file here. `/fail help` shows the rest."
    )
    return {"text": text, "blocks": [section(text)]}


def build_typo_message(t: Translator, text: str, suggestion: str) -> dict:
    """`/fail exprot`: most likely a typo, so nothing was saved; the person may still record the words."""
    intro = t(
        "Nothing was saved: that looks like `/fail {command}`. Try it again, or record your words as an entry:",
        command=suggestion,
    )
    blocks = [
        section(intro),
        section(escape_within(text, 2000), accessory=button(t("Record it"), Action.RECORD_TYPED, text)),
    ]
    return _message(intro, blocks)


def build_not_saved_message(t: Translator, text: str) -> dict:
    """The database did not answer: tell the person, and give their words back so nothing is lost."""
    intro = t(
        "Sorry, your entry could not be saved just now. Here is what you wrote, so nothing is lost. "
        "Please try again in a few minutes."
    )
    return _message(intro, [section(intro), *echo_sections(text)[:40]])


def build_too_long_message(t: Translator, text: str, limit: int) -> dict:
    intro = t(
        "That is longer than {limit} characters, the most one entry can hold. Nothing was saved. "
        "Here is your text so you can shorten it, or use `/fail` for the form with separate lesson "
        "and action items:",
        limit=t.number(limit),
    )
    return _message(intro, [section(intro), *echo_sections(text)[:40]])


NOT_YOURS = N_("That entry is not on your resume, or it was deleted.")
ADMINS_ONLY = N_("Only workspace admins and owners can change Failure Resume's settings.")
NOT_LOADED = N_("Sorry, this could not be loaded just now. Nothing you saved was lost; please try again in a moment.")


def build_refusal_message(t: Translator) -> dict:
    return build_text_message(t(NOT_YOURS))


def build_admins_only_message(t: Translator) -> dict:
    return build_text_message(t(ADMINS_ONLY))
