"""The work a request leaves for after its ack, run by a worker: the Nice job reply, the Home tab,
exports, a digest posted now, a Nice job passed on to its author.

What the person wrote is already stored when these run. Each is best effort where the change itself
is made (a lost reply is logged, never reported as lost work) and safe to run twice."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.action_items import HOME_ITEMS_MAX
from bot.blocks.data_rights import build_shared_export_refused_message, workspace_counts_text
from bot.blocks.digest import build_nice_job_button, digest_block_id
from bot.blocks.messages import build_admins_only_message, build_nice_job_message, build_text_message
from bot.blocks.resume import HOME_ENTRIES_MAX, RESUME_PAGE_SIZE, build_home_view, build_resume_page
from bot.blocks.similar import EARLIER_IN_MODAL, SEARCH_PAGE_SIZE, build_search_message, with_earlier_lessons
from bot.blocks.state import entry_id_value
from bot.domain.data_rights import personal_data, shared_entries_for_admins
from bot.domain.entries import (
    NotYourEntry,
    first_entry,
    get_own_entry,
    redate_entry,
    resume_markdown,
    resume_page,
    set_source_link,
)
from bot.domain.exports import personal_data_json, shared_entries_csv
from bot.domain.home import home_contents, home_opened, home_opened_lately
from bot.domain.languages import workspace_language
from bot.domain.nice_jobs import nice_job_counts
from bot.domain.suggestions import SearchPage, Suggestion
from bot.i18n import N_, translator
from bot.slack.api import permalink, reply
from bot.slack.ids import Block
from bot.tasks.outbox import once, upload_once
from bot.tasks.runtime import Runtime
from bot.tasks.team_digest import post_team_digest
from storage.types import Workspace

log = logging.getLogger(__name__)

DIGEST_OUTCOMES = {
    "posted": N_("The team digest is posted."),
    "nothing": N_("Nothing new was shared since the last digest, so nothing was posted."),
    "no_channel": N_("No retro channel is set yet: choose one in Settings."),
    "channel_problem": N_("The digest could not be posted to the retro channel; the admins have the details."),
    "already": N_("Another digest is being posted right now."),
}


def answer(
    client: WebClient, user_id: str, response_url: str | None, message: dict, replace_original: bool = False
) -> None:
    """Answer a change that is already saved. Best effort: reported as an error ("please try again"),
    a lost answer would get the change made twice."""
    try:
        once(lambda: reply(client, user_id, response_url, message, replace_original=replace_original))
    except (SlackClientError, OSError) as error:
        log.warning("Answer not sent (%s)", type(error).__name__)


def send_nice_job(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    entry_id: int,
    response_url: str | None,
    now: datetime,
    quick: bool,
    replace_original: bool = False,
    source: tuple[str, str] | None = None,
) -> None:
    """The Nice job for a new entry, then the Home tab if the person may be looking at it: recorded
    from the Home (whose interactions carry no response_url), or elsewhere soon after they opened it
    (home_opened_lately), or their first entry (an open before it left no trace). Otherwise
    the Home is published when they next open it. A quick entry was dated in UTC before its ack: it
    takes the person's own date here; a lesson from a message gets its link back."""
    sf = rt.session_factory
    try:
        entry = get_own_entry(sf, ws, user_id, entry_id)
    except NotYourEntry:
        return  # undone before its Nice job
    if quick:
        today = rt.people.local_date(client, user_id, now)
        if today != entry.happened_on:
            entry = redate_entry(sf, ws, user_id, entry.id, today)
    t = rt.translator_for(client, ws, user_id)
    if source and not entry.source_link:
        link = permalink(client, *source)
        if link:
            set_source_link(sf, ws, user_id, entry.id, link)
    earlier = similar_lesson(rt, ws, user_id, entry)
    message = build_nice_job_message(t, entry, quick=quick, earlier=earlier)
    answer(client, user_id, response_url, message, replace_original)
    # Recorded from the Home (no response_url there), or elsewhere while the Home may be on screen.
    if response_url is None or home_opened_lately(sf, ws, user_id, now) or first_entry(sf, ws, user_id, entry.id):
        refresh_home(rt, client, ws, user_id)


def similar_lesson(rt: Runtime, ws: Workspace, user_id: str, entry) -> Suggestion | None:
    """The lesson of the earlier entry most like this one; none rather than a late Nice job."""
    try:
        found = rt.suggestions.similar(ws, user_id, entry.what_happened, exclude=(entry.id,))
    except SQLAlchemyError as error:
        log.warning("No similar lesson looked up (%s)", type(error).__name__)
        return None
    return found[0] if found else None


def send_answer(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    response_url: str | None,
    message: dict,
    replace_original: bool = False,
    home: bool = False,
) -> None:
    """A reply built by the listener, and with `home` the Home tab refreshed after the change."""
    answer(client, user_id, response_url, message, replace_original)
    if home:
        refresh_home(rt, client, ws, user_id)


def open_home(rt: Runtime, client: WebClient, ws: Workspace, user_id: str, now: datetime) -> None:
    """The person opened their App Home: published afresh, and noted, so that a record they make
    elsewhere soon after refreshes it too."""
    home_opened(rt.session_factory, ws, user_id, now)
    refresh_home(rt, client, ws, user_id)


def refresh_home(
    rt: Runtime, client: WebClient, ws: Workspace, user_id: str, search: str | None = None, page: int = 0
) -> None:
    """The Home tab, with `search`'s results (page `page`) in place of the entries. Best effort
    after a change: the change itself already succeeded."""
    t = rt.translator_for(client, ws, user_id)
    try:
        found = rt.suggestions.search(ws, user_id, search, page, SEARCH_PAGE_SIZE) if search else None
        home = home_contents(rt.session_factory, ws, user_id, HOME_ENTRIES_MAX, rt.clock(), HOME_ITEMS_MAX + 1)
        view = build_home_view(
            t,
            home.recent,
            lessons=home.lessons,
            is_admin=_admin_or_not_known(rt, client, user_id),
            total=home.total,
            per_year=home.per_year,
            prompts_stopped=home.prompts_stopped,
            search=found,
            open_items=home.open_items,
            done_items=home.done_items,
            tracker=home.tracker,
            language=home.language,
        )
        client.views_publish(user_id=user_id, view=view)
    except (SlackApiError, SQLAlchemyError, OSError) as error:
        log.warning("Home tab not refreshed (%s)", type(error).__name__)


def _admin_or_not_known(rt: Runtime, client: WebClient, user_id: str) -> bool:
    """The Home shows the admin buttons only when Slack says so; Slack not answering (kept a few
    seconds) costs them, not the Home. The buttons' actions ask Slack afresh."""
    try:
        return rt.people.is_admin(client, user_id)
    except (SlackApiError, OSError):
        return False


def send_search(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    response_url: str | None,
    words: str,
    page: int = 0,
    replace_original: bool = False,
) -> None:
    found = rt.suggestions.search(ws, user_id, words, page, SEARCH_PAGE_SIZE) if words.strip() else None
    t = rt.translator_for(client, ws, user_id)
    message = build_search_message(t, found or SearchPage(words, [], 0, False))
    answer(client, user_id, response_url, message, replace_original)


def show_earlier_lessons(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    view_id: str,
    view_hash: str | None,
    view: dict,
    what: str,
    exclude: int | None = None,
) -> None:
    """The record modal, updated in place with the earlier lessons most like what was written so far.
    A modal the person has moved on from (closed, or changed since: hash_conflict) is left alone."""
    earlier = rt.suggestions.similar(ws, user_id, what, limit=EARLIER_IN_MODAL, exclude=(exclude,) if exclude else ())
    shown_before = any(b.get("block_id") == Block.EARLIER_LESSONS for b in view.get("blocks", []))
    if not earlier and not shown_before:
        return
    t = rt.translator_for(client, ws, user_id)
    try:
        client.views_update(view_id=view_id, hash=view_hash, view=with_earlier_lessons(t, view, earlier))
    except SlackApiError as error:
        log.info("Earlier lessons not shown in the modal (%s)", error.response.get("error"))


def send_resume(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    response_url: str | None,
    year: int | None,
    page: int = 0,
    replace_original: bool = False,
) -> None:
    shown = resume_page(rt.session_factory, ws, user_id, year, page, RESUME_PAGE_SIZE)
    t = rt.translator_for(client, ws, user_id)
    message = build_resume_page(t, shown.entries, shown.per_year, shown.total, year=year, page=shown.page)
    once(lambda: reply(client, user_id, response_url, message, replace_original=replace_original))


def send_export(
    rt: Runtime, client: WebClient, ws: Workspace, user_id: str, response_url: str | None, now: datetime
) -> None:
    """The whole resume as a Markdown file, and everything kept about the person here as a JSON
    file, in their DM: both in one upload through Slack's external upload flow."""
    data = personal_data(rt.session_factory, ws, user_id)
    t = rt.translator_for(client, ws, user_id)
    document = resume_markdown(t, data.entries, person=rt.people.display_name(client, user_id))
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
    upload_once(
        client,
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
        answer(client, user_id, response_url, build_text_message(t("Sent to you in a direct message.")))


def send_shared_export(
    rt: Runtime, client: WebClient, ws: Workspace, user_id: str, response_url: str | None, now: datetime
) -> None:
    """For workspace admins: the shared entries as a CSV file in their DM, with counts of all entries."""
    t = rt.translator_for(client, ws, user_id)
    if not rt.people.is_admin(client, user_id, fresh=True):
        once(lambda: reply(client, user_id, response_url, build_shared_export_refused_message(t)))
        return
    shared = shared_entries_for_admins(rt.session_factory, ws)
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    upload_once(
        client,
        channel=channel,
        filename=f"failure-resume-shared-entries-{now.date().isoformat()}.csv",
        title=t("Shared entries"),
        content=shared_entries_csv(shared.entries, shared.nice_jobs),
        initial_comment=workspace_counts_text(t, shared.counts),
    )
    if response_url:
        answer(client, user_id, response_url, build_text_message(t("Sent to you in a direct message.")))


def post_digest_now(rt: Runtime, client: WebClient, ws: Workspace, user_id: str, now: datetime) -> None:
    """An admin's *Post digest now*, asked afresh whether they are an admin."""
    t = rt.translator_for(client, ws, user_id)
    if not rt.people.is_admin(client, user_id, fresh=True):
        once(lambda: reply(client, user_id, None, build_admins_only_message(t)))
        return
    outcome = post_team_digest(rt.session_factory, client, ws, now, rt.default_retro_channel)
    once(lambda: reply(client, user_id, None, build_text_message(t(DIGEST_OUTCOMES[outcome]))))


def pass_on_nice_job(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    channel: str | None,
    message: dict,
    author_id: str,
    count: int,
    happened_on,
) -> None:
    """A teammate's Nice job, already counted: the digest's buttons show every count afresh (so presses
    on two entries at once both show), and only the author hears of it, not who pressed."""
    blocks = message.get("blocks") or []
    channel_t = translator(workspace_language(rt.session_factory, ws))  # the digest's buttons: the channel's words
    shown = {digest_block_id(entry_id): entry_id for entry_id in _digest_entry_ids(blocks)}
    counts = nice_job_counts(rt.session_factory, list(shown.values()))
    for block in blocks:
        if block.get("block_id") in shown:
            entry_id = shown[block["block_id"]]
            block["accessory"] = build_nice_job_button(channel_t, entry_id, counts.get(entry_id, 0))
    if blocks and channel:
        client.chat_update(channel=channel, ts=message["ts"], text=message.get("text", ""), blocks=blocks)
    t = rt.translator_for(client, ws, author_id)
    text = t.plural(
        "{n} teammate said Nice job to your lesson from {date}.",
        "{n} teammates said Nice job to your lesson from {date}.",
        count,
        date=t.date(happened_on),
    )
    try:
        once(lambda: client.chat_postMessage(channel=author_id, text=text))
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
