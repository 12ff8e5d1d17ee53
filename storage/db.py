"""Engine and session factory: the only place that knows how to reach the database."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import nullcontext

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

# What callers open their units of work with: `with sf.begin() as session:`.
SessionFactory = sessionmaker[Session]

# How long a write waits for another connection's before it fails ("database is locked").
SQLITE_BUSY_SECONDS = 2


def make_engine(database_url: str, acknowledges: bool = True) -> Engine:
    """`acknowledges`: this process's commits stand behind an ack (the web process). A SQLite commit
    then reaches the disk before it returns. A worker's need not: in WAL mode a commit survives any
    crash of the process, and a power cut can only take the last commits, in order, so a follow-up
    whose work was lost was not yet deleted either and runs again. Its commits then hold SQLite's one
    write lock for far less time, and the web process's writes wait less behind them."""
    # hide_parameters keeps entry text out of error messages, and so out of logs.
    if database_url.startswith("sqlite"):
        # Listener threads share the engine; wait for a busy SQLite file instead of failing.
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if not acknowledges:
            event.listen(engine, "connect", _sqlite_commits_without_sync)
        _OneWriterAtATime().watch(engine)
        return engine
    # Fail fast when the server is down so a person hears about it within Slack's patience.
    return create_engine(
        database_url,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"connect_timeout": 2, "options": "-c statement_timeout=10000"},
        hide_parameters=True,
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        pass  # another connection is switching the file to WAL right now; the mode is the file's
    cursor.close()


def _sqlite_commits_without_sync(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # WAL: synced at each checkpoint instead


class _OneWriterAtATime:
    """SQLite lets one connection write at a time; the others poll the file with growing sleeps (up
    to 100 ms each), so a burst of writes from one process's threads waits far longer than the writes
    take. Within a process, a transaction's first write waits on a lock instead, and wakes the moment
    the writer before it commits or rolls back; as long as SQLite would have waited, then it fails as
    SQLite would. Reads are never held (WAL). A plain lock, not a reentrant one: a connection may be
    given back to the pool from another thread."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self.before_write)
        for done in ("commit", "rollback"):
            event.listen(engine, done, lambda connection: self.done(connection.info))
        event.listen(engine.pool, "reset", lambda _dbapi, record, _state: self.done(record.info))
        for gone in ("checkin", "close"):
            event.listen(engine.pool, gone, lambda _dbapi, record: self.done(record.info))
        event.listen(engine.pool, "invalidate", lambda _dbapi, record, _error: self.done(record.info))

    def before_write(self, connection, _cursor, statement: str, *_) -> None:
        if "writing" not in connection.info and statement.lstrip()[:7].upper().startswith(self.WRITES):
            if not self.lock.acquire(timeout=SQLITE_BUSY_SECONDS):
                raise sqlite3.OperationalError("database is locked")
            connection.info["writing"] = True

    def done(self, info: dict) -> None:
        if info.pop("writing", False):
            self.lock.release()


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


class OneSession:
    """A session factory whose every session is one open transaction's: a service's own `with
    sf.begin()` then joins it rather than committing by itself."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __call__(self):
        return nullcontext(self._session)

    def begin(self):
        return nullcontext(self._session)
