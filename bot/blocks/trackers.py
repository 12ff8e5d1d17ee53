"""The issue tracker in Block Kit: the settings' tracker section, the form that connects one, its
parser, and the answers about an action item's issue. Pure: plain values in, dicts out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.blocks.action_items import issue_link
from bot.blocks.common import button, context, escape, escape_within, input_block, modal, option, plain, section
from bot.blocks.state import selected_values, text_value
from bot.domain.trackers import Connected
from bot.i18n import N_, Translator
from bot.slack.ids import Action, Block, View
from bot.trackers import KINDS, NAMES, Access
from storage.models import ActionItem

REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
SITE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*/?")
JIRA_PROJECT = re.compile(r"[A-Z][A-Z0-9_]{0,9}")
LINEAR_TEAM = re.compile(r"[A-Z0-9]{1,10}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}")
SECRET = re.compile(r"\S{8,500}")


@dataclass(frozen=True)
class TrackerForm:
    access: Access
    webhook_secret: str | None


# -- the settings' section ----------------------------------------------------------------------


def tracker_section(t: Translator, connected: Connected | None, can_seal: bool) -> list[dict]:
    """What the settings show of the tracker: the connection (never its secret) and how to change it."""
    blocks = [section(t("*Issue tracker*: action items can become issues in GitHub, Jira or Linear."))]
    if connected is not None:
        where = escape(connected.target if connected.site is None else f"{connected.site} · {connected.target}")
        blocks.append(section(t("Connected to {tracker}: {where}", tracker=NAMES[connected.kind], where=where)))
        if connected.problem:
            blocks.append(context(t("The last check failed ({problem}): connect it again.", problem=connected.problem)))
        disconnect = option(t("Disconnect {tracker}", tracker=NAMES[connected.kind]), "yes")
        boxes = {"type": "checkboxes", "action_id": Action.TRACKER_DISCONNECT, "options": [disconnect]}
        blocks.append(input_block(Block.TRACKER_DISCONNECT, t("Disconnect"), boxes, optional=True))
    if not can_seal:
        blocks.append(
            context(
                t(
                    "To connect a tracker, the operator first sets TOKEN_ENCRYPTION_KEYS "
                    "(`failure-resume generate-key` makes one): its token is stored encrypted."
                )
            )
        )
        return blocks
    connect = [button(t("Connect {tracker}", tracker=NAMES[kind]), Action.CONNECT_TRACKER, kind) for kind in KINDS]
    blocks.append({"type": "actions", "elements": connect})
    return blocks


# -- connecting ----------------------------------------------------------------------------------


def build_tracker_modal(t: Translator, kind: str) -> dict:
    """The form that connects `kind`: where its issues go, and the token that may create them."""
    fields = {
        "github": [
            _text(Block.TRACKER_TARGET, t("Repository"), "owner/repository"),
            _text(Block.TRACKER_SECRET, t("Token that may create issues there"), "github_pat_…"),
        ],
        "jira": [
            _text(Block.TRACKER_SITE, t("Jira site"), "https://your-team.atlassian.net"),
            _text(Block.TRACKER_TARGET, t("Project key"), "OPS"),
            _text(Block.TRACKER_ACCOUNT, t("Email of the account the API token belongs to"), "name@example.com"),
            _text(Block.TRACKER_SECRET, t("API token"), ""),
        ],
        "linear": [
            _text(Block.TRACKER_TARGET, t("Team key"), "ENG"),
            _text(Block.TRACKER_SECRET, t("API key"), "lin_api_…"),
        ],
    }[kind]
    webhook = _text(Block.TRACKER_WEBHOOK_SECRET, t("Webhook secret (optional)"), "", optional=True)
    webhook["hint"] = plain(
        t(
            "So that closed issues come back as done: the secret of the webhook you point at /webhooks/{kind}. "
            "Left empty, the one given before is kept.",
            kind=kind,
        )
    )
    notice = context(
        t(
            "Tokens are stored encrypted and never shown again. Only an action item whose owner presses "
            "*Create issue* goes to {tracker}.",
            tracker=NAMES[kind],
        )
    )
    title = t("Connect {tracker}", tracker=NAMES[kind])
    return modal(View.TRACKER, title, t("Connect"), t("Back"), [*fields, webhook, notice], private_metadata=kind)


def _text(block_id: str, label: str, placeholder: str, optional: bool = False) -> dict:
    element = {"type": "plain_text_input", "action_id": Action.TRACKER_FIELD, "max_length": 500}
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return input_block(block_id, label, element, optional=optional)


def parse_tracker_submission(t: Translator, kind: str, values: object) -> tuple[TrackerForm | None, dict[str, str]]:
    """The connection a submission asks for, or errors keyed by block id."""
    read = lambda block: text_value(values, block, Action.TRACKER_FIELD)  # noqa: E731
    target, secret, site, account = read(Block.TRACKER_TARGET), read(Block.TRACKER_SECRET), None, None
    errors = {}
    if kind == "github" and (len(target) > 200 or not REPOSITORY.fullmatch(target)):
        errors[Block.TRACKER_TARGET] = t("Please give the repository as owner/name.")
    if kind == "jira":
        site, account, target = read(Block.TRACKER_SITE).rstrip("/"), read(Block.TRACKER_ACCOUNT), target.upper()
        if len(site) > 300 or not SITE.fullmatch(site):
            errors[Block.TRACKER_SITE] = t("Please give the site's address, like https://your-team.atlassian.net.")
        if len(account) > 254 or not EMAIL.fullmatch(account):
            errors[Block.TRACKER_ACCOUNT] = t("Please give an email address.")
        if not JIRA_PROJECT.fullmatch(target):
            errors[Block.TRACKER_TARGET] = t("Please give the project's key, like OPS.")
    if kind == "linear":
        target = target.upper()
        if not LINEAR_TEAM.fullmatch(target):
            errors[Block.TRACKER_TARGET] = t("Please give the team's key, like ENG.")
    if not SECRET.fullmatch(secret):
        errors[Block.TRACKER_SECRET] = t("Please paste the whole token, without spaces.")
    webhook = read(Block.TRACKER_WEBHOOK_SECRET) or None
    if webhook is not None and not SECRET.fullmatch(webhook):
        errors[Block.TRACKER_WEBHOOK_SECRET] = t("A webhook secret has 8 characters or more, without spaces.")
    if errors:
        return None, errors
    return TrackerForm(Access(kind, target, secret, site, account), webhook), {}


def wants_disconnect(values: object) -> bool:
    return selected_values(values, Block.TRACKER_DISCONNECT, Action.TRACKER_DISCONNECT) == ["yes"]


# -- an action item's issue ----------------------------------------------------------------------


def build_issue_made_message(t: Translator, item: ActionItem) -> dict:
    text = t(
        "Issue {link} is in {tracker} for: {item}. When it is closed, the action item is done.",
        link=issue_link(item),
        tracker=NAMES.get(item.issue_tracker or "", ""),
        item=escape_within(item.text, 500),
    )
    return {"text": text, "blocks": [section(text)]}


def build_issue_asking_message(t: Translator) -> dict:
    text = t("The issue is being created; you will see its link here in a moment.")
    return {"text": text, "blocks": [section(text)]}


def build_no_tracker_message(t: Translator) -> dict:
    text = t("No issue tracker is connected yet. An admin can connect GitHub, Jira or Linear in `/fail settings`.")
    return {"text": text, "blocks": [section(text)]}


NOT_TAKEN = N_("{tracker} would not take this item as an issue.")
REFUSALS = {
    "bad_credentials": N_("{tracker} refused the token. An admin can connect it again in `/fail settings`."),
    "forbidden": N_("{tracker} does not let the token create issues there. An admin can give it that permission."),
    "not_found": N_("{tracker} cannot find where the issue should go, or the token may not see it."),
    "issues_disabled": N_("Issues are turned off in that repository."),
    "gone": N_("{tracker} no longer takes issues there."),
    "private_address": N_(
        "The app calls a Jira site only over https at a public address (the operator can allow sites on the "
        "private network with JIRA_PRIVATE_SITES)."
    ),
    "unexpected": N_("The address given does not answer as {tracker}'s API does: please check it."),
    "keys": N_("The app cannot open the tracker's token: the operator's TOKEN_ENCRYPTION_KEYS changed."),
    "busy": N_("{tracker} is not answering right now."),
}


def build_issue_refused_message(t: Translator, tracker: str, reason: str) -> dict:
    why = REFUSALS.get(reason, NOT_TAKEN)
    text = (
        t(why, tracker=NAMES.get(tracker, tracker)) + " " + t("The action item is unchanged; you can try again later.")
    )
    return {"text": text, "blocks": [section(text)]}


def build_connection_checked_message(t: Translator, tracker: str, target: str, problem: str | None) -> dict:
    if problem is None:
        text = t(
            "{tracker} is connected: action items' issues go to {target}.",
            tracker=NAMES[tracker],
            target=escape(target),
        )
    else:
        why = REFUSALS.get(problem, NOT_TAKEN)
        text = t("{tracker} could not be connected.", tracker=NAMES[tracker]) + " " + t(why, tracker=NAMES[tracker])
    return {"text": text, "blocks": [section(text)]}
