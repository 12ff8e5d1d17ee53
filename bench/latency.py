"""Ack latency and end-to-end times of the core flows, over signed HTTP against the fake Slack server.

Run: .venv/bin/python -m bench.latency [--entries 1000] [--requests 200]
Prints the figures recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from datetime import date

from bench.stage import fake_slack_and_database
from storage.models import ActionItem, Entry
from tests.harness.bot import BotHarness


def seed(bot: BotHarness, count: int) -> None:
    with bot.session_factory.begin() as session:
        for n in range(count):
            session.add(
                Entry(
                    team_id="T0001",
                    enterprise_id="",
                    user_id="U1",
                    category="engineering",
                    what_happened=f"Mistake {n}: " + "what broke " * 40,
                    lesson="what we learned " * 30,
                    happened_on=date(2000 + n % 26, 1 + n % 12, 1),
                    safeguards=["tests"],
                    visibility="private",
                    action_items=[
                        ActionItem(position=0, text="Add a test", owner_id="U1"),
                        ActionItem(position=1, text="Add an alert", owner_id="U1"),
                    ],
                )
            )


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    with fake_slack_and_database("bench.db") as (fake, url):
        bot = BotHarness(fake, url)
        seed(bot, args.entries)

        acks = [timed(lambda: bot.command(f"Quick entry {n} 배포 🙈")) for n in range(args.requests)]
        bot.drain(timeout=120)  # every Nice job sent (nobody opened the Home: no Home to refresh)
        print(f"/fail <text> ack (HTTP round trip), {args.requests} requests:  {percentiles(acks)}")

        fake.reset()
        start = time.perf_counter()
        bot.command("resume", key="resume")
        fake.wait_for_responses(timeout=60)
        print(
            f"/fail resume with {args.entries + args.requests} entries, until the answer is posted: "
            f"{(time.perf_counter() - start) * 1000:.1f} ms"
        )

        fake.reset()
        start = time.perf_counter()
        bot.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1.1"})
        [published] = fake.wait_for("views.publish", timeout=60)
        print(
            f"App Home with {args.entries + args.requests} entries, until views.publish: "
            f"{(time.perf_counter() - start) * 1000:.1f} ms, {len(published.args['view']['blocks'])} blocks"
        )

        fake.reset()
        start = time.perf_counter()
        bot.command("export", key="export")
        fake.wait_for("files.completeUploadExternal", timeout=60)
        size = sum(len(data) for data in fake.uploads.values())
        print(
            f"/fail export of {args.entries + args.requests} entries, until the file is shared: "
            f"{(time.perf_counter() - start) * 1000:.1f} ms, {size / 1024:.0f} KiB of Markdown"
        )

        fake.reset()
        submit = [timed(lambda: bot.submit_entry(what="Submitted through the modal")) for _ in range(50)]
        fake.wait_for("views.publish", count=50, timeout=120)  # let the work after each ack finish
        print(f"record modal submission ack, 50 submissions:          {percentiles(submit)}")
        bot.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the whole run (app, fake Slack, client): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
