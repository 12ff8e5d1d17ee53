"""Repository functions against a real migrated database, and the migrations themselves."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import SAWarning

from storage.db import make_engine, make_session_factory
from storage.migrate import alembic_config, upgrade_to_head
from storage.models import ActionItem, Base, Entry, WorkspaceSettings
from storage.repository import entries as entry_store
from storage.repository import outbox as outbox_store
from storage.repository import workspaces as workspace_store
from storage.types import EntryFields, Workspace

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SEOUL = timezone(timedelta(hours=9))

E1_T1 = Workspace("E1", "T1")
NO_ENTERPRISE_T1 = Workspace("", "T1")
E1_T2 = Workspace("E1", "T2")


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    return make_session_factory(engine)


def fields(
    what: str = "Broke the build",
    *,
    lesson: str | None = "Run the tests first",
    visibility: str = "private",
    action_items: tuple[str, ...] = (),
    happened_on: date = date(2024, 2, 1),
    **extra,
) -> EntryFields:
    return EntryFields(
        what_happened=what,
        lesson=lesson,
        category="engineering",
        happened_on=happened_on,
        safeguards=("tests",),
        action_items=action_items,
        visibility=visibility,
        **extra,
    )


def add(session_factory, ws: Workspace, user: str, what: str, **kwargs) -> int:
    with session_factory.begin() as session:
        return entry_store.add_entry(session, ws, user, fields(what, **kwargs), NOW).id


# -- tenancy ------------------------------------------------------------------------------


@pytest.fixture
def four_owners(session_factory):
    """One entry per (workspace, user) that must stay invisible to every other pair."""
    owners = {
        (E1_T1, "U1"): add(session_factory, E1_T1, "U1", "E1/T1/U1 mistake", lesson=None),
        (NO_ENTERPRISE_T1, "U1"): add(session_factory, NO_ENTERPRISE_T1, "U1", "-/T1/U1 mistake"),
        (E1_T2, "U1"): add(session_factory, E1_T2, "U1", "E1/T2/U1 mistake"),
        (E1_T1, "U2"): add(session_factory, E1_T1, "U2", "E1/T1/U2 mistake"),
    }
    assert len(set(owners.values())) == 4
    return owners


def test_list_entries_sees_only_the_owners_own_entries(session_factory, four_owners):
    with session_factory() as session:
        for (ws, user), entry_id in four_owners.items():
            assert [e.id for e in entry_store.list_entries(session, ws, user)] == [entry_id]
        assert entry_store.list_entries(session, Workspace("E2", "T1"), "U1") == []
        assert entry_store.list_entries(session, Workspace("", "T2"), "U1") == []


def test_get_own_entry_refuses_other_workspaces_and_people(session_factory, four_owners):
    with session_factory() as session:
        for (ws, user), own_id in four_owners.items():
            for other_id in four_owners.values():
                found = entry_store.get_own_entry(session, ws, user, other_id)
                if other_id == own_id:
                    assert found is not None and found.id == own_id
                else:
                    assert found is None, f"{ws}/{user} can read entry {other_id}"


def test_count_entries_counts_only_the_owners_entries(session_factory, four_owners):
    add(session_factory, E1_T1, "U1", "second, with a lesson")
    with session_factory() as session:
        assert entry_store.count_entries(session, E1_T1, "U1") == (2, 1)
        assert entry_store.count_entries(session, NO_ENTERPRISE_T1, "U1") == (1, 1)
        assert entry_store.count_entries(session, E1_T2, "U1") == (1, 1)
        assert entry_store.count_entries(session, E1_T1, "U2") == (1, 1)
        assert entry_store.count_entries(session, Workspace("", "T2"), "U1") == (0, 0)


def test_delete_entry_cannot_delete_someone_elses_entry(session_factory, four_owners):
    for (ws, user), own_id in four_owners.items():
        for other_id in four_owners.values():
            if other_id == own_id:
                continue
            with session_factory.begin() as session:
                assert entry_store.delete_entry(session, ws, user, other_id) is False
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 4


def test_delete_entry_removes_the_entry_and_its_action_items(session_factory, four_owners):
    entry_id = add(session_factory, E1_T1, "U1", "with items", action_items=("one", "two"))
    with session_factory.begin() as session:
        assert entry_store.delete_entry(session, E1_T1, "U1", entry_id) is True
    with session_factory() as session:
        assert session.get(Entry, entry_id) is None
        assert session.scalar(select(func.count()).select_from(ActionItem)) == 0
        assert session.scalar(select(func.count()).select_from(Entry)) == 4


def test_delete_entry_deletes_each_row_once(session_factory):
    """No row is deleted twice (a bulk DELETE and then the ORM cascade): SQLAlchemy warns when that happens."""
    entry_id = add(session_factory, E1_T1, "U1", "with items", action_items=("one", "two"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        with session_factory.begin() as session:
            assert entry_store.delete_entry(session, E1_T1, "U1", entry_id) is True


def test_request_key_lookup_is_scoped_to_the_owner(session_factory):
    with session_factory.begin() as session:
        entry_store.add_entry(session, E1_T1, "U1", fields("keyed"), NOW, request_key="view:V1")
    with session_factory() as session:
        assert entry_store.get_entry_by_request_key(session, E1_T1, "U1", "view:V1").what_happened == "keyed"
        assert entry_store.get_entry_by_request_key(session, E1_T1, "U2", "view:V1") is None
        assert entry_store.get_entry_by_request_key(session, NO_ENTERPRISE_T1, "U1", "view:V1") is None


def test_list_entries_filters_by_year_newest_first(session_factory):
    old = add(session_factory, E1_T1, "U1", "old", happened_on=date(2021, 5, 4))
    new = add(session_factory, E1_T1, "U1", "new", happened_on=date(2024, 2, 1))
    newer_same_year = add(session_factory, E1_T1, "U1", "newer", happened_on=date(2024, 6, 1))
    with session_factory() as session:
        assert [e.id for e in entry_store.list_entries(session, E1_T1, "U1")] == [newer_same_year, new, old]
        assert [e.id for e in entry_store.list_entries(session, E1_T1, "U1", 2021)] == [old]
        assert entry_store.list_entries(session, E1_T1, "U1", 1999) == []


def test_settings_are_per_workspace(session_factory):
    with session_factory.begin() as session:
        workspace_store.save_settings(session, E1_T1, "UADMIN", NOW, default_visibility="named", prompt_day=5)
    with session_factory() as session:
        assert workspace_store.get_settings(session, E1_T1).default_visibility == "named"
        other = workspace_store.get_settings(session, NO_ENTERPRISE_T1)
        assert (other.default_visibility, other.prompt_day, other.digest_cadence) == ("private", 0, "monthly")
        assert session.scalar(select(func.count()).select_from(WorkspaceSettings)) == 1


# -- timestamps ---------------------------------------------------------------------------


def in_a_non_utc_session(session) -> None:
    """A database server set to local time (PostgreSQL answers in the session's zone); SQLite has none."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TIME ZONE 'Asia/Seoul'"))


def test_timestamps_read_back_tz_aware_utc(session_factory):
    written = datetime(2024, 3, 2, 8, 30, 15, tzinfo=SEOUL)  # 2024-03-01 23:30:15 UTC
    with session_factory.begin() as session:
        entry = entry_store.add_entry(
            session, E1_T1, "U1", fields(visibility="anonymous", action_items=("x",)), written
        )
        entry.action_items[0].done_at = written
        entry_id = entry.id
    with session_factory() as session:
        in_a_non_utc_session(session)
        entry = session.get(Entry, entry_id)
        for value in (entry.created_at, entry.shared_at, entry.updated_at, entry.action_items[0].done_at):
            assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert entry.created_at == written and entry.shared_at == written
        assert entry.created_at.hour == 23 and entry.created_at.day == 1
        assert entry.action_items[0].done_at == written


def test_settings_timestamp_reads_back_tz_aware_utc(session_factory):
    with session_factory.begin() as session:
        workspace_store.save_settings(session, E1_T1, "UADMIN", datetime(2024, 1, 1, 9, tzinfo=SEOUL))
    with session_factory() as session:
        in_a_non_utc_session(session)
        updated = workspace_store.get_settings(session, E1_T1).updated_at
        assert updated.utcoffset() == timedelta(0)
        assert updated == datetime(2024, 1, 1, 0, tzinfo=UTC)


# -- apply_fields and set_visibility --------------------------------------------------------


def _items(session_factory, entry_id: int) -> list[tuple[int, str, int, datetime | None]]:
    with session_factory() as session:
        entry = session.get(Entry, entry_id)
        return [(i.id, i.text, i.position, i.done_at) for i in entry.action_items]


def test_apply_fields_keeps_rows_of_unchanged_action_items(session_factory):
    entry_id = add(session_factory, E1_T1, "U1", "items", action_items=("alpha", "beta", "gamma"))
    done = datetime(2024, 3, 5, tzinfo=UTC)
    with session_factory.begin() as session:
        session.get(Entry, entry_id).action_items[0].done_at = done
    before = {text: item_id for item_id, text, _pos, _done in _items(session_factory, entry_id)}

    with session_factory.begin() as session:
        entry = session.get(Entry, entry_id)
        entry_store.apply_fields(entry, fields("items", action_items=("gamma", "delta", "alpha")), NOW)

    after = _items(session_factory, entry_id)
    assert [(text, position) for _id, text, position, _done in after] == [("gamma", 0), ("delta", 1), ("alpha", 2)]
    by_text = {text: (item_id, done_at) for item_id, text, _pos, done_at in after}
    assert by_text["alpha"] == (before["alpha"], done)  # same row, still done
    assert by_text["gamma"][0] == before["gamma"]
    assert by_text["delta"][0] not in before.values()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ActionItem)) == 3  # "beta" removed


def test_apply_fields_keeps_repeated_action_items(session_factory):
    entry_id = add(session_factory, E1_T1, "U1", "items", action_items=("same", "same", "other"))
    assert [text for _id, text, _p, _d in _items(session_factory, entry_id)] == ["same", "same", "other"]
    with session_factory.begin() as session:
        entry = session.get(Entry, entry_id)
        entry_store.apply_fields(entry, fields("edited", action_items=("same", "same", "other")), NOW)
    assert [(text, position) for _id, text, position, _d in _items(session_factory, entry_id)] == [
        ("same", 0),
        ("same", 1),
        ("other", 2),
    ]


def test_apply_fields_updates_every_field(session_factory):
    entry_id = add(session_factory, E1_T1, "U1", "before")
    new = EntryFields(
        what_happened="after",
        lesson=None,
        category="data",
        happened_on=date(2020, 1, 2),
        safeguards=("runbook", "kill_switch"),
        action_items=(),
        visibility="named",
        source_link="https://example.slack.com/archives/C1/p1",
    )
    with session_factory.begin() as session:
        entry_store.apply_fields(session.get(Entry, entry_id), new, NOW)
    with session_factory() as session:
        entry = session.get(Entry, entry_id)
        assert (entry.what_happened, entry.lesson, entry.category, entry.happened_on) == (
            "after",
            None,
            "data",
            date(2020, 1, 2),
        )
        assert entry.safeguards == ["runbook", "kill_switch"]
        assert (entry.visibility, entry.source_link) == ("named", "https://example.slack.com/archives/C1/p1")


def test_set_visibility_sets_and_clears_shared_at(session_factory):
    entry_id = add(session_factory, E1_T1, "U1", "private at first")
    first, second = NOW + timedelta(days=1), NOW + timedelta(days=2)
    with session_factory() as session:
        assert session.get(Entry, entry_id).shared_at is None

    with session_factory.begin() as session:
        entry_store.set_visibility(session.get(Entry, entry_id), "anonymous", first)
    with session_factory() as session:
        entry = session.get(Entry, entry_id)
        assert (entry.visibility, entry.shared_at) == ("anonymous", first)

    with session_factory.begin() as session:
        entry_store.set_visibility(session.get(Entry, entry_id), "private", second)
    with session_factory() as session:
        entry = session.get(Entry, entry_id)
        assert (entry.visibility, entry.shared_at) == ("private", None)

    with session_factory.begin() as session:
        entry_store.set_visibility(session.get(Entry, entry_id), "named", second)
    with session_factory() as session:
        assert session.get(Entry, entry_id).shared_at == second


def test_a_new_shared_entry_gets_shared_at_and_a_private_one_does_not(session_factory):
    shared = add(session_factory, E1_T1, "U1", "shared", visibility="named")
    private = add(session_factory, E1_T1, "U1", "private")
    with session_factory() as session:
        assert session.get(Entry, shared).shared_at == NOW
        assert session.get(Entry, private).shared_at is None


def test_repository_functions_do_not_commit(session_factory):
    with session_factory() as session:
        entry_store.add_entry(session, E1_T1, "U1", fields("rolled back"), NOW)
        workspace_store.save_settings(session, E1_T1, "UADMIN", NOW, default_visibility="named")
        session.rollback()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 0
        assert session.scalar(select(func.count()).select_from(WorkspaceSettings)) == 0


# -- migrations ---------------------------------------------------------------------------


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_migrations_produce_exactly_the_models_schema(engine):
    assert schema_differences(engine) == []


def test_migrations_have_a_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_downgrade_to_base_then_upgrade_to_head(database_url, engine):
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    engine.dispose()
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()

    upgrade_to_head(database_url)
    engine.dispose()
    assert {"entries", "action_items", "workspace_settings"} <= set(inspect(engine).get_table_names())
    assert schema_differences(engine) == []
    session_factory = make_session_factory(engine)
    entry_id = add(session_factory, E1_T1, "U1", "after a round trip", action_items=("works",))
    assert [text for _id, text, _p, _d in _items(session_factory, entry_id)] == ["works"]


def test_follow_ups_promised_under_their_old_name_keep_their_work_across_the_rename(database_url, engine):
    """Migration 0012: an outbox row a deployed app wrote as "welcome_entry" is run as "nice_job"."""
    config = alembic_config(database_url)
    command.downgrade(config, "0011")
    session_factory = make_session_factory(engine)
    with session_factory.begin() as session:
        outbox_store.add_follow_up(session, E1_T1, "welcome_entry", {"user_id": "U1", "entry_id": 1}, 10)
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT task, arguments FROM outbox")).one()[0] == "nice_job"
    command.downgrade(config, "0011")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT task FROM outbox")).scalar_one() == "welcome_entry"
    command.upgrade(config, "head")


def test_the_lessons_canvas_table_comes_with_migration_0013_and_goes_with_its_downgrade(database_url, engine):
    config = alembic_config(database_url)
    command.downgrade(config, "0012")
    engine.dispose()
    assert "lessons_canvases" not in inspect(engine).get_table_names()
    command.upgrade(config, "head")
    engine.dispose()
    assert "lessons_canvases" in inspect(engine).get_table_names()
    assert schema_differences(engine) == []


def test_a_year_only_entry_given_its_day_in_the_form_knows_it(session_factory):
    fields = EntryFields("Missed it", None, "career", date(2019, 1, 1), (), (), "private")
    with session_factory.begin() as session:
        entry = entry_store.add_entry(session, Workspace("", "T1"), "U1", fields, NOW)
        entry.day_known = False
        entry_store.apply_fields(entry, fields, NOW)  # saved again as it was: still only its year
        assert entry.day_known is False
        entry_store.apply_fields(
            entry, EntryFields("Missed it", None, "career", date(2019, 3, 4), (), (), "private"), NOW
        )
        assert entry.day_known is True


def test_sqlite_writers_of_one_process_take_turns_and_a_failed_one_lets_the_next_in(tmp_path):
    """Writes from many threads all land; a transaction that fails mid-way gives its turn up; a
    second writer on the same thread fails as SQLite itself would, rather than waiting forever."""
    import threading

    from sqlalchemy.exc import OperationalError

    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))

    def write(n: int) -> None:
        for i in range(20):
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n * 100 + i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with pytest.raises(RuntimeError):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (-1)"))
            raise RuntimeError("the transaction fails after its first write")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (-2)"))
        with pytest.raises(OperationalError, match="locked"), engine.begin() as other:
            other.execute(text("INSERT INTO t VALUES (-3)"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t WHERE n < 0")).scalars().all() == [-2]
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 16 * 20 + 1
    engine.dispose()


def test_sqlite_commits_of_the_process_that_acks_reach_the_disk_and_a_workers_wait_for_the_checkpoint(tmp_path):
    url = f"sqlite:///{tmp_path / 'sync.db'}"
    for acknowledges, expected in ((True, 2), (False, 1)):  # FULL, NORMAL
        engine = make_engine(url, acknowledges)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == expected
        engine.dispose()


def test_a_quick_entrys_single_insert_stores_what_the_orm_path_would(session_factory):
    """`add_words` skips the ORM's unit of work for speed: its row must be the one `add_entry` makes of
    the same words (on PostgreSQL too: CI runs this file there)."""
    words = "Deployed on a Friday 🙈 <!channel> 금요일 배포"
    fields = EntryFields(words, None, "other", date(2024, 3, 1), (), (), "private")
    with session_factory.begin() as session:
        by_orm = entry_store.add_entry(session, E1_T1, "U1", fields, NOW, request_key="orm").id
        by_insert = entry_store.add_words(session, E1_T1, "U1", words, date(2024, 3, 1), NOW, "insert")
    with session_factory() as session:
        columns = [c.key for c in inspect(Entry).columns if c.key not in ("id", "request_key", "updated_at")]
        rows = {i: session.get(Entry, i) for i in (by_orm, by_insert)}
        stored = {i: {c: getattr(entry, c) for c in columns} for i, entry in rows.items()}
        assert stored[by_insert] == stored[by_orm]
        assert rows[by_insert].updated_at > NOW  # the moment of the write (not the request's clock), as for any entry
