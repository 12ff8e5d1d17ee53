"""Steps that several listeners share: opening modals (loading view, then the real one), storing a
quick entry before its ack, and promising the work left for after the ack."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.blocks.entry_modal import ModalContext, build_record_modal
from bot.blocks.messages import (
    ADMINS_ONLY,
    NOT_LOADED,
    NOT_YOURS,
    build_loading_modal,
    build_not_saved_message,
    build_notice_modal,
    build_refusal_message,
)
from bot.blocks.settings_modal import build_settings_modal
from bot.domain.entries import NotYourEntry, get_own_entry, record_quick_entry
from bot.domain.events import first_delivery
from bot.domain.languages import language_for
from bot.domain.workspace_settings import default_visibility, workspace_settings
from bot.i18n import DEFAULT_LANGUAGE, Translator, translator
from bot.tasks import follow_ups
from bot.tasks.follow_ups import FollowUp
from storage.models import Entry
from storage.types import EntryFields, Workspace

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
        if first_delivery(context["session_factory"], body.get("event_id"), context["clock"]()):
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
    """The person's language from the database alone (their choice, or Slack's locale for them as a
    worker last heard it): a request that must answer now never waits for Slack. Once per request."""
    if "translator" not in context:
        ws, user_id = context.get("workspace"), context.get("user_id")
        language = language_for(context["session_factory"], ws, user_id) if ws and user_id else DEFAULT_LANGUAGE
        context["translator"] = translator(language)
    return context["translator"]


def learn_language(client: WebClient, context: BoltContext) -> Translator:
    """Once the loading view is up, the trigger is spent and Slack may be asked: the person's locale
    (users.info, kept a few minutes), for the real view, and kept for their next requests."""
    ws, user_id = context.get("workspace"), context.get("user_id")
    if ws is not None and user_id:
        locale = context["people"].locale(client, user_id)
        language = language_for(context["session_factory"], ws, user_id, locale, context["clock"]())
        context["translator"] = translator(language)
    return translator_for(context)


def open_then_show(client: WebClient, context: BoltContext, trigger_id: str, build_view: Callable[[], dict]) -> None:
    """A loading view the moment the trigger arrives, then the real one: what the modal needs (the
    database, Slack) is read once the 3-second trigger is spent, so a slow read can never lose it."""
    t = translator_for(context)
    opened = client.views_open(trigger_id=trigger_id, view=build_loading_modal(t))["view"]
    t = learn_language(client, context)  # for the view built next (its builder reads translator_for)
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
        default_visibility=chosen or default_visibility(context["session_factory"], workspace_of(context)),
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
        return build_view(get_own_entry(sf, ws, user_id, entry_id or 0))

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


def store_quick_entry_then_ack(
    ack,
    context: BoltContext,
    user_id: str,
    text: str,
    key: str,
    response_url: str | None,
    replace_original: bool = False,
) -> None:
    """Stored, with its Nice job promised in the same transaction, before the ack, so that Slack's 200
    means the words are kept and will be answered. With the database down, the ack gives the words back."""
    now = context["clock"]()
    ws = workspace_of(context)

    def welcome(session: Session, entry: Entry, created: bool) -> None:
        if created:  # the same request again was answered the first time
            arguments = dict(response_url=response_url, now=now, quick=True, replace_original=replace_original)
            follow_ups.nice_job(session, ws, user_id=user_id, entry_id=entry.id, **arguments)
            context["tasks"].promise_meaning(session, ws, entry.id)

    try:
        # Dated in UTC for now: the person's time zone is a Slack call, made by the task.
        sf = context["session_factory"]
        record_quick_entry(sf, ws, user_id, text, key, now, now.date(), then=welcome)
    except SQLAlchemyError as error:
        log.error("Quick entry not saved: database error %s", type(error).__name__)
        ack(**build_not_saved_message(translator_for(context), text))  # English if the database is what failed
        return
    ack()


def promise(context: BoltContext, follow_up: FollowUp, **arguments) -> None:
    """Promise the request's work after its ack: a row in the outbox (bot.tasks.outbox), written
    before the ack, which a worker then does. What a change promises is written with the change
    instead (`change`, or services' `then` for a new entry)."""
    with context["session_factory"].begin() as session:
        follow_up(session, workspace_of(context), **arguments)


def in_place(body: dict, message: dict, home: bool = True) -> dict:
    """An answer's arguments: `message` in place of the one pressed, and with `home` the Home tab follows."""
    where = dict(response_url=body.get("response_url"), replace_original=True, home=home)
    return dict(user_id=body["user"]["id"], message=message, **where)


class Change:
    """A request's change and the follow-ups it promises, in one transaction: services called with
    `sf` make their change in it, `promise` adds to it, and it commits once, when the `with change(…)`
    block ends, before the ack. So a crash leaves both or neither."""

    def __init__(self, context: BoltContext, session: Session) -> None:
        self.context, self.session = context, session
        self.sf = _OneSession(session)

    def promise(self, follow_up: FollowUp, **arguments) -> None:
        follow_up(self.session, workspace_of(self.context), **arguments)


@contextmanager
def change(context: BoltContext) -> Iterator[Change]:
    with context["session_factory"].begin() as session:
        yield Change(context, session)


class _OneSession:
    """A session factory whose every session is one open transaction's: a service's own `with
    sf.begin()` then joins it rather than committing by itself."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __call__(self):
        return nullcontext(self._session)

    def begin(self):
        return nullcontext(self._session)


def open_settings(client: WebClient, context: BoltContext, trigger_id: str, user_id: str) -> None:
    def settings_view() -> dict:
        t = translator_for(context)  # the person's language, learned once the loading view is up
        # Asked afresh, after the loading view: the submission's check then reuses this answer.
        if not context["people"].is_admin(client, user_id, fresh=True):
            return build_notice_modal(t, t(ADMINS_ONLY))
        settings = workspace_settings(context["session_factory"], workspace_of(context))
        return build_settings_modal(t, settings, default_channel=context["default_retro_channel"])

    open_then_show(client, context, trigger_id, settings_view)


def refuse(ack: Ack, context: BoltContext, user_id: str, response_url: str | None = None) -> None:
    """Someone else's entry, or one already deleted: nothing changes, and the person hears why."""
    message = build_refusal_message(translator_for(context))
    promise(context, follow_ups.answer, user_id=user_id, response_url=response_url, message=message)
    ack()
