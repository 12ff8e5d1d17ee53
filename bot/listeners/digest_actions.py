"""Buttons around the team digest: a teammate's "Nice job", and an admin's "Post digest now"."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.digest import build_nice_job_button, digest_block_id
from bot.blocks.messages import build_admins_only_message, build_text_message
from bot.blocks.state import entry_id_value, pressed_entry_id
from bot.domain import services
from bot.i18n import N_
from bot.jobs.team_digest import post_team_digest
from bot.listeners.flows import translator_for, workspace_of
from bot.slack.api import reply
from bot.slack.errors import reported
from bot.slack.ids import Action

log = logging.getLogger(__name__)

OUTCOMES = {
    "posted": N_("The team digest is posted."),
    "nothing": N_("Nothing new was shared since the last digest, so nothing was posted."),
    "no_channel": N_("No retro channel is set yet: choose one in Settings."),
    "channel_problem": N_("The digest could not be posted to the retro channel; the admins have the details."),
    "already": N_("Another digest is being posted right now."),
}


def handle_nice_job(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    t = translator_for(context)
    result = services.say_nice_job(
        context["session_factory"],
        workspace_of(context),
        body["user"]["id"],
        pressed_entry_id(body),
        context["clock"](),
    )
    ack()  # after the write: Slack's 200 means the Nice job is counted
    if result is None:
        log.info("Ignored a Nice job on an entry that is not in a digest here")
        return
    if not result.added:
        return  # a second press, or the author's own, changes nothing
    message = body.get("message") or {}
    blocks = message.get("blocks") or []
    shown = {digest_block_id(entry_id): entry_id for entry_id in _digest_entry_ids(blocks)}
    # Every count in the message is read afresh, so presses on two entries at once both show.
    counts = services.nice_job_counts(context["session_factory"], list(shown.values()))
    for block in blocks:
        if block.get("block_id") in shown:
            entry_id = shown[block["block_id"]]
            block["accessory"] = build_nice_job_button(t, entry_id, counts.get(entry_id, 0))
    if blocks and body.get("channel"):
        client.chat_update(channel=body["channel"]["id"], ts=message["ts"], text=message.get("text", ""), blocks=blocks)
    # Only the author hears who they are; the teammate who pressed learns nothing about them,
    # not even whether this message reached the author.
    try:
        client.chat_postMessage(
            channel=result.author_id,
            text=t.plural(
                "{n} teammate said Nice job to your lesson from {date}.",
                "{n} teammates said Nice job to your lesson from {date}.",
                result.count,
                date=t.date(result.entry.happened_on),
            ),
        )
    except SlackApiError as error:
        log.info("Nice job not passed on to the author (%s)", error.response.get("error"))


def _digest_entry_ids(blocks: list) -> list[int]:
    prefix = digest_block_id(0)[:-1]
    ids = []
    for block in blocks:
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str) and block_id.startswith(prefix):
            entry_id = entry_id_value(block_id[len(prefix) :])
            if entry_id is not None:
                ids.append(entry_id)
    return ids


def handle_post_digest(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    t = translator_for(context)
    user_id = body["user"]["id"]
    if not context["people"].is_admin(client, user_id, fresh=True):
        reply(client, user_id, None, build_admins_only_message(t))
        return
    outcome = post_team_digest(
        context["session_factory"], client, workspace_of(context), context["clock"](), context["default_retro_channel"]
    )
    reply(client, user_id, None, build_text_message(t(OUTCOMES[outcome])))


def register(app: App) -> None:
    app.action(Action.NICE_JOB)(reported(handle_nice_job))
    app.action(Action.POST_DIGEST)(reported(handle_post_digest))
