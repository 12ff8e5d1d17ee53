"""The fake Slack's five fault knobs: queued failures, delays, one-off hangs, rate limits and random failures."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from tests.fakes.wire import Answer, api_error


@dataclass
class Bucket:
    """A token bucket: `rate` calls a second on average, bursts of up to `capacity`."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(frozen=True)
class Failure:
    status: int
    retry_after: int
    error: str | None


class Faults:
    """FakeSlack's fault injection: what a test asks for, and what a call gets from it."""

    _cond: threading.Condition

    def _forget_faults(self) -> None:
        with self._cond:
            self._failures: dict[str, deque[Failure]] = defaultdict(deque)
            self._delays: dict[str, float] = {}
            self._delays_once: dict[str, float] = {}
            self._buckets: dict[str, Bucket] = {}
            self._team_limits: dict[str, tuple[float, float]] = {}
            self._team_buckets: dict[tuple[str, str | None], Bucket] = {}
            self._random_failures: dict[str, tuple[float, tuple[int, ...], random.Random]] = {}
            self.arrived: dict[str, int] = {}  # calls received per method, answered or not yet (a delay)

    def queue_failure(self, method: str, status=429, retry_after=1, error: str | None = None) -> None:
        """Fail the next call to `method` ("response"/"upload" included), once, in FIFO order."""
        with self._cond:
            self._failures[method].append(Failure(status, retry_after, error))

    def set_delay(self, method: str, seconds: float) -> None:
        with self._cond:
            self._delays[method] = seconds

    def enforce_rate_limit(self, method: str, per_minute: float, burst: int, per_workspace: bool = False) -> None:
        """Answer 429 (Retry-After: 1) when `method` is called faster than `per_minute` after a
        burst of `burst` calls, as Slack's rate-limit tiers do: for all calls together, or with
        `per_workspace` for each workspace's token apart, as Slack counts them."""
        with self._cond:
            if per_workspace:
                self._team_limits[method] = (per_minute / 60.0, float(burst))
            else:
                self._buckets[method] = Bucket(per_minute / 60.0, float(burst), float(burst), time.monotonic())

    def _over_workspace_limit(self, method: str, team: str | None) -> bool:
        with self._cond:
            limit = self._team_limits.get(method)
            if limit is None:
                return False
            key = (method, team)
            if key not in self._team_buckets:
                self._team_buckets[key] = Bucket(limit[0], limit[1], limit[1], time.monotonic())
            return not self._team_buckets[key].take(time.monotonic())

    def fail_randomly(self, method: str, probability: float, statuses=(500,), seed: int = 0) -> None:
        """Answer one of `statuses` (429 with Retry-After: 1) to a random share of the calls to
        `method`, repeatably for a given `seed`."""
        with self._cond:
            self._random_failures[method] = (probability, tuple(statuses), random.Random(seed))

    # -- a one-off hang (fault injection)

    def delay_once(self, method: str, seconds: float) -> None:
        """Hold only the next call to `method` for `seconds` (longer than the client's timeout: a call
        Slack acts on but never answers in time); later calls answer at once. reset() forgets it."""
        with self._cond:
            self._delays_once[method] = seconds

    def _begin(self, method: str) -> Failure | None:
        """Apply the method's delay, then take its next queued failure, if any."""
        with self._cond:
            delay = self._delays_once.pop(method, None)
            delay = self._delays.get(method, 0) if delay is None else delay
            self.arrived[method] = self.arrived.get(method, 0) + 1
        time.sleep(delay)
        with self._cond:
            queue = self._failures.get(method)
            if queue:
                return queue.popleft()
            bucket = self._buckets.get(method)
            if bucket is not None and not bucket.take(time.monotonic()):
                return Failure(429, 1, None)
            chance = self._random_failures.get(method)
            if chance is not None and chance[2].random() < chance[0]:
                status = chance[2].choice(chance[1])
                return Failure(status, 1 if status == 429 else 0, None)
            return None

    def _failure_answer(self, failure: Failure, api: bool) -> Answer:
        if failure.error is not None:
            # response_url and upload errors are plain text with a 4xx, not `ok: false`.
            return api_error(failure.error) if api else Answer(400, failure.error)
        if failure.status == 429:
            headers = {"Retry-After": str(failure.retry_after)}
            body = {"ok": False, "error": "ratelimited"} if api else "rate_limited"
            return Answer(429, body, headers)
        return Answer(failure.status, {"ok": False, "error": "internal_error"} if api else "internal_error")
