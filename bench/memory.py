"""Resident memory of each process with every feature in use: the web process, its task worker, the clock.

    .venv/bin/python -m bench.memory                  # SIMILAR_BY_MEANING as in the environment (on by default)
    .venv/bin/python -m bench.memory --words-only     # SIMILAR_BY_MEANING=false

`failure-resume serve` (with its task worker as its child, SQLite in a temporary directory) and the
clock (`failure-resume scheduler`) run as `./scripts/run` starts them; the fake Slack Web API runs in a
process of its own. Each process's resident memory is read from /proc when it is idle, then after
every feature the worker has: Nice jobs with similar lessons (and each entry's meaning made), search,
the year in review's chart, and a pasted Markdown resume imported; then the same again, to see that
nothing keeps growing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.ack import SECRET, bot_env, run_fake_slack, start, start_clock
from tests import payloads
from tests.harness.config import REPO

SETS = [REPO / "bench" / name for name in ("similarity_set.json", "similarity_set_retold.json")]


def rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> dict[int, str]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if ppid == pid:
            found[int(stat.parent.name)] = "task worker" if "worker" in command else "web (gunicorn worker)"
    return found


def resume_markdown(texts: list[str], year: int) -> str:
    lines = [f"## {year}"]
    lines += [f"- {text}" for text in texts]
    return "\n".join(lines)[:2900]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=300, help="/fail <text> records (each a Nice job)")
    parser.add_argument("--words-only", action="store_true", help="SIMILAR_BY_MEANING=false")
    args = parser.parse_args()
    texts = []
    for path in SETS:
        data = json.loads(path.read_text(encoding="utf-8"))
        texts += [e["what_happened"] for e in data["entries"]] + [q["text"] for q in data["queries"]]

    fake_end, bench_end = multiprocessing.Pipe()
    fake = multiprocessing.Process(target=run_fake_slack, args=(fake_end,), daemon=True)
    fake.start()
    api_url = bench_end.recv()
    responses = api_url.removesuffix("/api/") + "/response/"

    def calls() -> int:
        bench_end.send("calls")
        return bench_end.recv()

    def quiet(seconds: float = 2.0) -> None:
        """Until the worker's work is done: no new Web API call for `seconds`."""
        seen = -1
        while (now := calls()) != seen:
            seen = now
            time.sleep(seconds)

    by_meaning = "false" if args.words_only else os.environ.get("SIMILAR_BY_MEANING", "true")
    env = bot_env(api_url, SIMILAR_BY_MEANING=by_meaning)
    if os.environ.get("MALLOC_ARENA_MAX"):
        env["MALLOC_ARENA_MAX"] = os.environ["MALLOC_ARENA_MAX"]
    numbers = iter(range(10**9))

    with tempfile.TemporaryDirectory() as tmp:
        bot, base = start([sys.executable, "-m", "bot.cli", "serve"], env, Path(tmp))
        clock = start_clock(env, Path(tmp))

        def post(body: bytes) -> None:
            import urllib.request

            headers = {"Content-Type": "application/x-www-form-urlencoded", **payloads.sign(SECRET, body)}
            request = urllib.request.Request(base + "/slack/events", data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200

        def command(text: str, user: str = "U1") -> None:
            post(payloads.slash_command(text, user=user, response_url=f"{responses}{next(numbers)}"))

        def figures(when: str) -> None:
            processes = {bot.pid: "serve (gunicorn master)", **children(bot.pid), clock.pid: "clock"}
            print(f"{when}: " + ", ".join(f"{role} {rss(pid):.1f} MiB" for pid, role in sorted(processes.items())))

        try:
            time.sleep(10)  # the worker imports, and loads the encoder, before its first task
            quiet()
            figures("idle")
            for round_ in (1, 2):
                for n in range(args.entries):
                    command(texts[(n * 7 + round_) % len(texts)], user=f"U{n % 5}")
                quiet()
                figures(f"round {round_}, after {args.entries} Nice jobs with similar lessons")
                for n in range(20):
                    command(f"search {texts[(n * 13 + round_) % len(texts)][:40]}", user=f"U{n % 5}")
                quiet()
                figures(f"round {round_}, after 20 searches")
                command(f"review {date.today().year}")
                quiet()
                figures(f"round {round_}, after a year in review (its chart)")
                pasted = resume_markdown(texts[round_ * 40 : round_ * 40 + 40], 2015 + round_)
                values = {"import_text_block": {"import_text_input": {"type": "plain_text_input", "value": pasted}}}
                post(payloads.interactive(payloads.view_submission(values, callback_id="import_modal")))
                quiet()
                with sqlite3.connect(Path(tmp) / "failure_resume.db") as db:
                    [(pending,)] = db.execute("SELECT max(id) FROM pending_imports").fetchall()
                preview = payloads.view_submission(
                    {}, callback_id="import_preview_modal", private_metadata=str(pending)
                )
                post(payloads.interactive(preview))
                quiet(4.0)  # and the imported entries' meanings, at the clock's next beat or later
                figures(f"round {round_}, after a pasted import")
            with sqlite3.connect(Path(tmp) / "failure_resume.db") as db:
                [(count, with_meaning)] = db.execute("SELECT count(*), count(meaning_model) FROM entries").fetchall()
            print(f"{count} entries stored, {with_meaning} with their meaning")
        finally:
            for process in (clock, bot):
                process.terminate()
                process.wait(timeout=60)
            bench_end.send("stop")


if __name__ == "__main__":
    main()
