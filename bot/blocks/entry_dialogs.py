"""Small modals about one existing entry: confirm a delete, change its visibility."""

from __future__ import annotations

from bot.blocks.common import modal, option, option_of, plain_section, radio_input, section, shorten
from bot.blocks.entry_modal import ModalContext, blameless_blocks
from bot.blocks.state import selected_value
from bot.domain.vocabulary import VISIBILITIES
from bot.i18n import Translator
from bot.slack.ids import Action, Block, View
from storage.models import Entry


def build_delete_modal(t: Translator, entry: Entry) -> dict:
    blocks = [
        section(t("Delete this entry and its action items for good? This cannot be undone.")),
        plain_section(shorten(entry.what_happened, 500)),
    ]
    metadata = ModalContext(entry_id=entry.id).dump()
    return modal(View.DELETE, t("Delete entry"), t("Delete"), t("Keep it"), blocks, private_metadata=metadata)


def build_visibility_modal(t: Translator, entry: Entry, blame_warning: bool = False, chosen: str | None = None) -> dict:
    """Who may see an entry; with `blame_warning`, as it comes back when its words point at a person."""
    options = [option(t(label), key) for key, label in VISIBILITIES.items()]
    current = chosen or entry.visibility
    blocks = blameless_blocks(t) if blame_warning else []
    blocks += [
        plain_section(shorten(entry.what_happened, 500)),
        radio_input(Block.VISIBILITY, Action.VISIBILITY, t("Who can see it"), options, option_of(options, current)),
    ]
    metadata = ModalContext(entry_id=entry.id).dump()
    return modal(View.VISIBILITY, t("Change visibility"), t("Save"), t("Cancel"), blocks, private_metadata=metadata)


def parse_visibility_submission(values: object) -> str | None:
    visibility = selected_value(values, Block.VISIBILITY, Action.VISIBILITY)
    return visibility if visibility in VISIBILITIES else None
