"""Canvases in the fake Slack: what canvases.create, canvases.edit, canvases.access.set and canvases.delete
leave behind (each canvas's title, Markdown, channel tab and access), and the knobs of a test: a canvas
someone deleted, a plan without canvases."""

from __future__ import annotations

import json
import threading

from tests.fakes.wire import Answer, api_error

# Slack's limit on a canvas's Markdown.
MARKDOWN_MAX = 1_048_576
ACCESS_LEVELS = frozenset({"read", "write", "owner"})


def _listed(value) -> list[str]:
    """An array argument, sent as a JSON list or (form-encoded) as "C1,C2"."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v for v in str(value or "").split(",") if v]


def _content(value) -> dict | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


class Canvases:
    """FakeSlack's canvases, by id, as the app last left them."""

    _cond: threading.Condition
    _canvases: dict[str, dict]
    # An error every canvases.* call answers, as on a plan without canvases; None: canvases work.
    canvases_refused: str | None = None

    # -- what a test reads and does

    def canvas(self, canvas_id: str) -> dict:
        """A canvas as it is now: title, markdown, channel (its tab) and access ({channel: level})."""
        with self._cond:
            return json.loads(json.dumps(self._canvases[canvas_id]))

    @property
    def canvas_ids(self) -> list[str]:
        with self._cond:
            return list(self._canvases)

    def delete_canvas(self, canvas_id: str) -> None:
        """Someone deletes the canvas in Slack: editing it then answers canvas_not_found."""
        with self._cond:
            del self._canvases[canvas_id]

    # -- answers

    def _canvas_answer(self, method: str, args: dict) -> Answer | None:
        answer = {
            "canvases.create": self._create_canvas,
            "canvases.edit": self._edit_canvas,
            "canvases.access.set": self._set_canvas_access,
            "canvases.delete": self._delete_canvas,
        }.get(method)
        if answer is None:
            return None
        if self.canvases_refused:
            return api_error(self.canvases_refused)
        return answer(args)

    def _create_canvas(self, args: dict) -> Answer:
        content = _content(args.get("document_content")) or {"type": "markdown", "markdown": ""}
        if content.get("type") != "markdown" or len(content.get("markdown") or "") > MARKDOWN_MAX:
            return api_error("canvas_creation_failed")
        canvas_id = f"FCANVAS{self._next('canvas')}"
        channel = args.get("channel_id") or None
        canvas = {"title": args.get("title") or "", "markdown": content.get("markdown") or "", "channel": channel}
        # A canvas tabbed in a channel is writable by its members until its access is set.
        canvas["access"] = {channel: "write"} if channel else {}
        with self._cond:
            self._canvases[canvas_id] = canvas
        return Answer(200, {"ok": True, "canvas_id": canvas_id})

    def _edit_canvas(self, args: dict) -> Answer:
        changes = args.get("changes")
        if isinstance(changes, str):
            changes = json.loads(changes)
        with self._cond:
            canvas = self._canvases.get(args.get("canvas_id"))
            if canvas is None:
                return api_error("canvas_not_found")
            for change in changes if isinstance(changes, list) else []:
                content = _content(change.get("document_content")) or {}
                if change.get("operation") != "replace" or change.get("section_id") or "markdown" not in content:
                    return api_error("canvas_editing_failed")
                if len(content["markdown"]) > MARKDOWN_MAX:
                    return api_error("canvas_editing_failed")
                canvas["markdown"] = content["markdown"]
        return Answer(200, {"ok": True})

    def _set_canvas_access(self, args: dict) -> Answer:
        channels, users = _listed(args.get("channel_ids")), _listed(args.get("user_ids"))
        level = args.get("access_level")
        if bool(channels) == bool(users) or level not in ACCESS_LEVELS or (channels and level == "owner"):
            return api_error("invalid_parameters")
        with self._cond:
            canvas = self._canvases.get(args.get("canvas_id"))
            if canvas is None:
                return api_error("canvas_not_found")
            canvas["access"].update({entity: level for entity in channels + users})
        return Answer(200, {"ok": True})

    def _delete_canvas(self, args: dict) -> Answer:
        with self._cond:
            if self._canvases.pop(args.get("canvas_id"), None) is None:
                return api_error("canvas_not_found")
        return Answer(200, {"ok": True})
