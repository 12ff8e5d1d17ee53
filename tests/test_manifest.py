"""manifest.yml: valid for Slack, and in step with the code that answers what it declares."""

from __future__ import annotations

import copy
import json
import time
import tomllib

import pytest
import yaml
from jsonschema.validators import validator_for

from bot.blocks.fail_command import SUBCOMMANDS
from bot.slack.ids import Command, Shortcut
from bot.slack.installations import BOT_SCOPES, OPTIONAL_BOT_SCOPES
from bot.slack.web import SLACK_PATH
from tests import payloads
from tests.harness.config import REPO, SLACK_REFERENCE

MANIFEST = yaml.safe_load((REPO / "manifest.yml").read_text())
SCHEMA_PATH = SLACK_REFERENCE / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"Slack reference data not found at {SLACK_REFERENCE} (a clone outside the team)")
    schema = json.loads(SCHEMA_PATH.read_text())
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def problems(validator, manifest: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]


def test_manifest_validates_against_slacks_schema(validator):
    assert problems(validator, MANIFEST) == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda m: m["features"]["slash_commands"][0].pop("description"),
        lambda m: m["features"]["shortcuts"][0].update(type="sideways"),
        lambda m: m.update(unknown_section={}),
    ],
    ids=["command-without-description", "unknown-shortcut-type", "unknown-top-level-key"],
)
def test_the_schema_check_really_catches_mistakes(validator, break_it):
    broken = copy.deepcopy(MANIFEST)
    break_it(broken)
    assert problems(validator, broken) != []


def test_slash_command_matches_the_code():
    commands = MANIFEST["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [Command.FAIL.value]
    for word in SUBCOMMANDS:
        assert word in commands[0]["usage_hint"]


def test_message_shortcut_matches_the_code():
    shortcuts = MANIFEST["features"]["shortcuts"]
    assert [(s["type"], s["callback_id"]) for s in shortcuts] == [("message", Shortcut.RECORD_LESSON.value)]


def test_app_home_is_enabled_for_the_home_tab():
    app_home = MANIFEST["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True


def test_every_request_url_ends_in_the_slack_path():
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    settings = MANIFEST["settings"]
    urls += [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert settings["interactivity"]["is_enabled"] is True
    assert len(urls) == 3
    for url in urls:
        assert url.startswith("https://") and url.endswith(SLACK_PATH), url
    assert SLACK_PATH == "/slack/events"


def test_every_declared_bot_event_is_handled_and_an_undeclared_one_is_only_acknowledged(bot):
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert events == ["app_home_opened", "app_uninstalled", "tokens_revoked", "message.im"]
    for event_type in events:
        # message.im is delivered as a "message" event from a DM.
        kind = {"type": "message", "channel_type": "im"} if event_type == "message.im" else {"type": event_type}
        answer = bot.event({**kind, "user": "U1", "tab": "home", "channel": "D0001", "event_ts": "1700000000.000100"})
        assert answer.status == 200, event_type
    bot.fake.wait_for("views.publish")
    bot.fake.wait_for("chat.postMessage")  # the DM's hint, to a message typed there
    bot.fake.reset()
    undeclared = bot.event(
        {"type": "reaction_added", "user": "U1", "reaction": "tada", "event_ts": "1700000000.000200"}
    )
    # 200, so that Slack never counts it as a failed delivery, and nothing done.
    assert undeclared.status == 200
    time.sleep(0.2)
    assert bot.fake.calls == []


def test_the_declared_shortcut_and_command_are_handled(bot):
    answer = bot.interact(payloads.message_shortcut("We broke it", response_url=bot.fake.response_url("s")))
    assert answer.status == 200
    assert bot.fake.wait_for_views()[0]["callback_id"] == "record_entry_modal"
    assert bot.command("help").status == 200


def test_the_oauth_install_asks_for_the_manifests_scopes_and_returns_to_the_redirect_path():
    assert tuple(MANIFEST["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert tuple(MANIFEST["oauth_config"]["scopes"]["bot_optional"]) == OPTIONAL_BOT_SCOPES
    assert "user" not in MANIFEST["oauth_config"]["scopes"]  # no user tokens, ever
    [redirect] = MANIFEST["oauth_config"]["redirect_urls"]
    assert redirect.startswith("https://") and redirect.endswith("/slack/oauth_redirect")


def test_every_scope_is_explained_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for scope in BOT_SCOPES + OPTIONAL_BOT_SCOPES:
        assert f"`{scope}`" in readme, scope


def test_socket_mode_is_off_for_the_http_manifest():
    assert MANIFEST["settings"]["socket_mode_enabled"] is False


def test_procfile_runs_the_web_server_and_migrates_on_release():
    procfile = REPO / "Procfile"
    if not procfile.exists():
        pytest.skip("no Procfile in this checkout")
    lines = dict(
        line.split(":", 1) for line in procfile.read_text().splitlines() if line.strip() and not line.startswith("#")
    )
    assert lines.keys() >= {"web", "release"}
    assert lines["web"].split() == ["failure-resume", "serve"]
    assert lines["release"].split() == ["failure-resume", "migrate"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["failure-resume"] == "bot.cli:main"
