"""A module's listeners, each declared above its handler with what it answers (as Bolt's own
`@app.action(...)`), and added to an app by `register`, each through `reported`."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot.listeners.reported import reported


class Listeners:
    def __init__(self) -> None:
        self._declared: list[tuple[str, str, Callable]] = []

    def command(self, name: str) -> Callable[[Callable], Callable]:
        return self._declaring("command", name)

    def view(self, callback_id: str) -> Callable[[Callable], Callable]:
        return self._declaring("view", callback_id)

    def action(self, action_id: str) -> Callable[[Callable], Callable]:
        return self._declaring("action", action_id)

    def event(self, event_type: str) -> Callable[[Callable], Callable]:
        return self._declaring("event", event_type)

    def shortcut(self, callback_id: str) -> Callable[[Callable], Callable]:
        return self._declaring("shortcut", callback_id)

    def _declaring(self, kind: str, matcher: str) -> Callable[[Callable], Callable]:
        def declare(handler: Callable) -> Callable:
            self._declared.append((kind, matcher, handler))
            return handler

        return declare

    def register(self, app: App) -> None:
        for kind, matcher, handler in self._declared:
            listen = getattr(app, kind)  # app.command, app.view, app.action, app.event or app.shortcut
            listen(matcher)(reported(handler))
