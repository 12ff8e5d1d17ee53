"""A team digest posted in the retro channel, and teammates pressing its Nice job buttons."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.slack.api import build_web_client
from bot.tasks.team_digest import post_team_digest
from storage.models import Acknowledgement, Entry
from storage.types import Workspace
from tests import payloads
from tests.harness.config import TOKEN
from tests.rows import seed

WS = Workspace(enterprise_id="", team_id="T0001")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def share(bot, user: str, visibility: str, what: str) -> int:
    entry_id = seed(bot, what, user=user, visibility=visibility, lesson=f"Lesson of {what}")
    with bot.session_factory.begin() as session:
        session.get(Entry, entry_id).shared_at = NOW
    return entry_id


def post_digest(bot) -> dict:
    client = build_web_client(TOKEN, bot.fake.url)
    assert post_team_digest(bot.session_factory, client, WS, NOW, "CRETRO") == "posted"
    call = bot.fake.calls_to("chat.postMessage")[-1]
    return {"ts": "1700000000.000100", "text": call.args["text"], "blocks": call.args["blocks"]}


def press(bot, message: dict, entry_id: int, user: str) -> None:
    payload = payloads.block_actions(
        payloads.button("nice_job_button", str(entry_id)),
        user=user,
        response_url=bot.fake.response_url(f"press-{user}"),
    )
    payload["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": "CRETRO"}
    payload["channel"] = {"id": "CRETRO", "name": "retro"}
    payload["message"] = {"type": "message", **message}
    assert bot.interact(payload).status == 200


def acknowledgements(bot) -> int:
    with bot.session_factory() as session:
        return session.scalar(select(func.count(Acknowledgement.id)))
