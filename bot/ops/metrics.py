"""Prometheus metrics, served by GET /metrics of the web processes.

gunicorn forks the web processes, and the worker and the clock are processes of their own: every
process writes its samples into PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode), and
/metrics adds up the files of every process that shares the folder. `serve` makes a fresh folder for
itself and its children when none is set. The queue's depth and the oldest follow-up's age are read
from the database and the queue when /metrics is asked.

Labels are names the code chose (a kind of request, a task, a Slack method, Slack's error code, an
outcome): never entry text, a user ID, a workspace or a name."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily

DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "failure_resume"
# Slack allows 3 s for an ack: the buckets are finer below it.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0)


class _Metrics:
    def __init__(self) -> None:
        self.requests = Counter(
            f"{PREFIX}_requests", "Requests from Slack, by kind and outcome (ok, refused, error)", ["kind", "outcome"]
        )
        self.ack_seconds = Histogram(
            f"{PREFIX}_ack_seconds", "From a Slack request's arrival to its answer", ["kind"], buckets=ACK_BUCKETS
        )
        self.follow_ups = Counter(
            f"{PREFIX}_follow_ups", "Follow-ups run, by task and outcome (done, retried, failed)", ["task", "outcome"]
        )
        self.tasks = Counter(
            f"{PREFIX}_tasks", "Queue tasks run, by task and outcome (done, error, retrying)", ["task", "outcome"]
        )
        self.slack_calls = Counter(
            f"{PREFIX}_slack_api_calls", "Slack Web API calls, by method and Slack's error (ok)", ["method", "error"]
        )
        self.slack_retries = Counter(
            f"{PREFIX}_slack_api_retries",
            "Slack Web API answers that are retried: 429 (ratelimited) and 5xx (server_error), by method",
            ["method", "reason"],
        )
        self.deliveries = Counter(
            f"{PREFIX}_deliveries",
            "Scheduled deliveries (reflection prompts, digests, reviews, admin notices) by kind and outcome",
            ["kind", "outcome"],
        )


_metrics: _Metrics | None = None
_making = threading.Lock()  # two threads' first samples at once would register every metric twice


def metrics() -> _Metrics:
    """This process's metrics, made on first use: by then PROMETHEUS_MULTIPROC_DIR is set or not for good."""
    global _metrics
    if _metrics is None:
        with _making:
            if _metrics is None:
                values.ValueClass = values.get_value_class()  # prometheus_client reads the folder at its import
                _metrics = _Metrics()
    return _metrics


@contextmanager
def directory_for_serve() -> Iterator[str]:
    """For `serve`: PROMETHEUS_MULTIPROC_DIR as given (shared with other processes, say a volume), or a
    fresh folder of its own, which its web processes and children inherit, removed when `serve` ends."""
    given = os.environ.get(DIRECTORY, "").strip()
    if given:
        os.makedirs(given, exist_ok=True)
        yield given
        return
    made, owner = tempfile.mkdtemp(prefix="failure-resume-metrics-"), os.getpid()
    os.environ[DIRECTORY] = made
    try:
        yield made
    finally:
        if os.getpid() == owner:  # not a forked web process on its way out
            shutil.rmtree(made, ignore_errors=True)


def process_gone(pid: int) -> None:
    """A web process exited: its live gauges go (its counters stay in the sum)."""
    if os.environ.get(DIRECTORY):
        multiprocess.mark_process_dead(pid)


# -- what the code records ----------------------------------------------------------------------

SLACK_KINDS = {
    "command",
    "view_submission",
    "view_closed",
    "block_actions",
    "block_suggestion",
    "shortcut",
    "message_action",
    "event",
    "url_verification",
    "install",
}


def request_kind(body: bytes, content_type: str) -> str:
    """The kind of a Slack request, from a fixed list ("other" for anything else, garbage included: what
    Slack would never send is refused later, and must not fail here)."""
    import json
    from urllib.parse import parse_qs

    try:
        if content_type.startswith("application/json"):
            kind = json.loads(body).get("type")
            kind = "event" if kind == "event_callback" else kind
        else:
            form = parse_qs(body.decode(), max_num_fields=50)
            if "command" in form:
                kind = "command"
            else:
                kind = json.loads(form.get("payload", ["{}"])[0]).get("type")
    except Exception:  # not JSON, not an object, nested too deep (RecursionError), …
        return "other"
    return kind if isinstance(kind, str) and kind in SLACK_KINDS else "other"


def request_answered(kind: str, status: str, seconds: float) -> None:
    code = int(status.split(" ", 1)[0]) if status[:3].isdigit() else 500
    outcome = "ok" if code < 400 else "refused" if code < 500 else "error"
    metrics().requests.labels(kind, outcome).inc()
    if outcome != "refused":
        metrics().ack_seconds.labels(kind).observe(seconds)


def follow_up(task: str, outcome: str) -> None:
    metrics().follow_ups.labels(task, outcome).inc()


def task_run(task: str, outcome: str) -> None:
    metrics().tasks.labels(task, outcome).inc()


def slack_call(method: str, error: str) -> None:
    metrics().slack_calls.labels(method, error).inc()


def slack_retry(method: str, reason: str) -> None:
    metrics().slack_retries.labels(method, reason).inc()


def delivery(kind: str, outcome: str, count: int = 1) -> None:
    if count:
        metrics().deliveries.labels(kind, outcome).inc(count)


# -- /metrics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueState:
    follow_ups_waiting: int
    oldest_follow_up: datetime | None
    queued_tasks: int


class _QueueCollector:
    """The queue's depth and the oldest follow-up's age, read when /metrics is asked."""

    def __init__(self, read: Callable[[], QueueState], now: Callable[[], datetime]) -> None:
        self.read, self.now = read, now

    def collect(self):
        try:
            state = self.read()
        except Exception:  # the database or the queue away: /readyz says so; these go missing meanwhile
            return
        yield GaugeMetricFamily(
            f"{PREFIX}_follow_ups_waiting", "Follow-ups in the outbox, not yet done", value=state.follow_ups_waiting
        )
        age = (self.now() - state.oldest_follow_up).total_seconds() if state.oldest_follow_up else 0.0
        yield GaugeMetricFamily(
            f"{PREFIX}_oldest_follow_up_age_seconds", "How long the oldest follow-up not yet done has waited", value=age
        )
        yield GaugeMetricFamily(f"{PREFIX}_queued_tasks", "Tasks on the queue, not yet taken", value=state.queued_tasks)


def queue_state(sf, huey) -> Callable[[], QueueState]:
    """How to read the queue's state: the outbox in the database, the tasks on Huey's queue."""
    from storage.repository import outbox as outbox_store

    def read() -> QueueState:
        with sf() as session:
            waiting, oldest = outbox_store.count_follow_ups(session), outbox_store.oldest_follow_up(session)
        return QueueState(waiting, oldest, huey.pending_count())

    return read


def count_tasks(huey) -> None:
    """Every task a worker runs, counted by its name and how it ended (Huey's signals)."""
    from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_RETRYING

    outcomes = {SIGNAL_COMPLETE: "done", SIGNAL_ERROR: "error", SIGNAL_RETRYING: "retrying"}

    @huey.signal(*outcomes)
    def counted(signal, task, *args, **kwargs) -> None:
        task_run(task.name, outcomes[signal])


def scrape(read_queue: Callable[[], QueueState] | None, now: Callable[[], datetime]) -> tuple[bytes, str]:
    """The text of GET /metrics and its content type: every process's samples, and the queue's state."""
    if os.environ.get(DIRECTORY):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    if read_queue is not None:
        registry.register(_QueueCollector(read_queue, now))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward:
    """This process's own registry, for a process without PROMETHEUS_MULTIPROC_DIR (tests, a plain run)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self):
        yield from self.registry.collect()
