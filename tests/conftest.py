"""Fixtures that run the real app the way Slack reaches it: signed HTTP in, a fake Web API out."""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import text

from storage.db import database_answers, make_engine, make_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Base
from tests import payloads
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.fakes.linear import FakeLinear
from tests.fakes.server import FakeSlack
from tests.harness.bot import BotHarness
from tests.harness.config import REPO, TOKEN, TOKEN_KEYS, reference_methods
from tests.harness.jobs import quick_client
from tests.harness.servers import PG_CTL, REDIS_CTL, REDIS_URL, Server


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("SLACK_") and name != "SLACK_REFERENCE_DIR":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """SQLite: one migrated file, copied for every test. PostgreSQL: migrated once, emptied per test."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        engine = make_engine(server_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade_to_head(server_url)
        return server_url
    template = tmp_path_factory.mktemp("db") / "template.db"
    upgrade_to_head(f"sqlite:///{template}")
    return template


@pytest.fixture
def database_url(migrated_template, tmp_path) -> str:
    if isinstance(migrated_template, str):
        engine = make_engine(migrated_template)
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return migrated_template
    path = tmp_path / "test.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fake_slack():
    with FakeSlack(REPO / "manifest.yml", reference_methods(), tokens=(TOKEN,)) as fake:
        yield fake


@pytest.fixture
def fake_github():
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def fake_jira():
    with FakeJira() as fake:
        yield fake


@pytest.fixture
def fake_linear():
    with FakeLinear() as fake:
        yield fake


@pytest.fixture
def job(fake_slack, database_url):
    """(session factory, Web API client) as the scheduler and run-job build them."""
    engine = make_engine(database_url)
    yield make_session_factory(engine), quick_client(fake_slack.url)
    engine.dispose()


@pytest.fixture
def bot(fake_slack, database_url):
    harness = BotHarness(fake_slack, database_url)
    yield harness
    harness.close()


@pytest.fixture(scope="session")
def encoder():
    """The sentence encoder, loaded once for the whole run (as a worker loads it once): 1 to 2 s."""
    from bot.domain.meaning import Encoder

    return Encoder()


@pytest.fixture
def meaning_bot(fake_slack, database_url, encoder):
    """The running app whose worker has the sentence encoder: similar lessons by meaning and words."""
    harness = BotHarness(fake_slack, database_url, encoder=encoder)
    yield harness
    harness.close()


@pytest.fixture
def postgres(database_url):
    if not database_url.startswith("postgresql") or not PG_CTL:
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL) and TEST_PG_CTL, its pg_ctl (.ci/run sets both)")
    engine = make_engine(database_url)

    def answers() -> bool:
        engine.dispose()  # a fresh connection each time: a pooled one says nothing about the server
        return database_answers(engine)

    server = Server("PostgreSQL", PG_CTL, ("-m", "fast"), answers)
    try:
        yield server
    finally:
        server.keep_running()
        engine.dispose()


@pytest.fixture
def redis_server():
    if not REDIS_URL or not REDIS_CTL:
        pytest.skip("needs TEST_REDIS_URL and TEST_REDIS_CTL, its start and stop (.ci/run sets both)")
    import redis

    def answers() -> bool:
        try:
            with redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2) as client:
                return client.ping()
        except redis.RedisError:
            return False

    redis.Redis.from_url(REDIS_URL).flushdb()
    server = Server("Redis", REDIS_CTL, (), answers)
    try:
        yield server
    finally:
        server.keep_running()


@pytest.fixture
def trackers_bot(fake_slack, database_url, fake_github, fake_linear):
    """The running app with TOKEN_ENCRYPTION_KEYS (single-workspace mode) and the fakes' API addresses."""
    harness = BotHarness(
        fake_slack,
        database_url,
        token_keys=TOKEN_KEYS,
        github_api_url=fake_github.url,
        linear_api_url=fake_linear.url,
        jira_private_sites=True,  # the fake Jira is on 127.0.0.1, over http
    )
    fake_slack.users["U1"] = payloads.ADMIN
    yield harness
    harness.close()
