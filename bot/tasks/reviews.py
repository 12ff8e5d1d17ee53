"""A worker's part of the year in review asked for with `/fail review [YEAR]` or the Home's button."""

from __future__ import annotations

from datetime import datetime

from slack_sdk import WebClient

from bot.blocks.messages import build_text_message
from bot.jobs.year_review import personal_year, send_year_review
from bot.slack.api import reply
from bot.tasks.outbox import once
from bot.tasks.runtime import Runtime
from storage.types import Workspace


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
