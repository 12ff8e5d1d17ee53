"""The task queue: work after an ack waits on the queue, not in the web process; a worker stopped
mid-task leaves the task to run again without sending anything twice; two clocks enqueue once; and
two web and two worker processes on one PostgreSQL and one Redis behave as one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot import wiring
from bot.scheduler import workspace_tick
from bot.settings import Settings
from bot.slack.installations import single_workspace
from bot.tasks.queue import make_queue
from storage.db import make_engine, make_session_factory
from storage.models import Entry
from storage.types import Workspace
from tests import payloads
from tests.harness.config import TOKEN
from tests.harness.jobs import OwnProcess, at_once, prompted
from tests.harness.people import member
from tests.harness.processes import clean_env, post, start_serving, stop_serving
from tests.harness.queue import start_consumer
from tests.harness.waits import wait_until
from tests.rows import seed

WS = Workspace("", "T0001")
SECRET = "queue-secret"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_records_nice_job_waits_on_the_queue_until_a_worker_takes_it(bot):
    bot.consumer.stop(graceful=True)  # no worker running
    assert bot.command("Deployed on a Friday", key="queued").status == 200
    time.sleep(0.5)
    assert bot.fake.responses == [] and bot.tasks.huey.pending_count() == 1
    bot.consumer = start_consumer(bot.tasks.huey)  # a worker starts: the Nice job goes out
    [(key, message)] = bot.fake.wait_for_responses()
    assert key == "queued" and "Nice job" in message["text"]


def start_worker(cwd, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        cwd=cwd,
        env=clean_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=open(cwd / "worker.log", "a"),  # noqa: SIM115 - the child holds it
    )


def test_a_worker_stopped_mid_fan_out_leaves_it_to_the_next_worker_and_nobody_is_prompted_twice(tmp_path, fake_slack):
    people = [f"U{n:02d}" for n in range(24)]
    fake_slack.users.update({user: member(user) for user in people})
    fake_slack.set_delay("chat.postMessage", 0.1)
    url = f"sqlite:///{tmp_path}/failure_resume.db"
    env = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake_slack.url, DATABASE_URL=url, SHUTDOWN_GRACE_SECONDS="1")
    first = start_worker(tmp_path, **env)  # it creates the database
    wait_until(lambda: (tmp_path / "failure_resume.db").exists())
    engine = make_engine(url)
    settings = Settings(bot_token=TOKEN, slack_api_url=fake_slack.url, database_url=url)
    client = fake_slack_client(fake_slack)
    sf = make_session_factory(engine)
    tasks = wiring.tasks(settings, wiring.runtime(settings, sf, wiring.one_workspace(client)))
    tasks.prompts(WS, datetime.now(UTC), True)  # everyone, at 4 a second: about 6 s of work
    try:
        wait_until(lambda: sum(prompted(fake_slack).values()) >= 3)
        first.send_signal(signal.SIGTERM)  # a deploy, mid fan-out
        first.wait(timeout=20)
        sent_before = sum(prompted(fake_slack).values())
        assert sent_before < len(people)
        second = start_worker(tmp_path, **env)
        # The interrupted task was put back on the queue; Huey's lock, left behind, is cleared at start.
        wait_until(lambda: sum(prompted(fake_slack).values()) >= len(people) - 1)
        time.sleep(1)
    finally:
        for process in (first, locals().get("second")):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        engine.dispose()
    counts = prompted(fake_slack)
    assert max(counts.values()) == 1  # never twice
    # At most the one send cut off mid-call stays unconfirmed, and so unsent (at most once).
    assert len(counts) >= len(people) - 1 and set(counts) <= set(people)


def fake_slack_client(fake_slack):
    from bot.slack.api import build_web_client

    return build_web_client(TOKEN, fake_slack.url)


def test_two_clocks_started_by_mistake_enqueue_each_workspaces_fan_out_once(fake_slack, database_url, tmp_path):
    fake_slack.users.update({"U1": member("U1")})
    settings = Settings(database_url=database_url, queue_path=str(tmp_path / "queue.db"))
    a, b = OwnProcess(database_url, fake_slack), OwnProcess(database_url, fake_slack)
    queue_a, queue_b = make_queue(settings), make_queue(settings)  # one queue file, two processes' handles

    def tasks_of(process, queue):
        return wiring.tasks(settings, wiring.runtime(settings, process.sf, wiring.one_workspace(process.client)), queue)

    tasks = {"first": tasks_of(a, queue_a), "second": tasks_of(b, queue_b)}

    def clock(process, _queue, holder):
        installed = single_workspace(process.client)
        return lambda: workspace_tick(process.sf, installed, tasks[holder], datetime.now(UTC), holder)

    try:
        acted = at_once(clock(a, queue_a, "first"), clock(b, queue_b, "second"))
        assert sorted(acted) == [False, True]
        assert queue_a.pending_count() == 2  # the workspace's digest check and its prompts, once
        standby = "second" if acted == [True, False] else "first"
        process, queue = (b, queue_b) if standby == "second" else (a, queue_a)
        assert clock(process, queue, standby)() is False  # still standing by while the lease holds
        assert queue_a.pending_count() == 2
    finally:
        a.engine.dispose()
        b.engine.dispose()


# -- two web and two worker processes on one PostgreSQL and one Redis ------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def shared_servers(database_url, tmp_path):
    if not database_url.startswith("postgresql") or not REDIS_URL:
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL (.ci/run starts both)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return database_url


def test_two_web_and_two_worker_processes_behave_as_one(shared_servers, fake_slack, tmp_path):
    fake_slack.users.update({user: member(user) for user in ("U1", "UAUTHOR", "UT1", "UT2", "UT3", "UT4")})
    env = dict(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.url,
        DATABASE_URL=shared_servers,
        REDIS_URL=REDIS_URL,
        RETRO_CHANNEL="CRETRO",
    )
    engine = make_engine(shared_servers)
    sf = make_session_factory(engine)
    author_entry = seed(sf, "Shipped without a flag", user="UAUTHOR", visibility="named", lesson="Flags first")
    with sf.begin() as session:
        session.get(Entry, author_entry).shared_at = datetime.now(UTC)
    web_a, base_a = start_serving(tmp_path, **env)
    web_b, base_b = start_serving(tmp_path, **env)
    workers = [start_worker(tmp_path, **env) for _ in range(2)]
    try:

        def send(base: str, body: bytes) -> int:
            return post(base + "/slack/events", body, {**FORM, **payloads.sign(SECRET, body)})

        # A modal flow across both: opened through one, submitted through the other.
        assert send(base_a, payloads.slash_command("", response_url=fake_slack.response_url("form"))) == 200
        wait_until(lambda: fake_slack.calls_to("views.open"))
        submission = payloads.view_submission(payloads.record_values(what="Dropped the cache on deploy"), user="U1")
        assert send(base_b, payloads.interactive(submission)) == 200
        wait_until(lambda: any("Nice job" in json.dumps(c.args) for c in fake_slack.calls_to("chat.postMessage")))

        # A digest posted by a worker, then four teammates' Nice jobs through the two, alternately.
        fake_slack.reset()
        admin = {"id": "UADMIN", "team_id": "T0001", "name": "ada", "is_admin": True}
        fake_slack.users["UADMIN"] = admin
        digest = payloads.block_actions(payloads.button("post_digest_button"), user="UADMIN", container="view")
        assert send(base_a, payloads.interactive(digest)) == 200
        wait_until(lambda: [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == "CRETRO"])
        [posted] = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == "CRETRO"]
        message = {"type": "message", "ts": "1700000000.000100", "text": posted.args["text"]}
        message["blocks"] = posted.args["blocks"]
        for n, teammate in enumerate(("UT1", "UT2", "UT3", "UT4")):
            press = payloads.block_actions(payloads.button("nice_job_button", str(author_entry)), user=teammate)
            press["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": "CRETRO"}
            press.update(channel={"id": "CRETRO", "name": "retro"}, message=message)
            assert send(base_a if n % 2 == 0 else base_b, payloads.interactive(press)) == 200

        def told_author():
            return [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == "UAUTHOR"]

        wait_until(lambda: len(told_author()) == 4)
    finally:
        for process in workers:
            process.terminate()
            process.wait(timeout=20)
        stop_serving(web_a)
        stop_serving(web_b)
    with engine.connect() as connection:
        entries = connection.exec_driver_sql("SELECT user_id, what_happened FROM entries ORDER BY id").all()
        nice_jobs = connection.exec_driver_sql("SELECT count(*) FROM acknowledgements").scalar()
    engine.dispose()
    assert [tuple(row) for row in entries] == [
        ("UAUTHOR", "Shipped without a flag"),
        ("U1", "Dropped the cache on deploy"),
    ]
    assert nice_jobs == 4  # each press once, whichever process took it
    counts = Counter(json.dumps(c.args) for c in told_author())
    assert all(n == 1 for n in counts.values())  # four different messages: 1, 2, 3 and 4 teammates


def test_the_worker_serve_started_stops_when_serve_is_killed(tmp_path, fake_slack):
    env = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.url)
    process, _base = start_serving(tmp_path, **env)  # it leads its own process group
    try:
        os.kill(process.pid, signal.SIGKILL)  # serve alone: its children are left behind
        process.wait(timeout=10)

        def group_gone() -> bool:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return True
            return False

        wait_until(group_gone, timeout=20)  # the worker (and gunicorn's worker) noticed and stopped
    finally:
        stop_serving(process)
        if not group_gone():
            os.killpg(process.pid, signal.SIGKILL)


def test_a_worker_starting_clears_the_prompt_locks_a_killed_worker_left(tmp_path, fake_slack):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/x.db", queue_path=str(tmp_path / "queue.db"))
    client = fake_slack_client(fake_slack)
    tasks = wiring.tasks(settings, wiring.runtime(settings, None, wiring.one_workspace(client)))
    tasks.prompt_lock(WS).acquire()  # held by a worker killed with SIGKILL
    tasks.prompt_lock(Workspace("E1", "T2")).acquire()
    tasks.clear_prompt_locks()
    assert not tasks.prompt_lock(WS).is_locked() and not tasks.prompt_lock(Workspace("E1", "T2")).is_locked()
