"""Installs through the app's OAuth pages, as a person clicks through Add to Slack."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET
from tests.harness.bot import BotHarness


def install_page(app) -> tuple[str, str]:
    """Opens the Add to Slack page; returns the authorize URL and the state cookie the browser keeps."""
    page = app.get("/slack/install")
    assert page.status == 200
    [link] = re.findall(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page.body.decode())
    cookie = page.headers["Set-Cookie"].split(";")[0]
    return html.unescape(link), cookie


def install(app, team: str | None, **consent):
    """Add to Slack, Allow on Slack's page, and Slack's redirect back to the app."""
    link, cookie = install_page(app)
    [state] = parse_qs(urlsplit(link).query)["state"]
    code = app.fake.grants.consent(team, **consent)
    return app.get(f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie})


def installed_bots(app) -> list[tuple]:
    """The stored bots, their tokens opened by the store's keys."""
    bots = app.store.bots.c
    query = select(bots.team_id, bots.enterprise_id, bots.bot_token, bots.bot_refresh_token).order_by(bots.id)
    with app.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def record(app, text: str, team: str, key: str, **workspace) -> None:
    """A quick /fail, and the work after its ack: the Nice job answer, and (in this process's app) all
    that follows it done. A `serve` process on its own finishes it when it is stopped."""
    before = len(app.fake.responses)
    assert app.command(text, team=team, key=key, **workspace).status == 200
    [(_, message)] = [r for r in app.fake.wait_for_responses(before + 1) if r[0] == key]
    assert "Nice job" in message["text"]
    if isinstance(app, BotHarness):
        app.drain()


def oauth_env(app, **extra) -> dict[str, str]:
    return {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": app.fake.url,
        "DATABASE_URL": app.settings.database_url,
        "TOKEN_ENCRYPTION_KEYS": app.settings.token_keys,
        **extra,
    }
