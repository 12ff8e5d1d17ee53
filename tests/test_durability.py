"""The ack is a promise: once Slack has our 200, what the person wrote is stored, even if the
production server is killed the moment after (a dyno restart, an out-of-memory kill)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from tests import payloads
from tests.harness.config import TOKEN
from tests.harness.processes import post, serving, start_serving, stop_serving, workers
from tests.harness.waits import wait_until
from tests.rows import entries, seed

SECRET = "durability-secret"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
RECORDS = 80
CONCURRENCY = 16


def signed_post(base: str, body: bytes) -> int:
    return post(base + "/slack/events", body, {**FORM, **payloads.sign(SECRET, body)})


def test_every_acknowledged_quick_record_survives_a_kill_9_right_after_the_last_200(tmp_path, fake_slack):
    env = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.url)
    process, base = start_serving(tmp_path, **env)
    # Slack slow to take what comes after the ack: the Nice jobs are still to come at the kill.
    fake_slack.set_delay("response", 0.5)
    records, bodies = burst_of_quick_records(fake_slack, RECORDS)
    try:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = list(pool.map(lambda body: signed_post(base, body), bodies))
        [worker] = workers(process.pid)
        os.killpg(process.pid, signal.SIGKILL)  # the server and its worker process, as a dyno dies
        process.wait(timeout=10)
        wait_until(lambda: not alive(worker))
    finally:
        stop_serving(process)
    cut_off = claimed(tmp_path)
    acknowledged = {record for record, status in zip(records, statuses, strict=True) if status == 200}
    assert len(acknowledged) == RECORDS  # the acks no longer wait behind the work after other acks
    assert len(nice_jobs(fake_slack)) < len(acknowledged)  # the kill really cut the work after the acks short
    assert acknowledged <= stored_entries(tmp_path)

    # Restarted, the server finds every entry in its author's resume, and its worker sends every Nice
    # job still owed, those its threads were running at the kill included, and none twice.
    fake_slack.set_delay("response", 0)
    with serving(tmp_path, **env) as restarted:
        every_nice_job_sent(tmp_path, fake_slack, RECORDS, cut_off)
        resume = payloads.slash_command("resume", user="U3", response_url=fake_slack.response_url("resume"))
        assert signed_post(restarted, resume) == 200
        wait_until(lambda: any(key == "resume" for key, _ in fake_slack.responses))
    [message] = [message for key, message in fake_slack.responses if key == "resume"]
    mine = [text for user, text in acknowledged if user == "U3"]
    assert f"{len(mine)} entries" in str(message)  # the year's count: every one of U3's, and only U3's
    newest = max(mine, key=lambda text: int(text.split(":")[0].split()[-1]))
    assert newest.split(":")[0] + ":" in str(message)


def nice_jobs(fake_slack) -> list[str]:
    return [key for key, message in fake_slack.responses if key.startswith("burst") and "Nice job" in str(message)]


def every_nice_job_sent(tmp_path, fake_slack, count: int, cut_off: frozenset[str] = frozenset()) -> None:
    """Wait until every record's Nice job arrived and nothing is owed any more (the outbox is empty:
    no later copy can come), then check each arrived once. A Nice job in `cut_off` was claimed by a
    worker killed then: it reached Slack unless the kill fell during its very call (at most once for
    that message, as the README says), and it is never sent again."""
    expected = {f"burst{n}" for n in range(count)}
    wait_until(lambda: set(nice_jobs(fake_slack)) >= expected - cut_off and not owed(tmp_path), 120)
    sent = nice_jobs(fake_slack)
    assert expected - cut_off <= set(sent) <= expected
    assert len(sent) == len(set(sent)), [key for key in set(sent) if sent.count(key) > 1]  # none twice


def claimed(tmp_path) -> frozenset[str]:
    """The Nice jobs whose message a worker claimed and that are still in the outbox."""
    with sqlite3.connect(tmp_path / "failure_resume.db") as connection:
        rows = connection.execute("SELECT arguments FROM outbox WHERE sends > 0").fetchall()
    connection.close()
    return frozenset(json.loads(arguments)["response_url"].rsplit("/", 1)[-1] for (arguments,) in rows)


def owed(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "failure_resume.db") as connection:
        [(count,)] = connection.execute("SELECT COUNT(*) FROM outbox")
    connection.close()
    return count


def stored_entries(tmp_path) -> set[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "failure_resume.db") as connection:
        stored = set(connection.execute("SELECT user_id, what_happened FROM entries"))
    connection.close()
    return stored


def burst_of_quick_records(fake_slack, count: int) -> tuple[list[tuple[str, str]], list[bytes]]:
    records = [(f"U{n % 8}", f"Burst record {n}: the cache fell over 한국어 🙈") for n in range(count)]
    bodies = [
        payloads.slash_command(text, user=user, response_url=fake_slack.response_url(f"burst{n}"))
        for n, (user, text) in enumerate(records)
    ]
    return records, bodies


def test_sigterm_exits_cleanly_and_every_acknowledged_record_gets_its_nice_job_once(tmp_path, fake_slack):
    env = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.url)
    process, base = start_serving(tmp_path, **env)
    fake_slack.set_delay("response", 0.5)  # the Nice jobs are still on their way at the SIGTERM
    _records, bodies = burst_of_quick_records(fake_slack, RECORDS)
    try:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = list(pool.map(lambda body: signed_post(base, body), bodies))
        answered_before = len(fake_slack.responses)
        process.send_signal(signal.SIGTERM)  # a deploy
        output = process.communicate(timeout=60)[0]
    finally:
        stop_serving(process)
    assert process.returncode == 0, output
    assert statuses == [200] * RECORDS
    assert answered_before < RECORDS  # work was still in flight at the signal
    # The worker finished the tasks it was running; the rest waited in the outbox for the next start.
    fake_slack.set_delay("response", 0)
    with serving(tmp_path, **env):
        every_nice_job_sent(tmp_path, fake_slack, RECORDS)


def test_the_worker_alone_killed_mid_burst_is_restarted_and_every_nice_job_goes_out_once(tmp_path, fake_slack):
    env = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.url)
    fake_slack.set_delay("response", 0.3)
    records, bodies = burst_of_quick_records(fake_slack, RECORDS)
    process, base = start_serving(tmp_path, **env)
    try:
        [worker] = workers(process.pid)
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = pool.map(lambda body: signed_post(base, body), bodies)
            wait_until(lambda: len(fake_slack.responses) >= 3)  # mid-burst: some sent, most still owed
            os.kill(worker, signal.SIGKILL)
            wait_until(lambda: not alive(worker))
            cut_off = claimed(tmp_path)  # before `serve` starts another worker (a second or more later)
            statuses = list(statuses)
        assert statuses == [200] * RECORDS
        assert len(nice_jobs(fake_slack)) < RECORDS
        # `serve` starts a new worker, which takes over what the dead one held.
        wait_until(lambda: workers(process.pid) not in ([], [worker]))
        fake_slack.set_delay("response", 0)
        every_nice_job_sent(tmp_path, fake_slack, RECORDS, cut_off)
    finally:
        stop_serving(process)
    assert stored_entries(tmp_path) == set(records)


def alive(pid: int) -> bool:
    """Running still (a killed process its parent has not reaped yet is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_sigterm_stops_waiting_for_slack_after_the_grace_time(tmp_path, fake_slack):
    env = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.url)
    process, base = start_serving(tmp_path, SHUTDOWN_GRACE_SECONDS="1", **env)
    # Each record's work after the ack starts with a 4.5 s users.info (the date): far beyond the grace.
    fake_slack.set_delay("users.info", 4.5)
    records, bodies = burst_of_quick_records(fake_slack, 4)
    try:
        statuses = [signed_post(base, body) for body in bodies]
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        stop_serving(process)
    assert statuses == [200] * 4
    assert fake_slack.responses == []  # the server left before Slack answered
    with sqlite3.connect(tmp_path / "failure_resume.db") as connection:
        stored = set(connection.execute("SELECT user_id, what_happened FROM entries"))
    connection.close()
    assert stored == set(records)  # what was cut off was only the Nice jobs, never an entry


# -- every other change is made before its ack, too ----------------------------------------


def press(bot, action_id: str, value: str):
    button = payloads.button(action_id, value)
    return bot.interact(payloads.block_actions(button, response_url=bot.fake.response_url("press")))


def test_undo_and_share_are_made_by_the_time_slack_gets_the_200(bot):
    undone, shared = seed(bot, "Undo me", date(2024, 1, 1)), seed(bot, "Share me", date(2024, 1, 2))
    bot.fake.set_delay("response", 1.0)  # the answers after the acks are slow; the changes are not
    assert press(bot, "undo_button", str(undone)).status == 200
    assert [e.id for e in entries(bot)] == [shared]  # read at once: no waiting for a listener thread
    assert press(bot, "share_anonymously_button", str(shared)).status == 200
    assert [e.visibility for e in entries(bot)] == ["anonymous"]


def test_a_digest_nice_job_is_counted_by_the_time_slack_gets_the_200(bot):
    from tests.harness.digest import acknowledgements, post_digest, press, share

    entry_id = share(bot, "UAUTHOR", "named", "Broke the build")
    message = post_digest(bot)
    bot.fake.set_delay("chat.update", 1.0)  # the message's new count comes after the ack
    press(bot, message, entry_id, "UTEAMMATE")
    assert acknowledgements(bot) == 1


def test_delete_all_my_data_is_done_when_the_modal_closes(bot):
    seed(bot, "Mine", date(2024, 1, 1))
    bot.fake.set_delay("views.publish", 1.0)
    submission = payloads.view_submission({}, callback_id="delete_all_data_modal")
    assert bot.interact(submission).status == 200
    assert entries(bot) == []
