"""The outbox: what an ack promises is stored with the change, handed to the queue by the relay, done at
least once (a worker that died leaves it to be handed over again) and shown once."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text, update

from bot.tasks import follow_ups
from storage.models import FollowUp
from storage.repository import outbox as outbox_store
from storage.types import Workspace
from tests import payloads
from tests.harness.waits import wait_until
from tests.rows import entries, seed


def rows(bot) -> list[FollowUp]:
    with bot.session_factory() as session:
        return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


def nice_jobs(bot, key: str) -> list[dict]:
    return [message for k, message in bot.fake.responses if k == key and "Nice job" in str(message)]


def test_a_record_and_its_nice_job_are_stored_together_and_the_row_holds_no_words(bot):
    bot.stop_worker()
    assert bot.command("Dropped the staging database <!channel>", key="quick").status == 200
    [entry] = entries(bot)
    [row] = rows(bot)
    assert (row.task, row.team_id, row.leased_until) == ("nice_job", entry.team_id, None)
    assert row.arguments["entry_id"] == entry.id and row.arguments["user_id"] == "U1"
    assert "staging" not in str(row.arguments)  # what the task needs, not the person's words
    bot.start_worker()
    [message] = [m for _k, m in bot.fake.wait_for_responses()]
    assert "Nice job" in str(message)
    wait_until(lambda: rows(bot) == [])  # done: gone


def test_a_follow_up_whose_worker_died_is_handed_over_again_when_its_lease_ends_and_sent_once(bot):
    bot.stop_worker()
    assert bot.command("Merged without review", key="lost").status == 200
    # A worker took it (lease 1), then died: nothing renews its lease, which has just run out.
    with bot.session_factory.begin() as session:
        now = datetime.now(UTC)
        [(row_id, lease, _priority)] = outbox_store.lease_due(session, now, now - timedelta(seconds=1), 10)
    assert lease == 1
    bot.start_worker()
    wait_until(lambda: nice_jobs(bot, "lost") and rows(bot) == [])
    # The dead worker's copy on the queue, should it still come, finds a newer hand-off and does nothing.
    bot.tasks.follow_up(row_id, lease)
    bot.drain()
    assert len(nice_jobs(bot, "lost")) == 1


def test_a_follow_up_run_again_after_its_message_was_claimed_does_not_show_it_twice(bot):
    bot.stop_worker()
    assert bot.command("Shipped the wrong build", key="twice").status == 200
    # An earlier run claimed the message and died before it deleted the row: the next run must not repeat it.
    with bot.session_factory.begin() as session:
        session.execute(update(FollowUp).values(sends=1))
    bot.start_worker()
    wait_until(lambda: rows(bot) == [])
    bot.drain()
    assert nice_jobs(bot, "twice") == []


def test_what_a_person_asks_for_goes_before_a_backlog_of_earlier_work(bot):
    bot.stop_worker()
    ws = Workspace("", payloads.TEAM)
    with bot.session_factory.begin() as session:  # what a burst of changes left: their Homes to refresh
        for n in range(5):
            follow_ups.refresh_home(session, ws, user_id=f"U{n}")
    assert bot.command("resume", key="asked").status == 200
    bot.start_worker()
    wait_until(lambda: len(bot.fake.calls_to("views.publish")) == 5 and bot.fake.responses)
    order = [call.method for call in bot.fake.calls if call.method in ("views.publish", "response")]
    assert order == ["response"] + ["views.publish"] * 5  # the resume, asked last, answered first


@contextmanager
def outbox_refusing_rows(bot):
    """Every new outbox row refused by the database itself, as a failed write would be."""
    with bot.session_factory.begin() as session:
        if session.bind.dialect.name == "sqlite":
            session.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'no'); END"))
        else:
            session.execute(text("ALTER TABLE outbox ADD CONSTRAINT refuse CHECK (false) NOT VALID"))
    try:
        yield
    finally:
        with bot.session_factory.begin() as session:
            if session.bind.dialect.name == "sqlite":
                session.execute(text("DROP TRIGGER refuse"))
            else:
                session.execute(text("ALTER TABLE outbox DROP CONSTRAINT refuse"))


def press(bot, action_id: str, value: str, key: str):
    button = payloads.button(action_id, value)
    return bot.interact(payloads.block_actions(button, response_url=bot.fake.response_url(key)))


def test_a_change_and_the_answer_it_promises_are_stored_together_or_not_at_all(bot):
    undone, shared = seed(bot, "Undo me", date(2024, 1, 1)), seed(bot, "Share me", date(2024, 1, 2))
    with outbox_refusing_rows(bot):
        assert press(bot, "undo_button", str(undone), key="undo").status == 200
        assert press(bot, "share_anonymously_button", str(shared), key="share").status == 200
        # Neither change is made without its answer; each person hears that it did not go through.
        assert [(e.id, e.visibility) for e in entries(bot)] == [(undone, "private"), (shared, "private")]
        answers = dict(bot.fake.wait_for_responses(2))
        assert "Nothing you saved was lost" in answers["undo"]["text"]
        assert "Nothing you saved was lost" in answers["share"]["text"]
    assert rows(bot) == []
    # Once the outbox takes rows again, the same presses make the changes and answer them.
    assert press(bot, "share_anonymously_button", str(shared), key="again").status == 200
    assert [(e.id, e.visibility) for e in entries(bot)] == [(undone, "private"), (shared, "anonymous")]
    wait_until(lambda: any(k == "again" and "Nice job" in str(m) for k, m in bot.fake.responses))
