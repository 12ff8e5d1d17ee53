"""The monthly reflection prompt to 10,000 people, against a fake Slack that enforces rate limits
and injects 500s: duration against the rate-limit bound, 429s seen, duplicates and failures.

Run: .venv/bin/python -m bench.fanout [--people 10000] [--speedup 10] [--error-rate 0.01]

`--speedup` multiplies both the fake's limits and the job's pacing, so that the run takes minutes
instead of the ~42 it takes at the job's real pace; the ratio of duration to bound is what it shows.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import Counter
from datetime import UTC, datetime

from bench.stage import fake_slack_and_database
from bot.slack.api import build_web_client
from bot.tasks.reflection_prompts import SENDS_PER_SECOND, Pacer, send_reflection_prompts
from storage.db import make_engine, make_session_factory
from storage.types import Workspace
from tests.harness.config import TOKEN

POSTS_PER_MINUTE = 300  # "several hundred messages per minute" to a workspace
USERS_LIST_PER_MINUTE = 20  # Tier 2
ZONES = ["Pacific/Tongatapu", "Pacific/Honolulu", "America/New_York", "Europe/London", "Asia/Seoul", "UTC"]


def members(people: int) -> dict[str, dict]:
    users = {
        f"U{n:05d}": {"id": f"U{n:05d}", "team_id": "T0001", "name": f"person{n}", "tz": ZONES[n % len(ZONES)]}
        for n in range(people)
    }
    users["UBOT"] = {"id": "UBOT", "is_bot": True, "team_id": "T0001"}
    users["UGONE"] = {"id": "UGONE", "deleted": True, "team_id": "T0001"}
    users["USLACKBOT"] = {"id": "USLACKBOT", "team_id": "T0001"}
    return users


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--speedup", type=float, default=10.0)
    parser.add_argument("--error-rate", type=float, default=0.01)
    args = parser.parse_args()

    with fake_slack_and_database("fanout.db") as (fake, url):
        sf = make_session_factory(make_engine(url))
        client = build_web_client(TOKEN, fake.url)
        fake.users.update(members(args.people))
        fake.enforce_rate_limit("chat.postMessage", POSTS_PER_MINUTE * args.speedup, burst=10)
        fake.enforce_rate_limit("users.list", USERS_LIST_PER_MINUTE * args.speedup, burst=20)
        fake.fail_randomly("chat.postMessage", args.error_rate, statuses=(500, 429), seed=7)
        ws = Workspace(enterprise_id="", team_id="T0001")
        now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

        start = time.monotonic()
        first = send_reflection_prompts(sf, client, ws, now, force=True, pace=Pacer(SENDS_PER_SECOND * args.speedup))
        first_duration = time.monotonic() - start
        second = send_reflection_prompts(sf, client, ws, now, force=True, pace=Pacer(SENDS_PER_SECOND * args.speedup))
        duration = time.monotonic() - start

        posts = fake.calls_to("chat.postMessage", ok_only=False)
        delivered = Counter(c.args["channel"] for c in posts if c.ok)
        statuses = Counter(c.status for c in posts)
        lists = Counter(c.status for c in fake.calls_to("users.list", ok_only=False))
        bound = args.people / (POSTS_PER_MINUTE * args.speedup / 60)
        print(f"people: {args.people} (+ a bot, a deactivated account and Slackbot, never prompted)")
        print(
            f"speedup: {args.speedup}x  (fake limit {POSTS_PER_MINUTE * args.speedup:.0f} posts/min, "
            f"job pace {SENDS_PER_SECOND * args.speedup:.0f}/s, injected 500s and 429s: {args.error_rate:.1%})"
        )
        print(f"first run:  {dict(first)} in {first_duration:.1f} s")
        print(f"second run: {dict(second)}")
        per_person = first_duration / args.people
        print(
            f"duration {duration:.1f} s against the rate-limit bound {bound:.1f} s ({duration / bound:.2f}x); "
            f"{per_person * 1000:.1f} ms a person"
        )
        # At the real pace each send has a 250 ms slot; the work per person measured here fits in it.
        print(
            f"at Slack's real limits the job's pace ({SENDS_PER_SECOND:.0f}/s) bounds this run at "
            f"{args.people / SENDS_PER_SECOND / 60:.0f} min; work per person fits the "
            f"{1000 / SENDS_PER_SECOND:.0f} ms slot: {per_person < 1 / SENDS_PER_SECOND}"
        )
        print(f"chat.postMessage answers: {dict(statuses)}; users.list answers: {dict(lists)}")
        print(f"429s seen: {statuses[429] + lists[429]}")
        print(
            f"people prompted: {len(delivered)}; duplicates: {sum(n - 1 for n in delivered.values())}; "
            f"failures (not prompted): {args.people - len([u for u in delivered if u.startswith('U0')])}"
        )
        print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
