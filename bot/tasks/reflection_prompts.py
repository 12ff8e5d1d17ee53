"""The monthly reflection prompt: a DM to each person, once a month, at 10:00 where they are."""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import NamedTuple

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.prompt import build_prompt_message
from bot.domain.home import DONE_SHOWN, DONE_SHOWN_MOST
from bot.domain.languages import person_language
from bot.domain.prompts import PROMPT_KIND, is_away, is_person_to_prompt, person_timezone, prompt_is_due, prompt_period
from bot.i18n import translator
from bot.slack.api import members_page
from bot.tasks.deliveries import deliver_once
from bot.tasks.pacing import Pacer
from bot.tasks.year_review import REVIEW_KIND, REVIEW_MONTH, send_year_review_once
from storage.repository import action_items as action_item_store
from storage.repository import deliveries as delivery_store
from storage.repository import entries as entry_store
from storage.repository import people as person_store
from storage.repository import trackers as tracker_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace

log = logging.getLogger(__name__)

# Slack lets an app post "several hundred messages per minute" to a workspace (chat.postMessage's
# special limit); 4 a second (240 a minute) stays below it. 429s are still honoured, by the
# client's retry handler, with Retry-After.
SENDS_PER_SECOND = 4.0
# December's year in review uploads a chart per person: files.* are Tier 4 (100+ a minute).
REVIEWS_PER_SECOND = 1.5


# A long fan-out renews the scheduler's lease as it goes, and stops if it lost it.
LEASE_CHECK_EVERY = 50
# People whose prompts are read from the database together: one users.list page.
BATCH = 200
# Slack's refusals that will not change by trying again this month.
UNDELIVERABLE = {"user_not_found", "cannot_dm_bot", "user_disabled"}
# "Did it help?" is asked once, this long after an action item was done.
HELPED_AFTER = timedelta(days=30)


def send_reflection_prompts(
    sf: sessionmaker[Session],
    client: WebClient,
    ws: Workspace,
    now: datetime,
    force: bool = False,
    pace: Callable[[], None] | None = None,
    still_in_charge: Callable[[], bool] = lambda: True,
) -> Counter:
    """Prompt everyone whose prompt is due (with `force`, everyone) and who has not had this month's.

    Exactly once per person and month: a ledger row is claimed immediately before the call to Slack
    and confirmed after it. A send Slack refuses gives the claim back, so the next run tries again;
    a process that dies before the claim leaves nothing behind, so the restarted run sends it. If the
    process dies during the call itself, after Slack accepted the message but before the
    confirmation, the claim stays unconfirmed and that person is not prompted again that month:
    at most once, never twice."""
    pace = pace or Pacer(SENDS_PER_SECOND)
    counts: Counter = Counter()
    cursor = None
    while True:
        page = members_page(client, cursor)
        if not _prompt_members(sf, client, ws, now, page.members, force, pace, still_in_charge, counts):
            return counts
        cursor = page.next_cursor
        if not cursor:
            return counts


def send_reflection_prompts_page(
    sf: sessionmaker[Session],
    client: WebClient,
    ws: Workspace,
    now: datetime,
    cursor: str | None = None,
    force: bool = False,
    pace: Callable[[], None] | None = None,
) -> tuple[Counter, str | None]:
    """The same for one users.list page of people (up to 200): a big workspace's fan-out is a chain of
    these, one after another, so that it keeps within the workspace's limit. Returns the next page's
    cursor, None after the last."""
    counts: Counter = Counter()
    page = members_page(client, cursor)
    _prompt_members(sf, client, ws, now, page.members, force, pace or Pacer(SENDS_PER_SECOND), lambda: True, counts)
    return counts, page.next_cursor


def _prompt_members(
    sf: sessionmaker[Session],
    client: WebClient,
    ws: Workspace,
    now: datetime,
    members: list[dict],
    force: bool,
    pace: Callable[[], None],
    still_in_charge: Callable[[], bool],
    counts: Counter,
) -> bool:
    with sf() as session:
        settings = workspace_store.get_settings(session, ws)
        choices = person_store.people_choices(session, ws)
    batch: list[_Due] = []
    attempts = itertools.count(1)
    review_pace = Pacer(REVIEWS_PER_SECOND)  # one for the whole page: every batch's reviews are spaced
    for user in members:
        user_id = user.get("id")
        if not isinstance(user_id, str) or not is_person_to_prompt(user, settings.prompt_guests):
            continue
        choice = choices.get(user_id)
        if choice is not None and choice.prompts_stopped:
            counts["stopped"] += 1
            continue
        if choice is not None and choice.snoozed_until and choice.snoozed_until > now:
            counts["snoozed"] += 1
            continue
        if is_away(user, now):
            counts["away"] += 1
            continue
        zone = person_timezone(user)
        if not force and not prompt_is_due(now, zone, settings.prompt_day):
            continue
        language = person_language(choice, settings.language, user.get("locale"))
        batch.append(_Due(user_id, prompt_period(now, zone), now.astimezone(zone).date(), language))
        if len(batch) == BATCH:
            if not _send_batch(sf, client, ws, batch, now, (pace, review_pace), still_in_charge, attempts, counts):
                return False
            batch = []
    if batch:
        return _send_batch(sf, client, ws, batch, now, (pace, review_pace), still_in_charge, attempts, counts)
    return True


class _Due(NamedTuple):
    user_id: str
    period: str
    today: date  # where the person is
    language: str


def _send_batch(
    sf: sessionmaker[Session],
    client: WebClient,
    ws: Workspace,
    batch: list[_Due],
    now: datetime,
    paces: tuple[Callable[[], None], Callable[[], None]],  # the prompts', the reviews'
    still_in_charge: Callable[[], bool],
    attempts: Iterator[int],
    counts: Counter,
) -> bool:
    """Prompt a batch of people, reading what their prompts show in a few queries for all of them.
    False when another scheduler took over, and the fan-out must stop."""
    pace, review_pace = paces
    # People in one batch share their period and day but where a time zone crosses midnight.
    groups: dict[tuple[str, date], list[str]] = {}
    languages = {due.user_id: due.language for due in batch}
    for due in batch:
        groups.setdefault((due.period, due.today), []).append(due.user_id)
    with sf() as session:
        tracker = tracker_store.get_connection(session, ws) is not None  # items may become issues
    for (period, today), user_ids in groups.items():
        with sf() as session:
            already = delivery_store.list_recipients(session, ws, user_ids, PROMPT_KIND, period)
            to_prompt = [user_id for user_id in user_ids if user_id not in already]
            open_items = action_item_store.list_open_action_items(session, ws, to_prompt, limit=5)
            lately = now - DONE_SHOWN
            done_items = action_item_store.list_open_action_items(session, ws, to_prompt, DONE_SHOWN_MOST, lately)
            missing = entry_store.list_entries_missing_lessons(session, ws, to_prompt, today - timedelta(days=60), 3)
            year_ago = entry_store.list_lessons_from_a_year_ago(session, ws, to_prompt, today)
            follow_ups = action_item_store.list_action_items_to_follow_up(session, ws, to_prompt, now - HELPED_AFTER)
        if already:
            counts["already"] += len(already)
        for user_id in to_prompt:
            if next(attempts) % LEASE_CHECK_EVERY == 0 and not still_in_charge():
                log.warning("Stopped the reflection prompts: another scheduler took over")
                counts["stopped_early"] += 1
                return False
            message = build_prompt_message(
                translator(languages[user_id]),
                period=period,
                open_items=open_items.get(user_id, []),
                missing_lessons=missing.get(user_id, []),
                year_ago=year_ago.get(user_id),
                follow_up=follow_ups.get(user_id),
                done_items=done_items.get(user_id, []),
                tracker=tracker,
            )
            asked = [follow_ups[user_id].id] if user_id in follow_ups else []
            _send_one(sf, client, ws, user_id, period, message, now, pace, counts, asked)
        if int(period[-2:]) == REVIEW_MONTH:  # December's prompt comes with the year in review
            _send_year_reviews(sf, client, ws, user_ids, int(period[:4]), languages, now, review_pace, counts)
    return True


def _send_year_reviews(
    sf: sessionmaker[Session],
    client: WebClient,
    ws: Workspace,
    user_ids: list[str],
    year: int,
    languages: dict[str, str],
    now: datetime,
    pace: Callable[[], None],
    counts: Counter,
) -> None:
    """The year in review to each of them who wrote entries that year and has not had it, whether
    or not their prompt went out in this run: a review Slack refused last time is sent by the next."""
    with sf() as session:
        reviewed = delivery_store.list_recipients(session, ws, user_ids, REVIEW_KIND, str(year))
        writers = entry_store.people_with_entries_in(session, ws, user_ids, year)
    for user_id in user_ids:
        if user_id in writers and user_id not in reviewed:
            outcome = send_year_review_once(sf, client, ws, user_id, translator(languages[user_id]), year, now, pace)
            counts[f"year_review_{outcome}"] += 1


def _send_one(
    sf: sessionmaker[Session],
    client: WebClient,
    ws: Workspace,
    user_id: str,
    period: str,
    message: dict,
    now: datetime,
    pace: Callable[[], None],
    counts: Counter,
    asked: list[int] = (),
) -> None:
    pace()
    # The "Did it help?" question is marked asked with the claim, so that it is asked once at most.
    outcome = deliver_once(
        sf,
        ws,
        user_id,
        PROMPT_KIND,
        period,
        now,
        lambda: client.chat_postMessage(channel=user_id, **message),
        at_claim=lambda session: action_item_store.mark_asked_if_helped(session, list(asked), now),
        undeliverable=UNDELIVERABLE,
        counted=False,
    )
    counts[outcome] += 1
