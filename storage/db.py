"""Engine and session factory: the only place that knows how to reach the database."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str) -> Engine:
    # hide_parameters keeps entry text out of error messages, and so out of logs.
    if database_url.startswith("sqlite"):
        # Listener threads share the engine; wait for a busy SQLite file instead of failing.
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 2},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
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


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
