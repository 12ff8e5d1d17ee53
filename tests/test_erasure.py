"""storage/erasure.py against a real migrated database: one person's data, or one workspace's, and nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from storage.db import make_engine, make_session_factory
from storage.erasure import TOKEN_TABLES, delete_person_data, delete_workspace_data, workspace_tables
from storage.models import (
    Acknowledgement,
    ActionItem,
    Base,
    Delivery,
    Digest,
    Entry,
    PendingImport,
    Person,
    WorkspaceSettings,
)
from storage.repository import acknowledgements as acknowledgement_store
from storage.repository import deliveries as delivery_store
from storage.repository import digests as digest_store
from storage.repository import entries as entry_store
from storage.repository import imports as import_store
from storage.repository import people as person_store
from storage.repository import trackers as tracker_store
from storage.repository import workspaces as workspace_store
from storage.types import EntryFields, Workspace

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
E1_T1 = Workspace("E1", "T1")
NO_ENTERPRISE_T1 = Workspace("", "T1")
E1_T2 = Workspace("E1", "T2")
WORKSPACES = (E1_T1, NO_ENTERPRISE_T1, E1_T2)


@pytest.fixture
def session_factory(database_url):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def fill(session_factory, ws: Workspace, user: str, *, fans: tuple[str, ...] = ()) -> int:
    """A shared entry with two action items, carried by a digest and thanked by `fans`, plus the
    person's prompt settings and a ledger record, and the workspace's settings."""
    with session_factory.begin() as session:
        fields = EntryFields(
            what_happened=f"{ws.enterprise_id}/{ws.team_id}/{user}",
            lesson="A lesson",
            category="engineering",
            happened_on=date(2024, 2, 1),
            safeguards=("tests",),
            action_items=("One", "Two"),
            visibility="named",
        )
        entry = entry_store.add_entry(session, ws, user, fields, NOW)
        digest = digest_store.claim_for_digest(session, ws, [entry.id], "CRETRO", NOW)
        digest.message_ts = "1700000000.000100"
        for fan in fans:
            acknowledgement_store.add_acknowledgement(session, entry.id, fan, NOW)
        person_store.save_person_choice(session, ws, user, NOW, prompts_stopped=True, language="ko")
        import_store.add_pending_import(session, ws, user, "## 2024\n- Lost the backups", NOW)
        assert delivery_store.claim_delivery(session, ws, user, "reflection_prompt", "2024-02", NOW)
        if session.get(WorkspaceSettings, (ws.enterprise_id, ws.team_id)) is None:
            workspace_store.save_settings(session, ws, user, NOW, retro_channel="CRETRO")
            tracker_store.save_connection(session, ws, kind="github", target="acme/ops", secret="sealed",
                                          connected_by=user, connected_at=NOW)  # fmt: skip
        return entry.id


@pytest.fixture
def crowd(session_factory) -> dict[tuple[Workspace, str], int]:
    """U1 and U2 in each of three workspaces that share a team id or an enterprise id; each thanks the other."""
    return {
        (ws, user): fill(session_factory, ws, user, fans=("U2",) if user == "U1" else ("U1", "U3"))
        for ws in WORKSPACES
        for user in ("U1", "U2")
    }


def rows(session_factory) -> dict[str, set]:
    with session_factory() as session:
        return {
            "entries": {(e.id, e.enterprise_id, e.team_id, e.user_id) for e in session.scalars(select(Entry))},
            "action_items": {(i.id, i.entry_id) for i in session.scalars(select(ActionItem))},
            "acknowledgements": {(a.entry_id, a.user_id) for a in session.scalars(select(Acknowledgement))},
            "digests": {(d.id, d.enterprise_id, d.team_id) for d in session.scalars(select(Digest))},
            "deliveries": {(d.enterprise_id, d.team_id, d.recipient) for d in session.scalars(select(Delivery))},
            "people": {(p.enterprise_id, p.team_id, p.user_id) for p in session.scalars(select(Person))},
            "pending_imports": {
                (p.enterprise_id, p.team_id, p.user_id) for p in session.scalars(select(PendingImport))
            },
            "workspace_settings": {
                (s.enterprise_id, s.team_id, s.updated_by) for s in session.scalars(select(WorkspaceSettings))
            },
        }


def test_delete_person_data_removes_everything_of_that_person_in_that_workspace_only(session_factory, crowd):
    before = rows(session_factory)
    mine, theirs = crowd[(E1_T1, "U1")], crowd[(E1_T1, "U2")]
    with session_factory.begin() as session:
        counts = delete_person_data(session, E1_T1, "U1")
    assert counts == {
        "acknowledgements_received": 1,  # U2's on U1's entry
        "acknowledgements_given": 1,  # U1's on U2's entry here; the ones in other workspaces stay
        "action_items": 2,
        "entries": 1,
        "deliveries": 1,
        "pending_imports": 1,
        "people": 1,
        "tracker_connected_by": 1,  # U1 connected this workspace's tracker, which stays connected
        "settings_changed_by": 1,  # U1 saved this workspace's settings
    }
    after = rows(session_factory)
    assert after["entries"] == {e for e in before["entries"] if e[0] != mine}
    assert after["action_items"] == {i for i in before["action_items"] if i[1] != mine}
    assert after["acknowledgements"] == before["acknowledgements"] - {(mine, "U2"), (theirs, "U1")}
    assert after["deliveries"] == before["deliveries"] - {("E1", "T1", "U1")}
    assert after["people"] == before["people"] - {("E1", "T1", "U1")}
    assert after["pending_imports"] == before["pending_imports"] - {("E1", "T1", "U1")}
    assert after["digests"] == before["digests"]  # posted digests stay; nothing in them is edited
    # The settings stay; only who last changed them is forgotten.
    assert after["workspace_settings"] == before["workspace_settings"] - {("E1", "T1", "U1")} | {("E1", "T1", None)}


def test_delete_person_data_twice_removes_nothing_more(session_factory, crowd):
    with session_factory.begin() as session:
        delete_person_data(session, NO_ENTERPRISE_T1, "U2")
    before = rows(session_factory)
    with session_factory.begin() as session:
        counts = delete_person_data(session, NO_ENTERPRISE_T1, "U2")
    assert set(counts.values()) == {0}
    assert rows(session_factory) == before


def test_delete_workspace_data_removes_one_workspace_in_every_table(session_factory, crowd):
    before = rows(session_factory)
    gone = {crowd[(E1_T1, "U1")], crowd[(E1_T1, "U2")]}
    with session_factory.begin() as session:
        counts = delete_workspace_data(session, E1_T1)
    assert counts["entries"] == 2 and counts["action_items"] == 4 and counts["acknowledgements"] == 3
    assert counts["digests"] == 2 and counts["deliveries"] == 2 and counts["people"] == 2
    assert counts["workspace_settings"] == 1 and counts["pending_imports"] == 2
    assert counts["tracker_connections"] == 1
    after = rows(session_factory)
    assert after == {
        "entries": {e for e in before["entries"] if e[0] not in gone},
        "action_items": {i for i in before["action_items"] if i[1] not in gone},
        "acknowledgements": {a for a in before["acknowledgements"] if a[0] not in gone},
        "digests": {d for d in before["digests"] if d[1:] != ("E1", "T1")},
        "deliveries": {d for d in before["deliveries"] if d[:2] != ("E1", "T1")},
        "people": {p for p in before["people"] if p[:2] != ("E1", "T1")},
        "pending_imports": {p for p in before["pending_imports"] if p[:2] != ("E1", "T1")},
        "workspace_settings": {s for s in before["workspace_settings"] if s[:2] != ("E1", "T1")},
    }


def test_delete_workspace_data_covers_every_table_that_names_a_workspace(session_factory, crowd):
    """A table added later with enterprise and team columns is emptied for the workspace too."""
    named = {"entries", "digests", "deliveries", "people", "pending_imports", "workspace_settings", "uninstalls"}
    named |= {"outbox", "lessons_canvases", "tracker_connections"}  # a purge takes the tracker's sealed token too
    # A new table with workspace columns lands here: decide whether a purge empties it, then list it.
    assert {t.name for t in workspace_tables()} == named
    with session_factory.begin() as session:
        counts = delete_workspace_data(session, NO_ENTERPRISE_T1)
    assert named <= set(counts)
    with session_factory() as session:
        for table in workspace_tables():
            left = session.scalar(
                select(func.count()).select_from(table).where(table.c.team_id == "T1", table.c.enterprise_id == "")
            )
            assert left == 0, table.name
            others = session.scalar(select(func.count()).select_from(table).where(table.c.team_id != "T1"))
            if table.name in ("entries", "digests", "deliveries", "people", "workspace_settings"):
                assert others > 0, table.name


def test_delete_workspace_data_needs_a_team(session_factory, crowd):
    before = rows(session_factory)
    with pytest.raises(ValueError), session_factory.begin() as session:
        delete_workspace_data(session, Workspace("E1", ""))
    assert rows(session_factory) == before


def test_erasure_never_commits(session_factory, crowd):
    before = rows(session_factory)
    with session_factory() as session:
        delete_person_data(session, E1_T1, "U1")
        delete_workspace_data(session, E1_T2)
        session.rollback()
    assert rows(session_factory) == before


@pytest.mark.skipif("slack_installations" not in Base.metadata.tables, reason="no installation store tables")
def test_delete_workspace_data_leaves_the_token_tables_to_the_uninstall(session_factory):
    """Tokens go when the app is removed; a later purge must not take a reinstall's new ones."""
    table = Base.metadata.tables["slack_bots"]
    bot = {
        "client_id": "1111.2222",
        "app_id": "A0001",
        "enterprise_id": None,
        "team_id": "T1",
        "bot_token": "xoxb-new",
        "is_enterprise_install": False,
        "installed_at": datetime(2024, 1, 1),
    }
    with session_factory.begin() as session:
        session.execute(table.insert(), [bot])
    with session_factory.begin() as session:
        counts = delete_workspace_data(session, NO_ENTERPRISE_T1)
    assert not TOKEN_TABLES & set(counts)
    with session_factory() as session:
        assert session.execute(select(table.c.team_id, table.c.bot_token)).all() == [("T1", "xoxb-new")]
