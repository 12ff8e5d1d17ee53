"""Waiting for what the bot does after its ack, on its threads and in its processes."""

from __future__ import annotations

import time


def wait_until(condition, timeout: float = 60, what: str = "sign of what the test waits for"):
    """What `condition()` returns once it is true; fails naming `what` if that takes over `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)
    return found
