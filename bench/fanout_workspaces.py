"""The monthly reflection prompts of W workspaces (OAuth installs) through the task queue, against a
fake Slack that enforces each workspace's own limits and injects 429s and 500s: wall time against
the largest workspace's own bound (N people / 4 a second), duplicates and missing prompts.

Run: .venv/bin/python -m bench.fanout_workspaces --workspaces 10 --people 100 [--speedup 1] [--error-rate 0.01]
     [--processes 2 --database-url postgresql+psycopg://… --redis-url redis://…]

By default the app, a real Huey consumer (SQLite queue, one thread per workspace, so that every
workspace's chain of pages can run at once) and the fake run in this process. With `--processes P`,
P `failure-resume worker` processes do the work instead (W / P threads each), on the database and
queue given (the default SQLite file and queue file, or PostgreSQL and Redis), as a deployment would.
Each workspace's fan-out is the clock's task: one users.list page at a time, paced at 4 posts a
second within the workspace. `--speedup` multiplies the fake's limits and the pace alike (in-process
runs only).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import bot.tasks.reflection_prompts as reflection_prompts
from bench.fanout import POSTS_PER_MINUTE, USERS_LIST_PER_MINUTE, members
from bench.stage import fake_slack_and_database
from bot import wiring
from bot.settings import Settings
from bot.tasks.queue import POLL_SECONDS
from storage.migrate import upgrade_to_head
from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET
from tests.harness.bot import BotHarness
from tests.harness.installs import install
from tests.harness.queue import start_consumer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", type=int, default=10)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--speedup", type=float, default=1.0)
    parser.add_argument("--error-rate", type=float, default=0.01)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--processes", type=int, default=0)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (it is migrated)")
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    if args.processes and args.speedup != 1:
        parser.error("--speedup needs the in-process consumer (the workers pace at Slack's own rate)")

    with fake_slack_and_database("fanout-workspaces.db") as (fake, sqlite_url):
        url = args.database_url or sqlite_url
        if args.database_url:
            upgrade_to_head(url)
        app = BotHarness(fake, url, oauth=True)
        workers: list[subprocess.Popen] = []
        try:
            teams = [f"T{1000 + n}" for n in range(args.workspaces)]
            for team in teams:
                assert install(app, team).status == 200
            installed = app.installations()
            assert len(installed) == args.workspaces
            fake.users.clear()
            fake.users.update(members(args.people))
            app.consumer.stop(graceful=True)
            tasks = app.tasks
            if args.processes:
                queue = {"REDIS_URL": args.redis_url} if args.redis_url else {"QUEUE_PATH": app.queue_dir + "/queue.db"}
                if args.redis_url:
                    redis_settings = Settings(database_url=url, redis_url=args.redis_url)
                    tasks = wiring.tasks(redis_settings, app.tasks.runtime)
                    tasks.huey.flush()
                env = {
                    **os.environ,
                    **queue,
                    "DATABASE_URL": url,
                    "SLACK_CLIENT_ID": CLIENT_ID,
                    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                    "SLACK_API_URL": fake.url,
                    "TOKEN_ENCRYPTION_KEYS": app.settings.token_keys,
                    "WORKER_THREADS": str(math.ceil(args.workspaces / args.processes)),
                    "LOG_LEVEL": "WARNING",
                }
                workers = [
                    subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env)
                    for _ in range(args.processes)
                ]
                time.sleep(3)  # started, and their locks cleared
            else:
                app.consumer = start_consumer(app.tasks.huey, threads=args.workspaces, poll=POLL_SECONDS)
            fake.reset()
            reflection_prompts.SENDS_PER_SECOND = 4.0 * args.speedup
            fake.enforce_rate_limit("chat.postMessage", POSTS_PER_MINUTE * args.speedup, 10, per_workspace=True)
            fake.enforce_rate_limit("users.list", USERS_LIST_PER_MINUTE * args.speedup, 20, per_workspace=True)
            fake.fail_randomly("chat.postMessage", args.error_rate, statuses=(500, 429), seed=7)

            now = datetime.now(UTC)
            expected = args.workspaces * args.people
            start = time.monotonic()
            for each in installed:  # what the clock's beat enqueues, forced to everyone
                tasks.prompts(each.workspace, now, True)

            def sent() -> Counter:
                return Counter((c.team, c.args["channel"]) for c in fake.calls_to("chat.postMessage"))

            while len(fake.calls) < expected and time.monotonic() - start < args.timeout:
                time.sleep(0.2)
            while sum(sent().values()) < expected and time.monotonic() - start < args.timeout:
                time.sleep(0.2)
            duration = time.monotonic() - start
            time.sleep(2)  # anything sent twice would arrive now
            delivered = sent()
            posts = fake.calls_to("chat.postMessage", ok_only=False)
            statuses = Counter(c.status for c in posts)
            bound = args.people / (4.0 * args.speedup)
            missing = expected - len(delivered)
            duplicates = sum(n - 1 for n in delivered.values() if n > 1)
            per_team = Counter(team for team, _ in delivered)
            print(
                f"workspaces: {args.workspaces} x {args.people} people; speedup {args.speedup}x "
                f"(each workspace: {POSTS_PER_MINUTE * args.speedup:.0f} posts/min enforced, paced at "
                f"{4 * args.speedup:.0f}/s); injected 500s and 429s: {args.error_rate:.1%}"
            )
            print(f"chat.postMessage answers: {dict(statuses)}; users.list calls: {len(fake.calls_to('users.list'))}")
            print(f"delivered {len(delivered)} of {expected}: {missing} missing, {duplicates} duplicates")
            print(f"fewest delivered in a workspace: {min(per_team.values()) if per_team else 0}")
            print(
                f"wall time {duration:.1f} s against the largest workspace's bound {bound:.1f} s "
                f"({duration / bound:.2f}x)"
            )
            where = f"{args.processes} worker processes" if args.processes else "one process with the app and the fake"
            print(f"{where}; database {url.split(':')[0]}, queue {'Redis' if args.redis_url else 'SQLite'}")
            if workers:
                print("worker RSS (MiB): " + ", ".join(f"{rss_mib(w.pid):.0f}" for w in workers))
            else:
                print(
                    f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
                    "(app, fake, consumer)"
                )
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
            app.close()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
