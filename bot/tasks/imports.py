"""A worker's part of the Markdown import: reading a file shared in the DM into a preview, and
saving an import once its owner says yes."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.imports import (
    NOT_READABLE,
    build_imported_message,
    build_preview_message,
    build_preview_modal,
    refusal_text,
)
from bot.blocks.messages import build_text_message
from bot.domain import imports
from bot.domain.entries import latest_allowed_day
from bot.domain.markdown_import import IMPORT_BYTES_MAX, ImportRefused, decode_markdown
from bot.slack.api import reply
from bot.slack.files import FileNotReadable, FileTooBig, download
from bot.tasks.after_ack import refresh_home
from bot.tasks.outbox import once
from bot.tasks.runtime import Runtime
from storage.types import Workspace

log = logging.getLogger(__name__)


def read_shared_file(
    rt: Runtime, client: WebClient, ws: Workspace, user_id: str, channel: str, file: dict, now: datetime
) -> None:
    """The file's preview in the DM, or a clear answer why there is none; nothing is imported yet.
    A download that fails on the network raises, to be tried again (bot.tasks: passing trouble)."""
    t = rt.translator_for(client, ws, user_id)

    def say(text: str) -> None:
        once(lambda: client.chat_postMessage(channel=channel, **build_text_message(text)))

    if not looks_like_text(file):
        say(refusal_text(t, "binary"))  # a PDF or a picture: not downloaded at all
        return
    size = file.get("size")
    if isinstance(size, int) and size > IMPORT_BYTES_MAX:
        say(refusal_text(t, "too_big"))  # not even read
        return
    try:
        text = decode_markdown(download(client, file, IMPORT_BYTES_MAX))
        prepared = imports.prepare_import(rt.session_factory, ws, user_id, text, latest_allowed_day(now), now)
    except FileTooBig:
        say(refusal_text(t, "too_big"))
        return
    except FileNotReadable as error:
        log.warning("Shared file not read (%s)", error)
        say(t(NOT_READABLE))
        return
    except ImportRefused as refused:
        say(refusal_text(t, refused.reason, refused.count))
        return
    preview = build_preview_message(t, prepared.plan, prepared.import_id)
    once(lambda: client.chat_postMessage(channel=channel, **preview))


def show_import_preview(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    import_id: int,
    now: datetime,
    response_url: str | None = None,
    view_id: str | None = None,
) -> None:
    """The preview again once a year is picked for the entries the file gives none, now with Import:
    in the modal it is in (`view_id`), or in place of the DM's (`response_url`). An import done or
    cancelled meanwhile, or a modal already closed, is left alone."""
    shown = imports.pending_preview(rt.session_factory, ws, user_id, import_id, latest_allowed_day(now))
    if shown is None:
        log.info("Import %s was already done or cancelled", import_id)
        return
    t = rt.translator_for(client, ws, user_id)
    if view_id:
        view = build_preview_modal(t, shown.plan, import_id, shown.year)
        try:
            once(lambda: client.views_update(view_id=view_id, view=view))
        except SlackApiError as error:
            log.info("Import preview not updated in the modal (%s)", error.response.get("error"))
        return
    preview = build_preview_message(t, shown.plan, import_id, shown.year)
    once(lambda: reply(client, user_id, response_url, preview, replace_original=True))


def looks_like_text(file: dict) -> bool:
    """Slack's word for the file's kind: Markdown and plain text are read; a file Slack could not
    name is read too, and the decoder decides."""
    mimetype, filetype = str(file.get("mimetype") or ""), str(file.get("filetype") or "")
    if mimetype.startswith("text/") or filetype in ("markdown", "text", "md", "txt", "auto", ""):
        return True
    return mimetype in ("", "application/octet-stream")


def finish_import(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    import_id: int,
    now: datetime,
    response_url: str | None = None,
) -> None:
    """Save the import, then say so in place of its preview (or in the DM) and refresh the Home. A
    second press finds it claimed and stays quiet: the first press's answer stands."""
    done = imports.confirm_import(rt.session_factory, ws, user_id, import_id, latest_allowed_day(now), now)
    if done is None:
        log.info("Import %s was already done or cancelled, or waits for a year", import_id)
        return
    t = rt.translator_for(client, ws, user_id)
    imported = build_imported_message(t, done.imported, done.already)
    once(lambda: reply(client, user_id, response_url, imported, replace_original=True))
    refresh_home(rt, client, ws, user_id)
