"""Slack-side steps that several listeners share: opening modals, publishing the Home tab, exporting."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.data_rights import build_shared_export_refused_message, workspace_counts_text
from bot.blocks.entry_modal import ModalContext, build_record_modal
from bot.blocks.messages import (
    ADMINS_ONLY,
    NOT_LOADED,
    NOT_YOURS,
    build_acknowledgement_message,
    build_loading_modal,
    build_not_saved_message,
    build_notice_modal,
    build_text_message,
)
from bot.blocks.resume import HOME_ENTRIES_MAX, build_home_view
from bot.blocks.settings_modal import build_settings_modal
from bot.domain import services
from bot.domain.entries import resume_markdown
from bot.domain.exports import personal_data_json, shared_entries_csv
from bot.domain.services import NotYourEntry
from bot.i18n import ENGLISH, Translator
from bot.slack.api import reply
from storage.models import Entry
from storage.repository import EntryFields, Workspace

log = logging.getLogger(__name__)


class NoWorkspace(ValueError):
    """A request that names no workspace at all: nothing may be stored or shown for it."""


def once_per_event(handler: Callable) -> Callable:
    """Handle each Events API event once, though Slack may deliver it again (X-Slack-Retry-Num). Checked
    here, after Bolt's automatic ack, to keep the database off the ack path. The handler names `body`
    and `context` among its arguments, so that Bolt passes them."""

    @functools.wraps(handler)
    def listener(**kwargs):
        body, context = kwargs["body"], kwargs["context"]
        if services.first_delivery(context["session_factory"], body.get("event_id"), context["clock"]()):
            return handler(**kwargs)
        return None

    return listener


def workspace_of(context: BoltContext) -> Workspace:
    """The request's workspace, by the one rule of bot.slack.tenancy (set by the app's middleware)."""
    ws = context.get("workspace")
    if ws is None:
        raise NoWorkspace("the request names neither an enterprise nor a team")
    return ws


def translator_for(context: BoltContext) -> Translator:
    # One language for now; a per-person locale plugs in here.
    return ENGLISH


def open_then_show(client: WebClient, context: BoltContext, trigger_id: str, build_view: Callable[[], dict]) -> None:
    """A loading view the moment the trigger arrives, then the real one: what the modal needs (the
    database, Slack) is read once the 3-second trigger is spent, so a slow read can never lose it."""
    t = translator_for(context)
    opened = client.views_open(trigger_id=trigger_id, view=build_loading_modal(t))["view"]
    try:
        view = build_view()
    except NotYourEntry:
        view = build_notice_modal(t, t(NOT_YOURS))
    except (SQLAlchemyError, SlackApiError, OSError) as error:
        log.warning("Modal not filled in (%s)", type(error).__name__)
        view = build_notice_modal(t, t(NOT_LOADED))
    try:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
    except SlackApiError as error:  # closed while loading, say: nothing is lost
        log.info("Modal not shown (%s)", error.response.get("error"))


def open_record_modal(
    client: WebClient,
    context: BoltContext,
    trigger_id: str,
    modal_context: ModalContext,
    now: datetime,
    fields: EntryFields | None = None,
) -> None:
    """The record form, with the workspace's default visibility where the entry has none yet."""
    open_then_show(client, context, trigger_id, lambda: record_modal(context, modal_context, now, fields))


def record_modal(context: BoltContext, modal_context: ModalContext, now: datetime, fields: EntryFields | None) -> dict:
    chosen = fields.visibility if fields else None
    return build_record_modal(
        translator_for(context),
        today=now.date(),
        default_visibility=chosen or services.default_visibility(context["session_factory"], workspace_of(context)),
        context=modal_context,
        fields=fields,
    )


def open_entry_modal(
    client: WebClient,
    context: BoltContext,
    trigger_id: str,
    user_id: str,
    entry_id: int | None,
    build_view: Callable[[Entry], dict],
) -> None:
    """A modal about one of the person's own entries (edit, visibility, delete), read after the
    loading view; anyone else's entry, or one deleted, gets a clear refusal in the modal."""

    def entry_view() -> dict:
        sf, ws = context["session_factory"], workspace_of(context)
        return build_view(services.get_own_entry(sf, ws, user_id, entry_id or 0))

    open_then_show(client, context, trigger_id, entry_view)


def open_edit_modal(
    client: WebClient,
    context: BoltContext,
    trigger_id: str,
    user_id: str,
    entry_id: int | None,
    response_url: str | None = None,
) -> None:
    def edit_view(entry: Entry) -> dict:
        modal = ModalContext(entry_id=entry.id, response_url=response_url, source_link=entry.source_link)
        return record_modal(context, modal, context["clock"](), fields_of(entry))

    open_entry_modal(client, context, trigger_id, user_id, entry_id, edit_view)


def fields_of(entry) -> EntryFields:
    return EntryFields(
        what_happened=entry.what_happened,
        lesson=entry.lesson,
        category=entry.category,
        happened_on=entry.happened_on,
        safeguards=tuple(entry.safeguards),
        action_items=tuple(item.text for item in entry.action_items),
        visibility=entry.visibility,
        source_link=entry.source_link,
    )


def acknowledge(
    client: WebClient, user_id: str, response_url: str | None, message: dict, replace_original: bool = False
) -> None:
    """Answer a change that is already saved. Best effort, like publish_home: reported as an error
    ("please try again"), a lost or timed-out answer would get the change made twice."""
    try:
        reply(client, user_id, response_url, message, replace_original=replace_original)
    except (SlackClientError, OSError) as error:
        log.warning("Acknowledgement not sent (%s)", type(error).__name__)


def store_quick_entry_then_ack(
    ack,
    client: WebClient,
    context: BoltContext,
    user_id: str,
    text: str,
    key: str,
    response_url: str | None,
    replace_original: bool = False,
) -> None:
    """Stored before the ack, so that Slack's 200 means the words are kept; the rest comes after it.
    With the database down, the ack itself gives the words back."""
    t = translator_for(context)
    now = context["clock"]()
    ws = workspace_of(context)
    sf = context["session_factory"]
    try:
        # Dated in UTC for now: the person's time zone is a Slack call, made after the ack.
        entry, created = services.record_quick_entry(sf, ws, user_id, text, key, now, now.date())
    except SQLAlchemyError as error:
        log.error("Quick entry not saved: database error %s", type(error).__name__)
        ack(**build_not_saved_message(t, text))
        return
    ack()
    if not created:
        return  # the same request again: it was answered the first time
    today = context["people"].local_date(client, user_id, now)
    if today != entry.happened_on:
        entry = services.redate_entry(sf, ws, user_id, entry.id, today)
    acknowledge(client, user_id, response_url, build_acknowledgement_message(t, entry, quick=True), replace_original)
    publish_home(client, context, user_id)


def publish_home(client: WebClient, context: BoltContext, user_id: str) -> None:
    """Refresh the person's Home tab. Best effort after a change: the change itself already
    succeeded, so a failure here is logged, never reported to the person as lost work."""
    try:
        home = services.home_contents(context["session_factory"], workspace_of(context), user_id, HOME_ENTRIES_MAX)
        view = build_home_view(
            translator_for(context),
            home.recent,
            lessons=home.lessons,
            is_admin=context["people"].is_admin(client, user_id),
            total=home.total,
            per_year=home.per_year,
            prompts_stopped=home.prompts_stopped,
        )
        client.views_publish(user_id=user_id, view=view)
    except (SlackApiError, SQLAlchemyError, OSError) as error:
        log.warning("Home tab not refreshed (%s)", type(error).__name__)


def open_settings(client: WebClient, context: BoltContext, trigger_id: str, user_id: str) -> None:
    t = translator_for(context)

    def settings_view() -> dict:
        # Asked afresh, after the loading view: the submission's check then reuses this answer.
        if not context["people"].is_admin(client, user_id, fresh=True):
            return build_notice_modal(t, t(ADMINS_ONLY))
        settings = services.workspace_settings(context["session_factory"], workspace_of(context))
        return build_settings_modal(t, settings, default_channel=context["default_retro_channel"])

    open_then_show(client, context, trigger_id, settings_view)


def send_export(client: WebClient, context: BoltContext, user_id: str, response_url: str | None, now: datetime) -> None:
    """The whole resume as a Markdown file, and everything kept about the person here as a JSON
    file, in their DM: both in one upload through Slack's external upload flow."""
    t = translator_for(context)
    ws = workspace_of(context)
    data = services.personal_data(context["session_factory"], ws, user_id)
    document = resume_markdown(t, data.entries, person=context["people"].display_name(client, user_id))
    machine_readable = personal_data_json(
        ws,
        user_id,
        entries=data.entries,
        nice_jobs=data.nice_jobs,
        nice_jobs_given=data.nice_jobs_given,
        person=data.person,
        deliveries=data.deliveries,
        exported_at=now,
    )
    day = now.date().isoformat()
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        file_uploads=[
            {"filename": f"failure-resume-{day}.md", "title": t("Failure resume"), "content": document},
            {
                "filename": f"failure-resume-data-{day}.json",
                "title": t("All your Failure Resume data (JSON)"),
                "content": machine_readable,
            },
        ],
        initial_comment=t.plural(
            "Here is your failure resume: {n} entry. The JSON file holds all your data in this workspace.",
            "Here is your failure resume: {n} entries. The JSON file holds all your data in this workspace.",
            len(data.entries),
        ),
    )
    if response_url:
        acknowledge(client, user_id, response_url, build_text_message(t("Sent to you in a direct message.")))


def send_shared_export(
    client: WebClient, context: BoltContext, user_id: str, response_url: str | None, now: datetime
) -> None:
    """For workspace admins: the shared entries as a CSV file in their DM, with counts of all entries."""
    t = translator_for(context)
    if not context["people"].is_admin(client, user_id, fresh=True):
        reply(client, user_id, response_url, build_shared_export_refused_message(t))
        return
    shared = services.shared_entries_for_admins(context["session_factory"], workspace_of(context))
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        filename=f"failure-resume-shared-entries-{now.date().isoformat()}.csv",
        title=t("Shared entries"),
        content=shared_entries_csv(shared.entries, shared.nice_jobs),
        initial_comment=workspace_counts_text(t, shared.counts),
    )
    if response_url:
        acknowledge(client, user_id, response_url, build_text_message(t("Sent to you in a direct message.")))
