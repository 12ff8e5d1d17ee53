"""One workspace per request, on every surface: a person of another workspace (team T2, the same user
ID as in T1, as in Enterprise Grid or Slack Connect) whose requests reach the app through T1's
installation gets a clear answer, and nothing of theirs is stored under T1 or anywhere else."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from bot.blocks.messages import NOT_INSTALLED
from tests import payloads
from tests.harness.bot import BotHarness
from tests.harness.installs import install
from tests.rows import entries, seed

T1, T2 = payloads.TEAM, "T0002"


def through_t1(payload: dict) -> dict:
    """What Slack sends when a T2 person's modal or Home was opened by T1's installation."""
    payload["view"]["app_installed_team_id"] = T1
    return payload


def quick_record(bot):
    return bot.command("Quick from T2: I dropped the table", team=T2, key="t2-cmd")


def modal_record(bot):
    values = payloads.record_values(what="Modal from T2: the deploy broke")
    return bot.interact(through_t1(payloads.view_submission(values, team=T2)))


def home_button(bot):
    action = payloads.button("record_button")
    return bot.interact(through_t1(payloads.block_actions(action, team=T2, container="view")))


def shortcut(bot):
    return bot.interact(payloads.message_shortcut("From T2's channel", team=T2, response_url=bot.fake.response_url()))


def home_opened(bot):
    return bot.event({"type": "app_home_opened", "user": "U1", "tab": "home", "channel": "D1"}, team=T2)


SURFACES = {"command": quick_record, "modal": modal_record, "home": home_button, "shortcut": shortcut}


@pytest.fixture(params=["single workspace", "oauth"])
def bot(request, fake_slack, database_url):
    harness = BotHarness(fake_slack, database_url, oauth=request.param == "oauth")
    if request.param == "oauth":
        assert install(harness, T1).status == 200
        fake_slack.reset()
    yield harness
    harness.close()


def what_the_person_saw(bot, answer) -> list[str]:
    """The ack's body, and every modal and response_url message they were shown, as text."""
    time.sleep(0.3)
    shown = [answer.body.decode()]
    shown += [json.dumps(c.args["view"]) for c in bot.fake.calls if c.method in ("views.open", "views.update")]
    shown += [json.dumps(message) for _key, message in bot.fake.responses]
    return [text for text in shown if text]


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_a_person_of_another_workspace_gets_a_clear_answer_and_nothing_is_stored(bot, surface):
    answer = SURFACES[surface](bot)
    assert answer.status == 200
    [shown] = what_the_person_saw(bot, answer)  # one answer, and it is this one
    assert NOT_INSTALLED.replace("'", "") in shown.replace("\\u2019", "").replace("'", "")
    assert entries(bot) == []
    assert bot.fake.calls_to("views.publish") == []


def test_an_event_from_another_workspace_shows_nothing_there(bot):
    seed(bot, "T1's own", date(2024, 1, 1), team=T1)
    assert home_opened(bot).status == 200
    time.sleep(0.3)
    assert bot.fake.calls_to("views.publish") == []


def test_the_scenario_a_quick_entry_and_a_modal_entry_from_t2_never_reach_t1s_resume(bot):
    quick_record(bot)
    modal_record(bot)
    answered = len(bot.fake.responses)  # OAuth mode: Bolt's not-installed answer went by response_url
    bot.command("resume", team=T1, key="t1-resume")
    bot.fake.wait_for_responses(answered + 1)
    resume = dict(bot.fake.responses)["t1-resume"]
    assert "from T2" not in json.dumps(resume) and "empty so far" in resume["text"]
    assert entries(bot) == []
    # The person's own workspace is served as ever.
    bot.command("Recorded in T1", team=T1, key="t1-cmd")
    bot.drain()
    assert [(e.team_id, e.what_happened) for e in entries(bot)] == [(T1, "Recorded in T1")]
