"""OAuth installs from any workspace or Enterprise Grid org, token rotation, uninstall, grace period and purge."""

from __future__ import annotations

import html
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from bot.commands.run_job import run_reflection_prompts
from bot.domain.retention import purge_workspace
from bot.scheduler import install_check_tick, workspace_tick
from bot.slack.installations import BOT_SCOPES, OPTIONAL_BOT_SCOPES
from bot.tasks.retention import purge_due
from storage.models import Entry, ProcessedEvent, Uninstall, WorkspaceSettings
from storage.types import Workspace
from tests.fakes.oauth import CLIENT_ID
from tests.harness.bot import BotHarness
from tests.harness.installs import install, install_page, installed_bots, oauth_env, record
from tests.harness.processes import run_cli
from tests.harness.waits import wait_until


@pytest.fixture
def app(fake_slack, database_url):
    harness = BotHarness(fake_slack, database_url, oauth=True)
    yield harness
    harness.close()


def entries_of(app, team: str) -> list[str]:
    with app.session_factory() as session:
        return list(session.scalars(select(Entry.what_happened).where(Entry.team_id == team).order_by(Entry.id)))


def stays(found, seconds: float = 0.5) -> bool:
    """For "nothing happened": long enough for a handler that was going to act to have acted."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not found():
            return False
        time.sleep(0.02)
    return True


# -- install ------------------------------------------------------------------------------


def test_the_install_page_asks_slack_for_the_least_scopes_with_a_signed_single_use_state(app):
    link, cookie = install_page(app)
    # Slack's authorize page, beside the Web API it is configured with (slack.com, slack-gov.com, the fake).
    assert link.startswith(app.fake.base + "/oauth/v2/authorize?")
    query = parse_qs(urlsplit(link).query)
    assert query["client_id"] == [CLIENT_ID]
    # The optional scope is asked for too; the workspace may decline it (manifest.yml's bot_optional).
    assert query["scope"][0].split(",") == [*BOT_SCOPES, *OPTIONAL_BOT_SCOPES]
    assert "user_scope" not in query or query["user_scope"] == [""]
    state = query["state"][0]
    issued, _, signature = state.rpartition(".")
    assert len(signature) == 64 and issued in cookie


def test_an_install_stores_the_workspace_token_and_the_workspace_can_use_the_app(app):
    answer = install(app, "T2", installer="U9")
    assert answer.status == 200, answer.body
    [(team, enterprise, token, refresh)] = installed_bots(app)
    assert (team, enterprise, refresh) == ("T2", None, None)
    assert app.fake.grants.check(token)[1] is None

    record(app, "Shipped a migration without a rollback", team="T2", key="t2")
    assert entries_of(app, "T2") == ["Shipped a migration without a rollback"]
    # Every call for T2's request used T2's own token.
    assert {call.team for call in app.fake.calls if call.method not in ("response", "oauth.v2.access")} == {"T2"}
    assert [i.workspace.team_id for i in app.installations()] == ["T2"]


def forged(state: str, cookie: str) -> tuple[str, str]:
    """A state whose row exists but whose signature is wrong, sent by the same browser."""
    bad = state[:-1] + ("0" if state[-1] != "0" else "1")
    return bad, cookie.replace(state, bad)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(forged, id="forged-signature"),
        pytest.param(lambda state, cookie: (state, "slack-app-oauth-state=someone-else"), id="other-browser"),
        pytest.param(lambda state, cookie: ("", cookie), id="missing"),
    ],
)
def test_an_install_with_a_bad_state_is_refused_and_stores_nothing(app, tamper):
    link, cookie = install_page(app)
    [state] = parse_qs(urlsplit(link).query)["state"]
    state, cookie = tamper(state, cookie)
    code = app.fake.grants.consent("T2")
    answer = app.get(f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie})
    assert answer.status >= 400
    assert installed_bots(app) == []
    assert app.fake.calls_to("oauth.v2.access", ok_only=False) == []


def test_a_state_cannot_be_used_twice(app):
    link, cookie = install_page(app)
    [state] = parse_qs(urlsplit(link).query)["state"]
    first = app.get(
        f"/slack/oauth_redirect?code={app.fake.grants.consent('T2')}&state={state}", headers={"Cookie": cookie}
    )
    again = app.get(
        f"/slack/oauth_redirect?code={app.fake.grants.consent('T3')}&state={state}", headers={"Cookie": cookie}
    )
    assert first.status == 200 and again.status >= 400
    assert [bot[0] for bot in installed_bots(app)] == ["T2"]


def test_the_install_page_passes_nothing_of_its_query_on_to_slack(app):
    page = app.get("/slack/install?team=T1%26user_scope%3Dchannels%3Ahistory")
    [link] = re.findall(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page.body.decode())
    query = parse_qs(urlsplit(html.unescape(link)).query)
    assert "channels:history" not in str(query) and "team" not in query


def test_a_user_token_slack_hands_over_is_never_stored(app):
    assert install(app, "T2", user_token=True).status == 200
    with app.engine.connect() as connection:
        [(user_token, scopes)] = connection.exec_driver_sql("SELECT user_token, user_scopes FROM slack_installations")
    assert user_token is None and not scopes


def test_a_workspace_that_never_installed_gets_no_service(app):
    install(app, "T2")
    assert app.command("I am not installed", team="T9", key="t9").status == 200
    [(_, answer)] = [r for r in app.fake.wait_for_responses() if r[0] == "t9"]
    assert "isn't installed in this workspace" in answer["text"]  # Bolt's answer, in our words
    assert entries_of(app, "T9") == []
    assert {call.team for call in app.fake.calls if call.team} <= {"T2"}


# -- token rotation -----------------------------------------------------------------------


def test_scheduled_work_refreshes_a_rotating_token_before_it_expires_and_stores_it(app):
    app.fake.grants.token_lifetime = 3600  # within the 3 hours before expiry that scheduled work refreshes in
    install(app, "T2", rotation=True)
    [(_, _, first_token, first_refresh)] = installed_bots(app)
    assert first_refresh

    [installed] = app.installations()
    [(_, _, token, refresh)] = installed_bots(app)
    assert token != first_token and refresh != first_refresh
    assert installed.client.token == token
    assert installed.client.auth_test()["team_id"] == "T2"
    refreshes = app.fake.calls_to("oauth.v2.access")
    assert refreshes[-1].args.get("grant_type") == "refresh_token"


def install_with_an_expired_token(app) -> str:
    app.fake.grants.token_lifetime = 1
    install(app, "T2", rotation=True)
    time.sleep(1.1)
    [(_, _, expired, _)] = installed_bots(app)
    assert app.fake.grants.check(expired)[1] == "token_expired"
    app.fake.grants.token_lifetime = 12 * 3600
    return expired


def test_an_expired_token_is_refreshed_by_scheduled_work(app):
    expired = install_with_an_expired_token(app)
    [installed] = app.installations()
    assert installed.client.auth_test()["team_id"] == "T2"
    [(_, _, fresh, _)] = installed_bots(app)
    assert fresh == installed.client.token != expired


def test_an_expired_token_is_refreshed_by_an_incoming_request(app):
    expired = install_with_an_expired_token(app)
    record(app, "Let a certificate expire", team="T2", key="t2")  # Bolt refreshes on the request
    [(_, _, fresh, _)] = installed_bots(app)
    assert fresh != expired and app.fake.grants.check(fresh)[1] is None
    assert not [c for c in app.fake.calls if c.error == "token_expired"]


def test_a_failed_refresh_skips_that_workspace_and_serves_the_others(app):
    install(app, "T2")
    app.fake.grants.token_lifetime = 60
    install(app, "T3", rotation=True)
    app.fake.queue_failure("oauth.v2.access", status=500)  # not retried: a refresh token works once
    assert [i.workspace.team_id for i in app.installations()] == ["T2"]
    assert sorted(i.workspace.team_id for i in app.installations()) == ["T2", "T3"]


# -- Enterprise Grid ----------------------------------------------------------------------


def test_an_org_wide_install_serves_each_workspace_of_the_org_with_data_kept_apart(app):
    assert install(app, None, enterprise_id="E1", org_wide=True).status == 200
    [(team, enterprise, _, _)] = installed_bots(app)
    assert (team, enterprise) == (None, "E1")

    record(app, "Paged the wrong team", team="T5", key="t5", enterprise="E1", org_wide=True)
    record(app, "Merged on red", team="T6", key="t6", enterprise="E1", org_wide=True)
    with app.session_factory() as session:
        rows = session.execute(select(Entry.enterprise_id, Entry.team_id, Entry.what_happened).order_by(Entry.id))
        assert [tuple(r) for r in rows] == [("E1", "T5", "Paged the wrong team"), ("E1", "T6", "Merged on red")]

    installed = app.installations()
    assert [(i.workspace.enterprise_id, i.workspace.team_id) for i in installed] == [("E1", "T5"), ("E1", "T6")]
    # The org token names the workspace it acts in, as Slack requires for users.list.
    run_reflection_prompts(app.tasks.runtime, datetime.now(UTC))
    assert sorted(call.args["team_id"] for call in app.fake.calls_to("users.list")) == ["T5", "T6"]
    assert not [call for call in app.fake.calls if not call.ok]


def test_an_org_wide_install_shows_each_person_the_home_of_their_own_workspace(app):
    install(app, None, enterprise_id="E1", org_wide=True)
    record(app, "Paged the wrong team", team="T5", key="t5", enterprise="E1", org_wide=True)
    published = len(app.fake.calls_to("views.publish"))
    # Slack names no team in the authorization of an org-wide install's event.
    home = {"type": "app_home_opened", "user": "U1", "tab": "home", "view": {"team_id": "T5"}}
    assert app.event(home, team="E1", enterprise="E1", org_wide=True).status == 200
    call = app.fake.wait_for("views.publish", count=published + 1)[-1]
    assert "Paged the wrong team" in json.dumps(call.args["view"])
    assert call.args["team_id"] == "T5"


def test_a_workspace_that_installs_on_its_own_keeps_its_data_when_its_org_removes_the_app(app):
    install(app, None, enterprise_id="E1", org_wide=True)
    record(app, "Paged the wrong team", team="T5", key="t5", enterprise="E1", org_wide=True)
    record(app, "Merged on red", team="T6", key="t6", enterprise="E1", org_wide=True)
    uninstall(app, None, enterprise="E1", org_wide=True)
    install(app, "T6", enterprise_id="E1")  # one workspace of the org installs the app itself
    assert [mark[0] for mark in purge_marks(app)] == [""]  # the org's mark stands
    assert purge_due(app.session_factory, app.installations, datetime.now(UTC) + timedelta(days=31))
    assert entries_of(app, "T5") == [] and entries_of(app, "T6") == ["Merged on red"]


def test_an_org_that_stops_granting_a_workspace_access_has_its_data_deleted_after_the_grace_period(app):
    install(app, None, enterprise_id="E1", org_wide=True)
    for team in ("T5", "T6", "T7"):
        record(app, f"Lesson from {team}", team=team, key=team, enterprise="E1", org_wide=True)
    revoked = {"type": "team_access_revoked", "team_ids": ["T5", "T6"]}
    assert app.event(revoked, team="E1", enterprise="E1", org_wide=True).status == 200
    wait_until(lambda: len(purge_marks(app)) == 2)
    granted = {"type": "team_access_granted", "team_ids": ["T6"]}
    assert app.event(granted, team="E1", enterprise="E1", org_wide=True).status == 200
    wait_until(lambda: [mark[0] for mark in purge_marks(app)] == ["T5"])
    purge_due(app.session_factory, app.installations, datetime.now(UTC) + timedelta(days=31))
    assert (entries_of(app, "T5"), entries_of(app, "T6"), entries_of(app, "T7")) == (
        [],
        ["Lesson from T6"],
        ["Lesson from T7"],
    )


# -- uninstall, reinstall, purge ----------------------------------------------------------


def uninstall(app, team: str | None, event: str = "app_uninstalled", **identity) -> None:
    app.fake.grants.uninstall(team, identity.get("enterprise"))
    body = {"type": event}
    if event == "tokens_revoked":
        body["tokens"] = {"bot": ["UBOT"]}
    assert app.event(body, team=team or "", **identity).status == 200
    wait_until(lambda: [m for m in purge_marks(app) if m[0] == (team or "")])
    wait_until(lambda: not [b for b in installed_bots(app) if b[:2] == (team, identity.get("enterprise"))])


def purge_marks(app) -> list[tuple]:
    with app.session_factory() as session:
        return [(m.team_id, m.purge_after - m.uninstalled_at) for m in session.scalars(select(Uninstall))]


def test_install_use_uninstall_reinstall_and_purge(app):
    install(app, "T2")
    install(app, "T3")
    record(app, "Dropped the production table", team="T2", key="a")
    record(app, "Forgot the on-call handover", team="T3", key="b")

    # Uninstalled: tokens gone at once, data kept for the grace period.
    uninstall(app, "T2")
    assert [bot[0] for bot in installed_bots(app)] == ["T3"]
    assert purge_marks(app) == [("T2", timedelta(days=30))]
    assert entries_of(app, "T2") == ["Dropped the production table"]
    assert [i.workspace.team_id for i in app.installations()] == ["T3"]

    # Reinstalled within the grace period: everything is still there and the purge is off.
    install(app, "T2")
    assert purge_marks(app) == []
    record(app, "Deployed on a Friday", team="T2", key="c")
    assert entries_of(app, "T2") == ["Dropped the production table", "Deployed on a Friday"]

    # Uninstalled again, and the grace period passes: T2's data goes, T3's stays.
    uninstall(app, "T2")
    now = datetime.now(UTC)
    assert purge_due(app.session_factory, app.installations, now + timedelta(days=29)) == {}
    assert entries_of(app, "T2") != []
    outcome = purge_due(app.session_factory, app.installations, now + timedelta(days=31))
    assert list(outcome) == ["T2"] and outcome["T2"].startswith("data deleted")
    assert entries_of(app, "T2") == []
    assert entries_of(app, "T3") == ["Forgot the on-call handover"]
    assert purge_marks(app) == []
    with app.session_factory() as session:
        assert (
            session.scalar(select(func.count()).select_from(WorkspaceSettings).where(WorkspaceSettings.team_id == "T2"))
            == 0
        )


def test_revoked_bot_tokens_count_as_an_uninstall_and_user_tokens_alone_do_not(app):
    install(app, "T2")
    app.event({"type": "tokens_revoked", "tokens": {"oauth": ["U1"]}}, team="T2")
    assert stays(lambda: purge_marks(app) == [] and len(installed_bots(app)) == 1)
    uninstall(app, "T2", event="tokens_revoked")
    assert installed_bots(app) == []
    assert [mark[0] for mark in purge_marks(app)] == ["T2"]


def test_an_org_wide_uninstall_purges_every_workspace_of_the_org_after_the_grace_period(app):
    install(app, None, enterprise_id="E1", org_wide=True)
    install(app, "T3")
    record(app, "Paged the wrong team", team="T5", key="t5", enterprise="E1", org_wide=True)
    record(app, "Rebooted the primary", team="T3", key="t3")
    uninstall(app, None, enterprise="E1", org_wide=True)
    assert [bot[0] for bot in installed_bots(app)] == ["T3"]
    purge_due(app.session_factory, app.installations, datetime.now(UTC) + timedelta(days=31))
    assert entries_of(app, "T5") == [] and entries_of(app, "T3") == ["Rebooted the primary"]


def test_a_purge_that_a_reinstall_overtook_deletes_nothing(app):
    install(app, "T2")
    record(app, "Dropped the production table", team="T2", key="a")
    assert purge_workspace(app.session_factory, Workspace("", "T2"), only_if_marked=True) is None
    assert entries_of(app, "T2") == ["Dropped the production table"]


def test_install_page_states_nobody_came_back_with_are_cleared(app):
    for _ in range(3):
        install_page(app)
    install(app, "T2")
    uninstall(app, "T2")  # something due, so that the retention run goes ahead
    purge_due(app.session_factory, app.installations, datetime.now(UTC) + timedelta(days=31))
    with app.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM slack_oauth_states").scalar() == 0


def test_one_workspace_with_a_dead_token_does_not_stop_the_others_scheduled_work(app):
    install(app, "T2")
    install(app, "T3")
    app.fake.grants.uninstall("T2")  # and Slack's event never arrived
    app.fake.users.update({"U1": {"id": "U1", "tz": "UTC"}})
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert workspace_tick(app.session_factory, app.installations, app.tasks, at, "me")
    app.drain()
    listed = {call.team: call.error for call in app.fake.calls_to("users.list", ok_only=False)}
    assert listed == {None: "token_revoked", "T3": None}


def test_an_uninstall_whose_event_never_came_is_noticed_and_its_data_deleted_after_the_grace_period(app):
    install(app, "T2")
    install(app, "T3")
    app.fake.grants.token_lifetime = 1
    install(app, "T4", rotation=True)  # expired, not removed: refreshed elsewhere, never taken for gone
    time.sleep(1.1)
    record(app, "Dropped the production table", team="T2", key="a")
    record(app, "Forgot the on-call handover", team="T3", key="b")
    app.fake.grants.uninstall("T2")  # the app was down when Slack sent app_uninstalled
    now = datetime.now(UTC)

    def notice(at):  # as the scheduler's hourly beat does, and a worker then
        acted = install_check_tick(app.session_factory, app.tasks, at, "me")
        app.drain()
        return acted

    assert notice(now)
    assert purge_marks(app) == [("T2", timedelta(days=30))]
    assert sorted(bot[0] for bot in installed_bots(app)) == ["T3", "T4"]
    assert notice(now + timedelta(hours=1)) and len(purge_marks(app)) == 1  # found once, not again
    purge_due(app.session_factory, app.installations, now + timedelta(days=31))
    assert entries_of(app, "T2") == [] and entries_of(app, "T3") == ["Forgot the on-call handover"]


def test_a_single_workspace_install_is_purged_only_once_its_token_is_gone(bot):
    bot.command("Forgot to renew the domain", key="k")
    bot.drain()

    def uninstall_single():
        bot.event({"type": "app_uninstalled"})
        wait_until(lambda: purge_marks(bot))

    uninstall_single()
    later = datetime.now(UTC) + timedelta(days=31)
    # The operator reinstalled with the same token still working: the data stays.
    assert purge_due(bot.session_factory, bot.installations, later) == {"T0001": "installed again, data kept"}
    assert entries_of(bot, "T0001") == ["Forgot to renew the domain"]
    uninstall_single()
    bot.fake.grants.uninstall("T0001")
    assert purge_due(bot.session_factory, bot.installations, later)["T0001"].startswith("data deleted")
    assert entries_of(bot, "T0001") == []


def test_the_grace_period_is_configurable(fake_slack, database_url):
    harness = BotHarness(fake_slack, database_url, oauth=True, uninstall_grace_days=7)
    try:
        install(harness, "T2")
        uninstall(harness, "T2")
        assert purge_marks(harness) == [("T2", timedelta(days=7))]
    finally:
        harness.close()


# -- Slack's retries ----------------------------------------------------------------------


def test_an_event_slack_retries_is_handled_once(bot):
    event = {"type": "app_home_opened", "user": "U1", "tab": "home"}
    assert bot.event(event, event_id="Ev42").status == 200
    bot.fake.wait_for("views.publish")
    retry = bot.event(
        event, event_id="Ev42", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status == 200
    assert bot.event(event, event_id="Ev43").status == 200
    bot.fake.wait_for("views.publish", count=2)
    time.sleep(0.3)
    assert len(bot.fake.calls_to("views.publish")) == 2


def test_events_are_remembered_for_a_day_only(bot):
    bot.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="Ev1")
    bot.fake.wait_for("views.publish")
    with bot.session_factory.begin() as session:
        session.execute(update(ProcessedEvent).values(received_at=datetime.now(UTC) - timedelta(days=2)))
    purge_due(bot.session_factory, bot.installations, datetime.now(UTC))
    with bot.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM processed_events").scalar() == 0


# -- the command line in OAuth mode ---------------------------------------------------------


def test_oauth_mode_tells_a_newcomer_what_is_still_missing(tmp_path):
    result = run_cli(tmp_path, "serve", SLACK_CLIENT_ID="1.2", SLACK_SIGNING_SECRET="s")
    assert result.returncode == 2
    assert "SLACK_CLIENT_SECRET:" in result.stderr and "SLACK_STATE_SECRET:" in result.stderr
    assert "TOKEN_ENCRYPTION_KEYS:" in result.stderr and "failure-resume generate-key" in result.stderr
    assert "SLACK_BOT_TOKEN" not in result.stderr
    assert "Traceback" not in result.stderr


def test_run_job_serves_every_installed_workspace_with_its_own_refreshed_token(app, tmp_path):
    install(app, "T2")
    app.fake.grants.token_lifetime = 600
    install(app, "T3", rotation=True)
    [(_, _, old_token, _)] = [bot for bot in installed_bots(app) if bot[0] == "T3"]
    app.fake.reset()

    result = run_cli(tmp_path, "run-job", "team-digest", **oauth_env(app, RETRO_CHANNEL="CRETRO"))
    assert result.returncode == 0, result.stderr
    assert "team-digest for T2: nothing" in result.stdout
    assert "team-digest for T3: nothing" in result.stdout
    [refresh] = app.fake.calls_to("oauth.v2.access")
    assert refresh.args["grant_type"] == "refresh_token"
    [(_, _, new_token, _)] = [bot for bot in installed_bots(app) if bot[0] == "T3"]
    assert new_token != old_token
    assert not [call for call in app.fake.calls if not call.ok]


def test_purge_workspace_deletes_a_workspaces_data_and_tokens_at_once_when_confirmed(app, tmp_path):
    install(app, "T2")
    install(app, "T3")
    record(app, "Dropped the production table", team="T2", key="a")
    record(app, "Forgot the on-call handover", team="T3", key="b")

    unconfirmed = run_cli(tmp_path, "purge-workspace", "T2", **oauth_env(app))
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert entries_of(app, "T2") == ["Dropped the production table"]

    confirmed = run_cli(tmp_path, "purge-workspace", "T2", "--yes", **oauth_env(app))
    assert confirmed.returncode == 0, confirmed.stderr
    assert "Deleted the data of workspace T2" in confirmed.stdout
    assert entries_of(app, "T2") == []
    assert [bot[0] for bot in installed_bots(app)] == ["T3"]
    assert entries_of(app, "T3") == ["Forgot the on-call handover"]


def test_purge_workspace_refuses_to_guess_and_says_when_nothing_was_deleted(app, tmp_path):
    install(app, None, enterprise_id="E1", org_wide=True)
    install(app, "T3")
    record(app, "Paged the wrong team", team="T5", key="t5", enterprise="E1", org_wide=True)
    record(app, "Rebooted the primary", team="T3", key="t3")

    no_team = run_cli(tmp_path, "purge-workspace", "", "--yes", **oauth_env(app))
    assert no_team.returncode == 2 and "team ID" in no_team.stderr
    unknown = run_cli(tmp_path, "purge-workspace", "T404", "--yes", **oauth_env(app))
    assert unknown.returncode == 1 and "nothing deleted" in unknown.stderr
    assert entries_of(app, "T5") and entries_of(app, "T3")

    # A Grid workspace is found in its org without --enterprise-id.
    grid = run_cli(tmp_path, "purge-workspace", "T5", "--yes", **oauth_env(app))
    assert grid.returncode == 0, grid.stderr
    assert "workspace T5 of enterprise E1" in grid.stdout
    assert entries_of(app, "T5") == [] and entries_of(app, "T3") == ["Rebooted the primary"]


def test_follow_ups_refreshing_one_token_at_once_all_get_a_working_token(app):
    """A refresh token works once: threads that read the token before another refreshed it must read
    it again, not refresh it a second time with the spent one."""
    app.fake.grants.token_lifetime = 3600  # every use refreshes it (within the hours before expiry)
    install(app, "T2", rotation=True)
    client_for = app.tasks.runtime.client_for
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda _: client_for(Workspace("", "T2")), range(8)))
    assert all(client.auth_test()["team_id"] == "T2" for client in clients)
    assert not [call for call in app.fake.calls if call.error == "invalid_refresh_token"]
