"""Spacing calls to stay below Slack's rate limits."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    """Spaces calls at most `rate` a second."""

    def __init__(self, rate: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.sleep = sleep
        self.next_at = 0.0

    def __call__(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            self.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval
