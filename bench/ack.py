"""Ack latency of the production server against a bare Bolt floor, in one run, and each process's memory.

    .venv/bin/python -m bench.ack            # --requests 400 --levels 1,16,64

`failure-resume serve` (SQLite in a temporary directory) and bench/bare_bolt.py (a Bolt app that
only acks) each run as their own process on loopback; the fake Slack Web API they call runs in a
third. A closed-loop load generator (keep-alive connections, one per concurrent client) sends
correctly signed requests: `/fail <text>`, a record-modal submission and `/fail resume`. After the
`/fail <text>` levels it waits until every acknowledged record's Nice job has reached its
response_url and reports how long that backlog took to drain.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests import payloads
from tests.harness.config import REPO, TOKEN, reference_methods

SECRET = "bench-signing-secret"
ACK_DEADLINE_MS = 3000
DRAIN_WAIT = 120  # seconds: a Nice job later than this is reported missing


def run_fake_slack(connection) -> None:
    """In its own process: the fake Slack, answering `count` with the response_url posts it took."""
    from tests.fakes.server import FakeSlack

    with FakeSlack(REPO / "manifest.yml", reference_methods(), tokens=(TOKEN,)) as fake:
        connection.send(fake.url)
        while (request := connection.recv()) != "stop":
            if request == "nice_jobs":  # in place, or by DM where the response_url failed
                connection.send(len(fake.responses) + len(fake.calls_to("chat.postMessage")))
            else:
                connection.send(len(fake.calls))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return process, base
        except urllib.error.HTTPError:
            return process, base  # the bare app answers 404: it is up
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{command} did not start")


def bot_env(api_url: str, **more: str) -> dict[str, str]:
    """The bot's environment in a bench: the one workspace of the fake Slack, quiet logs."""
    env = {"PATH": os.environ.get("PATH", ""), "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET}
    return {**env, "SLACK_API_URL": api_url, "LOG_LEVEL": "WARNING", **more}


def start_clock(env: dict[str, str], cwd: Path) -> subprocess.Popen:
    """The clock, as `./scripts/run` starts it beside serve: it only enqueues."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "scheduler"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def rss_mib(leader: int) -> dict[str, float]:
    """Resident memory of a process and its children (gunicorn's master and worker, the consumer)."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        pid, ppid = int(fields["Pid"]), int(fields["PPid"])
        if (pid == leader or ppid == leader) and "VmRSS" in fields:
            role = "master" if pid == leader else f"child {pid}"
            found[role] = int(fields["VmRSS"].split()[0]) / 1024
    return found


def cpu_seconds(leader: int) -> dict[str, float]:
    """CPU time (user + system) of a process and each of its children alive now, by role."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == leader or ppid == leader:
            role = "serve" if pid == leader else ("worker" if "worker" in command else "web")
            found[role] = found.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return found


def load(base: str, make_body, concurrency: int, total: int) -> tuple[list[float], float, int, int]:
    """Closed loop: `concurrency` clients, each sending its next request when the last is answered.
    Returns the latencies, the seconds it took, how many were refused (not 200), and how many were
    not acknowledged in time (over 3 s, or refused)."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    refused = late = 0
    lock = threading.Lock()
    remaining = iter(range(total))

    def client() -> None:
        nonlocal refused, late
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for _ in remaining:
            body, content_type = make_body()
            headers = {"Content-Type": content_type, **payloads.sign(SECRET, body)}
            begin = time.perf_counter()
            connection.request("POST", "/slack/events", body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            elapsed = (time.perf_counter() - begin) * 1000
            with lock:
                latencies.append(elapsed)
                refused += answer.status != 200
                late += answer.status != 200 or elapsed > ACK_DEADLINE_MS
        connection.close()

    begin = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - begin, refused, late


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


WORKLOADS = {"text": "/fail <text>", "modal": "record-modal submission", "resume": "/fail resume"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--levels", default="1,16,64")
    parser.add_argument("--web-processes", type=int, default=1, help="the bot's WEB_CONCURRENCY (the floor keeps one)")
    parser.add_argument("--workloads", default="text,modal,resume", help="which of text, modal and resume to run")
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of SQLite (migrated first)")
    parser.add_argument("--redis-url", help="the task queue on Redis instead of a SQLite file")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]

    fake_end, bench_end = multiprocessing.Pipe()
    fake = multiprocessing.Process(target=run_fake_slack, args=(fake_end,), daemon=True)
    fake.start()
    api_url = bench_end.recv()
    responses = api_url.removesuffix("/api/") + "/response/"

    def received(what: str) -> int:
        bench_end.send(what)
        return bench_end.recv()

    def quiet() -> None:
        """Until the bot's work after its acks is done: no new Web API call for half a second."""
        seen = -1
        while (now := received("calls")) != seen:
            seen = now
            time.sleep(0.5)

    numbers = iter(range(10**9))  # a response_url takes 5 posts: one each
    workloads = {
        "/fail <text>": lambda: (
            payloads.slash_command(f"Load record {(n := next(numbers))}: it fell over", response_url=f"{responses}{n}"),
            "application/x-www-form-urlencoded",
        ),
        "record-modal submission": lambda: (
            payloads.interactive(payloads.view_submission(payloads.record_values(what=f"Modal {next(numbers)}"))),
            "application/x-www-form-urlencoded",
        ),
        "/fail resume": lambda: (
            payloads.slash_command("resume", response_url=f"{responses}{next(numbers)}"),
            "application/x-www-form-urlencoded",
        ),
    }
    env = bot_env(api_url, WEB_CONCURRENCY=str(args.web_processes))
    env.update({"DATABASE_URL": args.database_url} if args.database_url else {})
    env.update({"REDIS_URL": args.redis_url, "START_WORKER": "true"} if args.redis_url else {})
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], cwd=tmp, env=env, check=True)
        bot, bot_base = start([sys.executable, "-m", "bot.cli", "serve"], env, Path(tmp))
        bare, bare_base = start([sys.executable, "-m", "bench.bare_bolt"], {**env, "PYTHONPATH": str(REPO)}, REPO)
        clock = start_clock(env, Path(tmp))
        time.sleep(3)
        idle = rss_mib(bot.pid)
        clock_idle = rss_mib(clock.pid)
        print(
            f"{'workload':<26}{'c':>4}  {'bot p50/p95/p99 ms':>24}  {'floor p50/p95/p99 ms':>24}  "
            f"{'bot req/s':>9}  {'floor req/s':>11}  {'bot >3s':>7}"
        )
        try:
            for name in [WORKLOADS[short] for short in args.workloads.split(",")]:
                make_body = workloads[name]
                for concurrency in levels:
                    quiet()
                    before = received("nice_jobs")
                    cpu_before = cpu_seconds(bot.pid)
                    figures = {}
                    for label, base in (("floor", bare_base), ("bot", bot_base)):
                        latencies, seconds, refused, late = load(base, make_body, concurrency, args.requests)
                        ordered = sorted(latencies)
                        acknowledged = len(ordered) - refused
                        figures[label] = (
                            f"{statistics.median(ordered):6.0f} {percentile(ordered, 0.95):6.0f} "
                            f"{percentile(ordered, 0.99):6.0f}",
                            len(ordered) / seconds,
                            late,
                        )
                        if label == "bot":
                            acked_at = time.monotonic()
                    drain = ""
                    if name == "/fail <text>":
                        deadline = time.monotonic() + DRAIN_WAIT
                        while (delivered := received("nice_jobs") - before) < acknowledged:
                            if time.monotonic() > deadline:
                                break
                            time.sleep(0.05)
                        drain = (
                            f"  ({delivered} of {acknowledged} Nice jobs delivered, the last "
                            f"{time.monotonic() - acked_at:.1f} s after the last ack"
                        )
                        quiet()
                        cpu = {
                            role: (seconds - cpu_before.get(role, 0.0)) * 1000 / args.requests
                            for role, seconds in cpu_seconds(bot.pid).items()
                        }
                        parts = ", ".join(f"{role} {ms:.1f}" for role, ms in sorted(cpu.items()))
                        drain += f"; CPU per record {sum(cpu.values()):.1f} ms: {parts})"
                    print(
                        f"{name:<26}{concurrency:>4}  {figures['bot'][0]:>24}  {figures['floor'][0]:>24}  "
                        f"{figures['bot'][1]:9.0f}  {figures['floor'][1]:11.0f}  {figures['bot'][2]:>7}{drain}"
                    )
            loaded = rss_mib(bot.pid)
            print("\nresident memory (MiB), failure-resume serve (the master, its gunicorn worker, its task worker):")
            for role in sorted(set(idle) | set(loaded)):
                print(f"  {role:<14} idle {idle.get(role, 0):6.1f}   after the load {loaded.get(role, 0):6.1f}")
            clock_loaded = rss_mib(clock.pid)
            print(
                f"  {'clock':<14} idle {clock_idle.get('master', 0):6.1f}   "
                f"after the load {clock_loaded.get('master', 0):6.1f}"
            )
        finally:
            for process in (bot, bare, clock):
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
            bench_end.send("stop")
            fake.join(timeout=10)


if __name__ == "__main__":
    main()
