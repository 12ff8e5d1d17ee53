"""GET /readyz over real HTTP: 200 while the database and the queue answer at their configured
addresses, 503 once either does not (even while connections opened before still work), 200 again
when it is back. /healthz stays the liveness probe."""

from __future__ import annotations

import os
import socket
import time

import pytest

from bot.ops.readiness import Readiness, database_probe, redis_answers, sqlite_answers
from storage.migrate import upgrade_to_head
from tests.harness.bot import BotHarness

DEADLINE = 30.0


def wait_for_status(bot, path: str, status: int) -> dict:
    """The answer of `path` once it is `status` (the probe keeps its answer up to a second)."""
    deadline = time.monotonic() + DEADLINE
    while (answer := bot.get(path)).status != status:
        assert time.monotonic() < deadline, f"{path} still answers {answer.status} {answer.body!r}"
        time.sleep(0.1)
    return answer.json()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens there once the socket is closed


@pytest.fixture
def sqlite_bot(fake_slack, tmp_path):
    """The app on a SQLite file of its own, in a folder that the test can move away and back."""
    folder = tmp_path / "data"
    folder.mkdir()
    url = f"sqlite:///{folder}/resume.db"
    upgrade_to_head(url)
    harness = BotHarness(fake_slack, url)
    yield harness
    harness.close()


def test_readyz_answers_200_when_the_database_and_the_queue_answer(bot):
    answer = bot.get("/readyz")
    assert answer.status == 200
    assert answer.json() == {"ok": True, "database": "ok", "queue": "ok"}


def test_readyz_answers_503_while_the_database_file_is_gone_and_200_once_it_is_back(sqlite_bot, tmp_path):
    bot, folder = sqlite_bot, tmp_path / "data"
    assert wait_for_status(bot, "/readyz", 200)["database"] == "ok"
    folder.rename(tmp_path / "away")  # the volume unmounted, say: connections already open still work
    try:
        assert wait_for_status(bot, "/readyz", 503) == {"ok": False, "database": "unreachable", "queue": "ok"}
        assert bot.get("/healthz").status == 200  # the process is alive: no restart is wanted
    finally:
        (tmp_path / "away").rename(folder)
    assert wait_for_status(bot, "/readyz", 200) == {"ok": True, "database": "ok", "queue": "ok"}
    assert not (tmp_path / "away").exists()


def test_readyz_answers_503_while_the_queue_is_gone_and_200_once_it_is_back(bot):
    away = bot.queue_dir + ".away"
    os.rename(bot.queue_dir, away)
    try:
        assert wait_for_status(bot, "/readyz", 503) == {"ok": False, "database": "ok", "queue": "unreachable"}
    finally:
        os.rename(away, bot.queue_dir)
    assert wait_for_status(bot, "/readyz", 200)["queue"] == "ok"


def test_a_database_file_that_is_not_there_is_not_created_by_the_probe(tmp_path):
    path = tmp_path / "never.db"
    assert sqlite_answers(str(path)) is False
    assert not path.exists()
    path.write_bytes(b"not a database, just bytes " * 100)
    assert sqlite_answers(str(path)) is False


def test_postgresql_and_redis_where_nobody_listens_are_unreachable():
    assert database_probe(f"postgresql+psycopg://u:p@127.0.0.1:{closed_port()}/db")() is False
    assert redis_answers(f"redis://127.0.0.1:{closed_port()}/0") is False


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_a_running_postgresql_answers():
    assert database_probe(os.environ["TEST_DATABASE_URL"])() is True


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL (Redis)")
def test_a_running_redis_answers():
    assert redis_answers(os.environ["TEST_REDIS_URL"]) is True


def test_probes_answers_are_kept_for_a_while_and_apart():
    asked = []

    def probe(name: str, answer: bool):
        return lambda: asked.append(name) or answer

    probes = {"database": probe("database", True), "queue": probe("queue", False)}
    readiness = Readiness(probes, cache_seconds=3600)
    assert readiness.check() == {"database": True, "queue": False}
    assert readiness.check() == {"database": True, "queue": False}
    assert asked == ["database", "queue"]  # the second answer was the first one, kept
    readiness = Readiness({"database": probe("database", True)}, cache_seconds=0)
    readiness.check(), readiness.check()
    assert asked.count("database") == 3


# -- real servers stopped and started (.ci/run provides them) ---------------------------------------


def assert_readyz_follows(bot, server, part: str) -> None:
    """/readyz names `part` while `server` is stopped, and is 200 again once it is started."""
    try:
        wait_for_status(bot, "/readyz", 200)
        server.stop()
        down = {"ok": False, "database": "ok", "queue": "ok", part: "unreachable"}
        assert wait_for_status(bot, "/readyz", 503) == down
        server.start()
        assert wait_for_status(bot, "/readyz", 200) == {"ok": True, "database": "ok", "queue": "ok"}
    finally:
        bot.close()


def test_readyz_answers_503_while_postgresql_is_stopped_and_200_once_it_is_back(postgres, fake_slack, database_url):
    assert_readyz_follows(BotHarness(fake_slack, database_url), postgres, "database")


def test_readyz_answers_503_while_redis_is_stopped_and_200_once_it_is_back(redis_server, fake_slack, database_url):
    bot = BotHarness(fake_slack, database_url, redis_url=os.environ["TEST_REDIS_URL"])
    assert_readyz_follows(bot, redis_server, "queue")
