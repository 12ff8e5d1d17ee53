"""Readiness: whether this process could do its work now, asked of the database and the queue at their
configured addresses over new connections.

A connection already open to SQLite keeps working after its file is moved away, and a pooled
PostgreSQL connection may outlive the server's address: so neither the app's engine nor Huey's own
connections are asked. Each probe opens a connection of its own, with a short timeout, and closes it."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from bot.settings import Settings
from storage.db import database_answers

# A probe that takes longer than this counts as an answer of "no".
PROBE_TIMEOUT_SECONDS = 2
# A burst of probes (several load balancers, a dashboard) asks the servers at most once a second.
CACHE_SECONDS = 1.0


def sqlite_answers(path: str) -> bool:
    """The file is there and holds a migrated database: `mode=rw` never creates a missing file."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=PROBE_TIMEOUT_SECONDS)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return True
        finally:
            connection.close()
    except sqlite3.Error:
        return False


def database_probe(database_url: str) -> Callable[[], bool]:
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        return lambda: sqlite_answers(path)
    # NullPool: every probe connects anew, to the address in DATABASE_URL.
    engine = create_engine(
        database_url,
        poolclass=NullPool,
        connect_args={"connect_timeout": PROBE_TIMEOUT_SECONDS, "options": "-c statement_timeout=2000"},
        hide_parameters=True,
    )
    return lambda: database_answers(engine)


def redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=PROBE_TIMEOUT_SECONDS, socket_timeout=PROBE_TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


def queue_probe(settings: Settings) -> Callable[[], bool]:
    if settings.redis_url:
        url = settings.redis_url
        return lambda: redis_answers(url)
    # Huey creates its file (and its tables) when the process builds its queue, before it serves.
    path = settings.queue_file
    return lambda: sqlite_answers(path)


class Readiness:
    """`check()` -> {"database": bool, "queue": bool}, asked at most once per CACHE_SECONDS."""

    def __init__(self, probes: dict[str, Callable[[], bool]], cache_seconds: float = CACHE_SECONDS) -> None:
        self.probes, self.cache_seconds = probes, cache_seconds
        self._lock = threading.Lock()
        self._last: tuple[float, dict[str, bool]] | None = None

    @classmethod
    def of(cls, settings: Settings) -> Readiness:
        return cls({"database": database_probe(settings.database_url), "queue": queue_probe(settings)})

    def check(self) -> dict[str, bool]:
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last[0] < self.cache_seconds:
                return self._last[1]
            answers = {name: probe() for name, probe in self.probes.items()}
            self._last = (time.monotonic(), answers)
            return answers
