"""The bot's own processes (`failure-resume serve`, `run-job`, ...) started as an operator starts them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import payloads
from tests.harness.config import REPO, TOKEN

# Variables the bot reads; none may leak in from the shell that runs the tests.
BOT_VARIABLES = (
    "DATABASE_URL",
    "PORT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "RETRO_CHANNEL",
    "TOKEN_ENCRYPTION_KEYS",
    "SENTRY_DSN",
    "PROMETHEUS_MULTIPROC_DIR",
)


STARTUP_TIMEOUT = 15.0


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("SLACK_") and name not in BOT_VARIABLES
    }
    env.update(extra)
    return env


def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def post(url: str, body: bytes, headers: dict) -> int | None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def signed_command(base: str, text: str, response_url: str, secret: str = "cli-secret") -> int | None:
    """`/fail <text>` as Slack sends it, signed with `secret`: the HTTP status of the answer."""
    body = payloads.slash_command(text, response_url=response_url)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **payloads.sign(secret, body)}
    return post(base + "/slack/events", body, headers)


def start_serving(cwd: Path, output=subprocess.PIPE, **env: str) -> tuple[subprocess.Popen, str]:
    """`failure-resume serve` in a subprocess, once /healthz answers 200: the process and its base URL.
    It leads its own process group, as on a dyno or in a container, so a test can kill it whole.
    output: where its log goes (a file, for a long one that nobody reads while it runs)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=cwd,
        env=clean_env(PORT=str(port), **env),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    status = None
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        status = get(base + "/healthz")
        if status == 200:
            return process, base
        time.sleep(0.1)
    kill_group(process)
    output = process.communicate(timeout=10)[0]
    pytest.fail(f"/healthz never answered 200 (last {status}); exit {process.returncode}; output:\n{output}")


def kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # every process of the group has exited already


def stop_serving(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_group(process)
            process.wait(timeout=10)
    if process.stdout:
        process.stdout.close()


@contextmanager
def serving(cwd: Path, **env: str) -> Iterator[str]:
    """`failure-resume serve` in a subprocess, once /healthz answers 200; yields its base URL."""
    process, base = start_serving(cwd, **env)
    try:
        yield base
    finally:
        stop_serving(process)


def children_of(pid: int) -> dict[int, list[str]]:
    """The running processes `pid` started, with their command lines (from /proc: each one's parent)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # "pid (name) state ppid ...": the name may hold spaces and parentheses.
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            command = (entry / "cmdline").read_bytes().decode().split("\0")[:-1]
        except OSError:
            continue  # gone meanwhile
        if int(ppid) == pid and state != "Z":
            found[int(entry.name)] = command
    return found


def workers(serve_pid: int) -> list[int]:
    return [pid for pid, command in children_of(serve_pid).items() if command[-1:] == ["worker"]]


def run_job(fake_slack, tmp_path, *args) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/jobs.db",
        "RETRO_CHANNEL": "CRETRO",
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run-job", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
