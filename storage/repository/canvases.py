"""The lessons canvas a workspace keeps in its retro channel: its id, or why there is none.
Session first; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.models import LessonsCanvas
from storage.types import Workspace


def get_lessons_canvas(session: Session, ws: Workspace) -> LessonsCanvas | None:
    return session.get(LessonsCanvas, (ws.enterprise_id, ws.team_id))


def save_lessons_canvas(
    session: Session, ws: Workspace, now: datetime, *, canvas_id: str | None, channel: str | None, problem: str | None
) -> LessonsCanvas:
    """The canvas kept (with the channel it is in), or none and why."""
    canvas = get_lessons_canvas(session, ws)
    if canvas is None:
        canvas = LessonsCanvas(**ws.columns())
        session.add(canvas)
    canvas.canvas_id, canvas.channel, canvas.problem, canvas.updated_at = canvas_id, channel, problem, now
    session.flush()
    return canvas
