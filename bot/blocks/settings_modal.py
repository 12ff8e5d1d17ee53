"""The workspace settings modal for admins, and its parser."""

from __future__ import annotations

from bot.blocks.common import context, divider, input_block, modal, option, plain, radio_input, static_select
from bot.blocks.lessons_canvas import NO_CANVASES, NO_SCOPE
from bot.blocks.state import selected_value, selected_values, string_value
from bot.blocks.trackers import tracker_section
from bot.domain.trackers import Connected
from bot.domain.vocabulary import ANONYMITY_CROWDS, DIGEST_CADENCES, PROMPT_DAYS, VISIBILITIES
from bot.i18n import LANGUAGES, Translator
from bot.slack.ids import Action, Block, View
from storage.models import WorkspaceSettings


def _select(block_id: str, action_id: str, label: str, options: list[dict], current: str) -> dict:
    """A menu on the current setting, or on its first option where the setting is not one of them."""
    initial = next((o for o in options if o["value"] == current), options[0])
    return static_select(block_id, action_id, label, options, initial)


def build_settings_modal(
    t: Translator,
    settings: WorkspaceSettings,
    default_channel: str | None = None,
    canvas_channel: str | None = None,
    canvas_problem: str | None = None,
    tracker: Connected | None = None,
    can_seal: bool = False,
) -> dict:
    """`default_channel` (RETRO_CHANNEL) is shown until an admin picks the workspace's own.
    `canvas_channel`: where the lessons canvas is kept up to date; `canvas_problem`: why there is none.
    `tracker`: the connected issue tracker; `can_seal`: whether its token could be stored (TOKEN_ENCRYPTION_KEYS)."""
    visibilities = [option(t(label), key) for key, label in VISIBILITIES.items()]
    visibility = next((o for o in visibilities if o["value"] == settings.default_visibility), visibilities[0])
    blocks = [
        _retro_channel_input(t, settings.retro_channel or default_channel),
        {**context(_lessons_canvas_line(t, canvas_channel, canvas_problem)), "block_id": Block.LESSONS_CANVAS},
        _select(
            Block.DIGEST_CADENCE,
            Action.DIGEST_CADENCE,
            t("Digest cadence"),
            [option(t(label), key) for key, label in DIGEST_CADENCES.items()],
            settings.digest_cadence,
        ),
        _select(
            Block.PROMPT_DAY,
            Action.PROMPT_DAY,
            t("Reflection prompt day"),
            [option(t(label, day=day), str(day)) for day, label in PROMPT_DAYS.items()],
            str(settings.prompt_day),
        ),
        radio_input(
            Block.DEFAULT_VISIBILITY,
            Action.DEFAULT_VISIBILITY,
            t("Default visibility of new entries"),
            visibilities,
            visibility,
        ),
        _select(
            Block.ANONYMITY_CROWD,
            Action.ANONYMITY_CROWD,
            t("Anonymous lessons wait until this many people shared"),
            [option(t.plural("{n} person", "{n} people", n), str(n)) for n in ANONYMITY_CROWDS],
            str(settings.anonymity_crowd),
        ),
        _guests_input(t, settings.prompt_guests),
        _select(
            Block.WORKSPACE_LANGUAGE,
            Action.WORKSPACE_LANGUAGE,
            t("Language of the retro channel, and for people whose language we don't speak"),
            # Each language in its own words: the one an admin looks for may not be the one they read now.
            [option(name, code) for code, name in LANGUAGES.items()],
            settings.language,
        ),
        divider(),
        *tracker_section(t, tracker, can_seal),
    ]
    return modal(View.SETTINGS, t("Settings"), t("Save"), t("Cancel"), blocks)


def _retro_channel_input(t: Translator, channel_id: str | None) -> dict:
    menu = {
        "type": "conversations_select",
        "action_id": Action.RETRO_CHANNEL,
        "placeholder": plain(t("Choose a channel")),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id:
        menu["initial_conversation"] = channel_id
    return input_block(Block.RETRO_CHANNEL, t("Retro channel for the team digest"), menu, optional=True)


def _lessons_canvas_line(t: Translator, channel: str | None, problem: str | None) -> str:
    if problem == NO_SCOPE:
        return t("No lessons canvas: the app was not granted canvases:write. Reinstall the app to allow it.")
    if problem == NO_CANVASES:
        return t("No lessons canvas: this workspace's plan has no canvases for the app. The digest goes out alone.")
    if channel:
        return t("The lessons canvas in <#{channel}> is rewritten with every digest.", channel=channel)
    return t("The lessons canvas is made in the retro channel with the next digest.")


def _guests_input(t: Translator, prompt_guests: bool) -> dict:
    guests = option(t("Send guests the monthly reflection prompt too"), "yes")
    boxes = {"type": "checkboxes", "action_id": Action.PROMPT_GUESTS, "options": [guests]}
    if prompt_guests:
        boxes["initial_options"] = [guests]
    return input_block(Block.PROMPT_GUESTS, t("Guests"), boxes, optional=True)


def parse_settings_submission(t: Translator, values: object) -> tuple[dict | None, dict[str, str]]:
    """The settings a submission asks for, or errors keyed by block id."""
    errors = {}
    channel = string_value(values, Block.RETRO_CHANNEL, Action.RETRO_CHANNEL, "selected_conversation")
    cadence = selected_value(values, Block.DIGEST_CADENCE, Action.DIGEST_CADENCE)
    day = selected_value(values, Block.PROMPT_DAY, Action.PROMPT_DAY)
    visibility = selected_value(values, Block.DEFAULT_VISIBILITY, Action.DEFAULT_VISIBILITY)
    crowd = selected_value(values, Block.ANONYMITY_CROWD, Action.ANONYMITY_CROWD)
    guests = selected_values(values, Block.PROMPT_GUESTS, Action.PROMPT_GUESTS) == ["yes"]
    language = selected_value(values, Block.WORKSPACE_LANGUAGE, Action.WORKSPACE_LANGUAGE)
    if channel is not None and not (channel[:1] in "CG" and channel.isalnum()):
        errors[Block.RETRO_CHANNEL] = t("Please choose a channel, not a direct message.")
    if cadence not in DIGEST_CADENCES:
        errors[Block.DIGEST_CADENCE] = t("Please choose weekly or monthly.")
    if day not in {str(key) for key in PROMPT_DAYS}:
        errors[Block.PROMPT_DAY] = t("Please choose a day.")
    if visibility not in VISIBILITIES:
        errors[Block.DEFAULT_VISIBILITY] = t("Please choose a default visibility.")
    if crowd not in {str(n) for n in ANONYMITY_CROWDS}:
        errors[Block.ANONYMITY_CROWD] = t("Please choose how many people.")
    if language not in LANGUAGES:
        errors[Block.WORKSPACE_LANGUAGE] = t("Please choose a language.")
    if errors:
        return None, errors
    return {
        "retro_channel": channel,
        "digest_cadence": cadence,
        "prompt_day": int(day),
        "default_visibility": visibility,
        "anonymity_crowd": int(crowd),
        "prompt_guests": guests,
        "language": language,
    }, {}
