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


def wait_a_while(condition, timeout: float = 5.0) -> None:
    """Give `condition` up to `timeout` s to come true, and go on either way: what the test asserts
    after it says what was expected."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
