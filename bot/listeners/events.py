"""Events API: the App Home tab."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.errors import reported
from bot.listeners.flows import once_per_event, publish_home


def handle_app_home_opened(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    if event.get("tab") == "home":
        publish_home(client, context, event["user"])


def register(app: App) -> None:
    app.event("app_home_opened")(reported(once_per_event(handle_app_home_opened)))
