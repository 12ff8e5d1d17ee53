"""Slack-surface code: one module per kind of request, each exposing register(app)."""

from slack_bolt import App

from bot.listeners import actions, commands, events, shortcuts, views


def register(app: App) -> None:
    for surface in (commands, views, actions, events, shortcuts):
        surface.register(app)
