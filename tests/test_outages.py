"""The database or Redis stopped for a while under a steady load of `/fail <text>`: every request gets a
clear answer (stored, or its words given back), nothing acknowledged as stored is lost, every stored
entry gets its Nice job exactly once, and the app serves again by itself once the server is back.

These stop and start the real servers that .ci/run starts, through the commands it exports:
`$TEST_PG_CTL stop -m fast` / `$TEST_PG_CTL start`, and `$TEST_REDIS_CTL stop` / `$TEST_REDIS_CTL start`.
Without them (a developer's plain `./scripts/test`) they skip. Each leaves its server running."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from storage.db import make_engine
from tests import payloads
from tests.harness.config import TOKEN
from tests.harness.processes import start_serving, stop_serving, workers
from tests.harness.servers import REDIS_URL, Server
from tests.harness.waits import wait_until

SECRET = "outage-secret"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
OUTAGE_SECONDS = 10
# Slack gives up on an ack after 3 s; the load's client waits longer, so that a slow ack is seen (and
# counted) rather than taken for a lost one.
PATIENCE_SECONDS = 15
NOT_SAVED = "could not be saved"


# -- a steady load of quick records -----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    n: int
    words: str
    status: int | None  # None: no answer within PATIENCE_SECONDS
    body: str
    sent_at: float  # time.monotonic()
    seconds: float

    @property
    def key(self) -> str:
        return f"load{self.n}"

    @property
    def stored(self) -> bool:
        return self.status == 200 and self.body == ""

    @property
    def refused(self) -> bool:
        """The clear answer of a record that was not saved: it says so, and gives the words back."""
        return self.status == 200 and NOT_SAVED in self.body and self.words in self.body


class SteadyLoad:
    """One signed `/fail load N: …` every `interval` seconds, each with its own response_url, sent on
    threads of their own so that a slow answer never holds up the next request."""

    def __init__(self, base: str, fake_slack, interval: float = 0.1) -> None:
        self.base, self.fake, self.interval = base, fake_slack, interval
        self._pool = ThreadPoolExecutor(64, thread_name_prefix="load")
        self._sent: list[Future] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="steady-load")

    def __enter__(self) -> SteadyLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        n, next_at = 0, time.monotonic()
        while not self._stop.is_set():
            future = self._pool.submit(self._ask, n)
            with self._lock:
                self._sent.append(future)
            n, next_at = n + 1, next_at + self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _ask(self, n: int) -> Answer:
        words = f"load {n}: the deploy went wrong"
        body = payloads.slash_command(words, user=f"U{n % 4}", response_url=self.fake.response_url(f"load{n}"))
        headers = {**FORM, **payloads.sign(SECRET, body)}
        request = urllib.request.Request(self.base + "/slack/events", data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=PATIENCE_SECONDS) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        except OSError:
            status, text = None, ""
        return Answer(n, words, status, text, started, time.monotonic() - started)

    def answers(self) -> list[Answer]:
        """The requests answered so far, in the order they were sent."""
        with self._lock:
            done = [future for future in self._sent if future.done()]
        return sorted((future.result() for future in done), key=lambda answer: answer.n)

    def stop(self) -> list[Answer]:
        """No more requests; every one sent, answered (or given up on)."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._pool.shutdown(wait=True)
        return self.answers()


def stored_after(load: SteadyLoad, moment: float, count: int) -> Callable[[], bool]:
    """`count` requests sent after `moment` were stored: the app serves again."""
    return lambda: sum(1 for a in load.answers() if a.sent_at > moment and a.stored) >= count


def nice_jobs(fake_slack) -> list[str]:
    return [key for key, message in fake_slack.responses if key.startswith("load") and "Nice job" in str(message)]


def stored_words(database_url: str) -> tuple[set[str], int]:
    """The entries' words, and how many follow-ups the outbox still owes."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            words = {row[0] for row in connection.exec_driver_sql("SELECT what_happened FROM entries")}
            owed = connection.exec_driver_sql("SELECT count(*) FROM outbox").scalar()
    finally:
        engine.dispose()
    return words, owed


def every_nice_job_once(database_url: str, fake_slack, stored: list[Answer], log: Path, timeout: float = 180) -> None:
    """Wait until each stored record's Nice job arrived and the outbox owes nothing more (no later copy
    can come), then check that none came twice and none came for a record that was not stored."""
    wanted = {a.key for a in stored}
    try:
        wait_until(
            lambda: wanted <= set(nice_jobs(fake_slack)) and stored_words(database_url)[1] == 0,
            what="Nice job for every stored record, and an empty outbox",
            timeout=timeout,
        )
    except AssertionError as error:
        missing, owed = sorted(wanted - set(nice_jobs(fake_slack))), stored_words(database_url)[1]
        detail = f"{len(missing)} missing (first: {missing[:5]}), {owed} still owed"
        raise AssertionError(f"{error}: {detail}\n{log_tail(log)}") from None
    sent = Counter(nice_jobs(fake_slack))
    assert set(sent) == wanted
    assert [key for key, times in sent.items() if times > 1] == []


def summary(answers: list[Answer]) -> str:
    slowest = max(a.seconds for a in answers)
    over = sum(1 for a in answers if a.seconds > 3)
    stored, refused = sum(a.stored for a in answers), sum(a.refused for a in answers)
    return (
        f"{len(answers)} requests: {stored} stored, {refused} refused with their words; "
        f"slowest ack {slowest:.2f} s, {over} over Slack's 3 s"
    )


def serve_env(fake_slack, database_url: str, **extra: str) -> dict[str, str]:
    return dict(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.url,
        DATABASE_URL=database_url,
        # A follow-up handed over just before the outage is handed again 5 s after its worker last
        # renewed it, not 30 s.
        FOLLOW_UP_LEASE_SECONDS="5",
        **extra,
    )


def log_tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def start_logged(tmp_path: Path, **env: str):
    """`serve` in a subprocess, its log (long, in an outage) in a file: the process, its URL and the log."""
    log = tmp_path / "serve.log"
    with open(log, "w") as output:
        process, base = start_serving(tmp_path, output=output, **env)
    return process, base, log


def through_an_outage(base: str, fake_slack, server: Server) -> list[Answer]:
    """The steady load; once records are stored and a first Nice job is out, `server` stopped for
    OUTAGE_SECONDS and started again; the load goes on until 30 records sent after that were stored."""
    with SteadyLoad(base, fake_slack) as load:
        wait_until(stored_after(load, 0, 10), what="ten records stored before the outage")
        wait_until(lambda: nice_jobs(fake_slack), what="a first Nice job before the outage")
        server.stop()
        time.sleep(OUTAGE_SECONDS)  # the outage itself: its length is the scenario, not a wait for a condition
        server.start()
        wait_until(stored_after(load, time.monotonic(), 30), what=f"30 records stored after {server.name} came back")
        answers = load.stop()
    print(f"{server.name} stopped for {OUTAGE_SECONDS} s: {summary(answers)}")
    return answers


# -- the database away -------------------------------------------------------------------------


def test_postgres_stopped_for_10_s_under_load_loses_nothing_acknowledged_and_serves_again(
    postgres, database_url, fake_slack, tmp_path
):
    process, base, log = start_logged(tmp_path, **serve_env(fake_slack, database_url))
    try:
        [worker] = wait_until(lambda: workers(process.pid), what="the worker serve starts")
        answers = through_an_outage(base, fake_slack, postgres)
        stored = [a for a in answers if a.stored]
        assert [a for a in answers if not (a.stored or a.refused)] == [], log_tail(log)  # a clear answer each
        assert any(a.refused for a in answers)  # the outage was felt
        assert all(a.stored for a in answers[-10:])  # serving again, with nobody restarting anything
        words, _owed = stored_words(database_url)
        assert words == {a.words for a in stored}  # nothing acknowledged lost; nothing refused kept
        every_nice_job_once(database_url, fake_slack, stored, log)
        assert workers(process.pid) == [worker], log_tail(log)  # the worker lived through it
    finally:
        stop_serving(process)


# -- Redis away ----------------------------------------------------------------------------------


def test_redis_stopped_for_10_s_under_load_still_stores_every_record_and_each_nice_job_goes_out_once(
    redis_server, database_url, fake_slack, tmp_path
):
    env = serve_env(fake_slack, database_url, REDIS_URL=REDIS_URL, START_WORKER="true")
    process, base, log = start_logged(tmp_path, **env)
    try:
        [worker] = wait_until(lambda: workers(process.pid), what="the worker serve starts")
        answers = through_an_outage(base, fake_slack, redis_server)  # Redis comes back empty
        assert [a for a in answers if not a.stored] == [], log_tail(log)  # the web path never needs Redis
        words, _owed = stored_words(database_url)
        assert words == {a.words for a in answers}
        every_nice_job_once(database_url, fake_slack, answers, log)
        assert workers(process.pid) == [worker], log_tail(log)  # the worker lived through it
    finally:
        stop_serving(process)
