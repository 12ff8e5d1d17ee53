"""A workspace's settings as admins chose them, with their defaults. Each operation one unit of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from storage.db import SessionFactory
from storage.models import WorkspaceSettings
from storage.repository import canvases as canvas_store
from storage.repository import workspaces as workspace_store
from storage.types import Workspace


def workspace_settings(sf: SessionFactory, ws: Workspace) -> WorkspaceSettings:
    with sf() as session:
        return workspace_store.get_settings(session, ws)


def lessons_canvas_state(sf: SessionFactory, ws: Workspace) -> tuple[str | None, str | None]:
    """The channel whose lessons canvas is kept up to date (or None), and why there is none (or None)."""
    with sf() as session:
        canvas = canvas_store.get_lessons_canvas(session, ws)
        if canvas is None:
            return None, None
        return (canvas.channel if canvas.canvas_id and not canvas.problem else None), canvas.problem


def default_visibility(sf: SessionFactory, ws: Workspace) -> str:
    """The workspace default, or 'private' when the database is unreachable: the modal still opens."""
    try:
        return workspace_settings(sf, ws).default_visibility
    except SQLAlchemyError:
        return "private"


def save_workspace_settings(sf: SessionFactory, ws: Workspace, user_id: str, values: dict, now: datetime) -> None:
    with sf.begin() as session:
        workspace_store.save_settings(session, ws, user_id, now, **values)
