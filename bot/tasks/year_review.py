"""The year in review: each person's in their DM (on demand, with `/fail review [YEAR]` or the Home's
button, and once in December on the workspace's prompt day), and the team's in the retro channel, once
a year. Each is a message, then its chart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.messages import build_text_message
from bot.blocks.review import build_review_message, build_team_review_message
from bot.blocks.review_chart import review_chart_png
from bot.domain.yearly_review import TeamYearInReview, YearInReview, personal_review, team_review, year_span
from bot.i18n import Translator, translator
from bot.slack.api import post_joining, reply
from bot.tasks.deliveries import deliver_once
from bot.tasks.outbox import once
from bot.tasks.runtime import Runtime
from storage.repository import acknowledgements as acknowledgement_store
from storage.repository import action_items as action_item_store
from storage.repository import deliveries as delivery_store
from storage.repository import entries as entry_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace

log = logging.getLogger(__name__)

REVIEW_KIND = "year_review"
TEAM_REVIEW_KIND = "team_year_review"
REVIEW_MONTH = 12


def personal_year(sf: sessionmaker[Session], ws: Workspace, user_id: str, year: int) -> YearInReview:
    with sf() as session:
        entries = entry_store.list_entries(session, ws, user_id, year)
        nice_jobs = acknowledgement_store.count_acknowledgements_of(session, [entry.id for entry in entries])
        done = action_item_store.count_items_done(session, ws, *year_span(year), owner_id=user_id)
    return personal_review(entries, year, nice_jobs, done)


def team_year(sf: sessionmaker[Session], ws: Workspace, year: int) -> tuple[TeamYearInReview | None, str | None]:
    """The team's year (None below the anonymity crowd), and the channel it goes to."""
    with sf() as session:
        settings = workspace_store.get_settings(session, ws)
        entries = entry_store.list_workspace_entries_of_year(session, ws, year)
        done = action_item_store.count_items_done(session, ws, *year_span(year))
    return team_review(entries, year, settings.anonymity_crowd, done), settings.retro_channel


def post_with_chart(client: WebClient, channel: str, message: dict, chart: bytes | None, name: str) -> None:
    """The message (SlackApiError if Slack refuses it), then its chart below it: a chart that fails
    to upload is logged, never a reason to send the message again. To a user ID, the message goes to
    the app's DM with them, whose ID the upload then takes (no conversations.open)."""
    posted = post_joining(client, channel, message)
    if chart is None:
        return
    try:
        client.files_upload_v2(
            channel=posted["channel"],
            content=chart,
            filename=f"{name}.png",
            title=message["text"],
            alt_txt=message["text"],
        )
    except (SlackApiError, OSError) as error:  # OSError: no answer in time
        log.warning("Year in review chart not uploaded (%s)", type(error).__name__)


def send_year_review(client: WebClient, channel: str, t: Translator, review: YearInReview) -> None:
    """The person's review in their DM (`channel`: their user ID, or the DM's)."""
    message, chart = build_review_message(t, review), review_chart_png(t, review) if review.total else None
    post_with_chart(client, channel, message, chart, f"failure-resume-{review.year}")


def send_year_review_now(
    rt: Runtime,
    client: WebClient,
    ws: Workspace,
    user_id: str,
    now: datetime,
    year: int | None = None,
    response_url: str | None = None,
) -> None:
    """This year's review (where the person is), or `year`'s, in their DM; asked for, so sent
    every time, an empty year included (it says so)."""
    t = rt.translator_for(client, ws, user_id)
    year = year or rt.people.local_date(client, user_id, now).year
    review = personal_year(rt.session_factory, ws, user_id, year)
    once(lambda: send_year_review(client, user_id, t, review))
    if response_url:
        once(lambda: reply(client, user_id, response_url, build_text_message(t("Sent to you in a direct message."))))


def send_year_review_once(
    sf: sessionmaker[Session],
    client: WebClient,
    ws: Workspace,
    user_id: str,
    t: Translator,
    year: int,
    now: datetime,
    pace: Callable[[], None] = lambda: None,
) -> str:
    """December's review, once per person and year (the delivery ledger); nobody is sent an empty
    year. Drawn before it is claimed, so that a chart that fails leaves nothing claimed. `pace`
    spaces the uploads."""
    review = personal_year(sf, ws, user_id, year)
    if not review.total:
        return "empty"
    message, chart = build_review_message(t, review), review_chart_png(t, review)
    pace()
    send = lambda: post_with_chart(client, user_id, message, chart, f"failure-resume-{year}")  # noqa: E731
    return deliver_once(sf, ws, user_id, REVIEW_KIND, str(year), now, send)


def post_team_year_review_once(
    sf: sessionmaker[Session], client: WebClient, ws: Workspace, year: int, now: datetime, default_channel: str | None
) -> str:
    """The team's year in the retro channel, once a year; nothing below the anonymity crowd."""
    with sf() as session:  # asked first: every December beat comes here, the year's entries are read once
        if delivery_store.list_recipients(session, ws, ["team"], TEAM_REVIEW_KIND, str(year)):
            return "already"
        language = workspace_store.get_settings(session, ws).language
    review, channel = team_year(sf, ws, year)
    channel = channel or default_channel
    if review is None:
        return "below_crowd"
    if not channel:
        return "no_channel"
    t = translator(language)
    message, chart = build_team_review_message(t, review), review_chart_png(t, review)
    send = lambda: post_with_chart(client, channel, message, chart, f"failure-resume-team-{year}")  # noqa: E731
    outcome = deliver_once(sf, ws, "team", TEAM_REVIEW_KIND, str(year), now, send)
    return "posted" if outcome == "sent" else outcome
