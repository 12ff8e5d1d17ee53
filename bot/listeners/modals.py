"""Opening the app's modals for one request (`modals`, as listeners ask for it), after its ack: a
loading view the moment the trigger arrives, then the real one, built once the 3-second trigger is spent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.entry_modal import ModalContext, build_record_modal
from bot.blocks.imports import build_import_modal
from bot.blocks.messages import ADMINS_ONLY, NOT_LOADED, NOT_YOURS, build_loading_modal, build_notice_modal
from bot.blocks.settings_modal import build_settings_modal
from bot.domain import trackers
from bot.domain.entries import NotYourEntry, get_own_entry
from bot.domain.workspace_settings import default_visibility, lessons_canvas_state, workspace_settings
from bot.listeners.changes import named
from bot.listeners.language import PersonTranslator
from bot.slack.people import People
from storage.models import Entry
from storage.types import EntryFields

if TYPE_CHECKING:
    from storage.types import Workspace

log = logging.getLogger(__name__)


class Modals:
    """What a modal needs (the database, Slack) is read after its loading view is up, so a slow read can
    never lose the trigger."""

    def __init__(
        self,
        client: WebClient,
        t: PersonTranslator,
        session_factory: sessionmaker[Session],
        workspace: Workspace | None,
        people: People,
        clock: Callable[[], datetime],
        default_retro_channel: str | None,
        after_ack: Callable[[Callable[[], object]], None],
        can_seal: bool = False,
    ) -> None:
        """after_ack: runs the opening beside the ack, not before it (bot.listeners.after_ack).
        can_seal: whether a tracker's token can be stored (TOKEN_ENCRYPTION_KEYS is set)."""
        self.client, self.t, self.session_factory, self.people = client, t, session_factory, people
        self.clock, self.default_retro_channel, self.can_seal = clock, default_retro_channel, can_seal
        self._workspace, self.after_ack = workspace, after_ack

    def workspace(self) -> Workspace:
        return named(self._workspace)

    def open_import(self, trigger_id: str) -> None:
        """The import form needs nothing read first: it opens straight on the trigger."""
        self.open_view(trigger_id, lambda: build_import_modal(self.t))

    def open_view(self, trigger_id: str, build_view: Callable[[], dict]) -> None:
        """Built after the ack too: the person's words are a database read."""
        self.after_ack(lambda: self.client.views_open(trigger_id=trigger_id, view=build_view()))

    def push_view(self, trigger_id: str, build_view: Callable[[], dict]) -> None:
        """On top of the modal the trigger came from."""
        self.after_ack(lambda: self.client.views_push(trigger_id=trigger_id, view=build_view()))

    def open_then_show(self, trigger_id: str, build_view: Callable[[], dict]) -> None:
        self.after_ack(lambda: self._open_then_show(trigger_id, build_view))

    def _open_then_show(self, trigger_id: str, build_view: Callable[[], dict]) -> None:
        t = self.t
        opened = self.client.views_open(trigger_id=trigger_id, view=build_loading_modal(t))["view"]
        t.learn(self.client)  # for the view built next
        try:
            view = build_view()
        except NotYourEntry:  # answered in the modal already open, rather than in a message
            view = build_notice_modal(t, t(NOT_YOURS))
        except (SQLAlchemyError, SlackApiError, OSError) as error:
            log.warning("Modal not filled in (%s)", type(error).__name__)
            view = build_notice_modal(t, t(NOT_LOADED))
        try:
            self.client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
        except SlackApiError as error:  # closed while loading, say: nothing is lost
            log.info("Modal not shown (%s)", error.response.get("error"))

    def open_record(
        self, trigger_id: str, modal_context: ModalContext, now: datetime, fields: EntryFields | None = None
    ) -> None:
        """The record form, with the workspace's default visibility where the entry has none yet."""
        self.open_then_show(trigger_id, lambda: self.record_modal(modal_context, now, fields))

    def record_modal(self, modal_context: ModalContext, now: datetime, fields: EntryFields | None) -> dict:
        chosen = fields.visibility if fields else None
        return build_record_modal(
            self.t,
            today=now.date(),
            default_visibility=chosen or default_visibility(self.session_factory, self.workspace()),
            context=modal_context,
            fields=fields,
        )

    def open_about_entry(
        self, trigger_id: str, user_id: str, entry_id: int | None, build_view: Callable[[Entry], dict]
    ) -> None:
        """A modal about one of the person's own entries (edit, visibility, delete), read after the
        loading view; anyone else's entry, or one deleted, gets a clear refusal in the modal."""

        def entry_view() -> dict:
            ws = self.workspace()
            return build_view(get_own_entry(self.session_factory, ws, user_id, entry_id or 0))

        self.open_then_show(trigger_id, entry_view)

    def open_edit(self, trigger_id: str, user_id: str, entry_id: int | None, response_url: str | None = None) -> None:
        def edit_view(entry: Entry) -> dict:
            modal = ModalContext(entry_id=entry.id, response_url=response_url, source_link=entry.source_link)
            return self.record_modal(modal, self.clock(), fields_of(entry))

        self.open_about_entry(trigger_id, user_id, entry_id, edit_view)

    def open_settings(self, trigger_id: str, user_id: str) -> None:
        def settings_view() -> dict:
            t = self.t  # the person's language, learned once the loading view is up
            # Asked afresh, after the loading view: the submission's check then reuses this answer.
            if not self.people.is_admin(self.client, user_id, fresh=True):
                return build_notice_modal(t, t(ADMINS_ONLY))
            ws = self.workspace()
            settings = workspace_settings(self.session_factory, ws)
            canvas_channel, canvas_problem = lessons_canvas_state(self.session_factory, ws)
            return build_settings_modal(
                t,
                settings,
                default_channel=self.default_retro_channel,
                canvas_channel=canvas_channel,
                canvas_problem=canvas_problem,
                tracker=trackers.connected(self.session_factory, ws),
                can_seal=self.can_seal,
            )

        self.open_then_show(trigger_id, settings_view)


def refused_unless_admin(ack, people: People, client: WebClient, user_id: str, t) -> bool:
    """A submission that changes the workspace, checked again on submit: a non-admin's is answered in the
    modal. Slack's answer from when the modal opened is still kept, so nothing slow comes before the ack."""
    if people.is_admin(client, user_id):
        return False
    ack(response_action="update", view=build_notice_modal(t, t(ADMINS_ONLY)))
    return True


def fields_of(entry: Entry) -> EntryFields:
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
