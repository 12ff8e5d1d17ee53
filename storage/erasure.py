"""Deleting data for good: everything of one person in one workspace, or everything of one workspace.

Like the repository, each function takes the caller's session, never commits, and returns how many
rows it removed per kind, so that callers can tell people (and logs) what was done without any text.
"""

from __future__ import annotations

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from storage.models import (
    Acknowledgement,
    ActionItem,
    Base,
    Delivery,
    Entry,
    PendingImport,
    Person,
    TrackerConnection,
    WorkspaceSettings,
)
from storage.types import Workspace


def _is_workspace(columns, ws: Workspace) -> tuple:
    """`columns`: a model, or a table's `.c`; both name a row's workspace the same way."""
    return (columns.enterprise_id == ws.enterprise_id, columns.team_id == ws.team_id)


def _rows(session: Session, statement) -> int:
    return session.execute(statement, execution_options={"synchronize_session": False}).rowcount or 0


def delete_person_data(session: Session, ws: Workspace, user_id: str) -> dict[str, int]:
    """Every entry of `user_id` in `ws` with its action items and the Nice jobs it received, the Nice
    jobs they gave to entries of `ws`, their delivery-ledger records, imports awaiting their yes and
    their own choices (prompts, language).
    The same user id in another workspace, and everyone else here, keep all of theirs."""
    in_workspace = _is_workspace(Entry, ws)
    theirs = select(Entry.id).where(*in_workspace, Entry.user_id == user_id)
    workspace_entries = select(Entry.id).where(*in_workspace)
    return {
        "acknowledgements_received": _rows(
            session, delete(Acknowledgement).where(Acknowledgement.entry_id.in_(theirs))
        ),
        "acknowledgements_given": _rows(
            session,
            delete(Acknowledgement).where(
                Acknowledgement.user_id == user_id, Acknowledgement.entry_id.in_(workspace_entries)
            ),
        ),
        "action_items": _rows(session, delete(ActionItem).where(ActionItem.entry_id.in_(theirs))),
        "entries": _rows(session, delete(Entry).where(*in_workspace, Entry.user_id == user_id)),
        "deliveries": _rows(
            session, delete(Delivery).where(*_is_workspace(Delivery, ws), Delivery.recipient == user_id)
        ),
        "pending_imports": _rows(
            session, delete(PendingImport).where(*_is_workspace(PendingImport, ws), PendingImport.user_id == user_id)
        ),
        "people": _rows(session, delete(Person).where(*_is_workspace(Person, ws), Person.user_id == user_id)),
        # A tracker an admin connected stays connected for the team, without their user id.
        "tracker_connected_by": _rows(
            session,
            update(TrackerConnection)
            .where(*_is_workspace(TrackerConnection, ws), TrackerConnection.connected_by == user_id)
            .values(connected_by=""),
        ),
        # An admin's user id is the only trace left in the workspace's settings.
        "settings_changed_by": _rows(
            session,
            update(WorkspaceSettings)
            .where(*_is_workspace(WorkspaceSettings, ws), WorkspaceSettings.updated_by == user_id)
            .values(updated_by=None),
        ),
    }


# slack_sdk's token tables: tokens go at uninstall (storage.installations.forget_tokens), and a purge
# after the grace period must never take the tokens of a reinstall.
TOKEN_TABLES = frozenset({"slack_bots", "slack_installations"})


def workspace_tables() -> list[Table]:
    """Every table of our data that names its workspace, the ones that refer to others first."""
    return [
        table
        for table in reversed(Base.metadata.sorted_tables)
        if "enterprise_id" in table.c and "team_id" in table.c and table.name not in TOKEN_TABLES
    ]


def delete_workspace_data(session: Session, ws: Workspace) -> dict[str, int]:
    """Everything of one workspace, in every table that has enterprise and team columns (counted
    by table name), plus the action items and acknowledgements of its entries."""
    if not ws.team_id:
        raise ValueError("a workspace to delete needs its team id")
    entries = select(Entry.id).where(*_is_workspace(Entry, ws))
    counts = {
        "acknowledgements": _rows(session, delete(Acknowledgement).where(Acknowledgement.entry_id.in_(entries))),
        "action_items": _rows(session, delete(ActionItem).where(ActionItem.entry_id.in_(entries))),
    }
    for table in workspace_tables():
        counts[table.name] = _rows(session, delete(table).where(*_is_workspace(table.c, ws)))
    return counts
