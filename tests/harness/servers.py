"""The real PostgreSQL and Redis that .ci/run starts, stopped and started as an operator would."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable

from tests.harness.waits import wait_until

PG_CTL = os.environ.get("TEST_PG_CTL")
REDIS_CTL = os.environ.get("TEST_REDIS_CTL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


class Server:
    """A real server the suite shares: `ctl stop`/`ctl start`, and whether it answers right now."""

    def __init__(self, name: str, ctl: str, stop: tuple[str, ...], answers: Callable[[], bool]) -> None:
        self.name, self.ctl, self.stop_args, self.answers = name, shlex.split(ctl), stop, answers

    def stop(self) -> None:
        self._run("stop", *self.stop_args)
        wait_until(lambda: not self.answers(), what=f"{self.name} stopped", timeout=60)

    def start(self) -> None:
        self._run("start")
        wait_until(self.answers, what=f"{self.name} answering again", timeout=60)

    def keep_running(self) -> None:
        """After a test, whatever happened: the rest of the suite needs the server."""
        if not self.answers():
            self.start()

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.ctl, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{self.name} {' '.join(args)}: {done.stdout}{done.stderr}"
