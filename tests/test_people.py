"""What users.info says about people: answers kept, Slack's "no" and its silence too (for less
time), and one call at a time for each person however many threads ask."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.api import build_web_client
from bot.slack.people import People
from tests.harness.config import TOKEN

THREADS = 8


def asked(fake) -> int:
    return len(fake.calls_to("users.info", ok_only=False))


def all_at_once(ask) -> list:
    """What `ask()` returned or raised in each of THREADS threads started together."""
    start, outcomes = threading.Barrier(THREADS), []

    def run() -> None:
        start.wait()
        try:
            outcomes.append(ask())
        except SlackApiError as error:
            outcomes.append(error.response["error"])

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting for its answer"
    return outcomes


def test_threads_asking_about_one_person_at_once_share_one_call(fake_slack):
    fake_slack.users["U1"] = {"id": "U1", "team_id": "T0001", "name": "ada", "real_name": "Ada Lovelace"}
    fake_slack.set_delay("users.info", 1)  # the first call is still out when the others ask
    people, client = People(), build_web_client(TOKEN, fake_slack.url)
    assert all_at_once(lambda: people.display_name(client, "U1")) == ["Ada Lovelace"] * THREADS
    assert asked(fake_slack) == 1


def test_threads_asking_about_someone_slack_does_not_know_share_one_call_and_its_answer(fake_slack):
    fake_slack.set_delay("users.info", 1)
    fake_slack.queue_failure("users.info", error="user_not_found")
    people, client = People(), build_web_client(TOKEN, fake_slack.url)
    assert all_at_once(lambda: people.info(client, "U404")) == ["user_not_found"] * THREADS
    assert asked(fake_slack) == 1


def test_someone_slack_does_not_know_is_asked_about_once_in_the_window_then_again(fake_slack):
    fake_slack.queue_failure("users.info", error="user_not_found")  # once: then Slack knows them
    people, client = People(refused_seconds=1), build_web_client(TOKEN, fake_slack.url)
    for _ in range(3):
        with pytest.raises(SlackApiError) as refused:
            people.info(client, "U404")
        assert refused.value.response["error"] == "user_not_found"
    assert people.locale(client, "U404") is None  # what falls back reads the kept "no" too
    assert asked(fake_slack) == 1

    deadline = time.monotonic() + 30
    while True:  # once the window has passed, Slack is asked again
        try:
            user = people.info(client, "U404")
            break
        except SlackApiError:
            assert time.monotonic() < deadline, "Slack was never asked again"
            time.sleep(0.05)
    assert user["id"] == "U404"
    assert asked(fake_slack) == 2


def test_slack_not_answering_is_kept_briefly_and_a_fresh_check_still_asks(fake_slack):
    for _ in range(3):  # the first call and both of the client's retries
        fake_slack.queue_failure("users.info", status=500)
    fake_slack.users["U1"] = {"id": "U1", "team_id": "T0001", "name": "ada", "is_admin": True}
    people, client = People(), build_web_client(TOKEN, fake_slack.url)
    for _ in range(3):
        with pytest.raises(SlackApiError):
            people.is_admin(client, "U1")
    assert asked(fake_slack) == 3  # one lookup: the flood of questions made no more calls
    assert people.is_admin(client, "U1", fresh=True)  # a gate asks Slack now
    assert people.is_admin(client, "U1")  # and its answer is kept
    assert asked(fake_slack) == 4
