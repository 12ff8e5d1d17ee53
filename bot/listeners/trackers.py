"""The issue tracker: an admin connects one from the settings, and anyone turns their action item
into an issue with *Create issue* (the Home, the monthly prompt, the entry's Action items form)."""

from __future__ import annotations

from bot.blocks.messages import ADMINS_ONLY, build_notice_modal
from bot.blocks.state import entry_id_value, pressed_value
from bot.blocks.trackers import (
    build_issue_asking_message,
    build_issue_made_message,
    build_no_tracker_message,
    build_tracker_modal,
    parse_tracker_submission,
)
from bot.domain import trackers
from bot.listeners.changes import change
from bot.listeners.modals import refused_unless_admin
from bot.listeners.registry import Listeners
from bot.slack.ids import Action, Block, View
from bot.tasks import follow_ups
from bot.trackers import KINDS

listen = Listeners()

ANSWERS = {"asking": build_issue_asking_message, "no_tracker": build_no_tracker_message}


@listen.action(Action.CONNECT_TRACKER)
def handle_connect_tracker(ack, body, client, user_id, people, modals, t) -> None:
    """From the settings modal: the tracker's form, pushed on top of it (the trigger is live)."""
    ack()
    kind = pressed_value(body)
    if kind not in KINDS:
        return

    def view() -> dict:
        allowed = people.is_admin(client, user_id)  # Slack's answer from when the settings opened
        return build_tracker_modal(t, kind) if allowed else build_notice_modal(t, t(ADMINS_ONLY))

    modals.push_view(body["trigger_id"], view)


@listen.view(View.TRACKER)
def handle_tracker_submission(ack, view, client, context, user_id, workspace, people, now, t, token_keys) -> None:
    kind = view.get("private_metadata")
    if kind not in KINDS:
        ack(
            response_action="update",
            view=build_notice_modal(t, t("This form is out of date. Please open Settings again.")),
        )
        return
    form, errors = parse_tracker_submission(t, kind, (view.get("state") or {}).get("values"))
    if form is not None and token_keys is None:
        errors = {
            Block.TRACKER_SECRET: t("The operator must set TOKEN_ENCRYPTION_KEYS first: tokens are stored encrypted.")
        }
    if errors:
        ack(response_action="errors", errors=errors)
        return
    if refused_unless_admin(ack, people, client, user_id, t):
        return
    with change(context) as made:
        trackers.connect(made.sf, workspace, token_keys, user_id, form.access, form.webhook_secret, now)
        made.promise(follow_ups.check_tracker, user_id=user_id)
    ack(response_action="clear")  # the settings beneath show the tracker as it was: close them too


@listen.action(Action.CREATE_ISSUE)
def handle_create_issue(ack, body, context, user_id, workspace, now, t) -> None:
    """Once however often it is pressed: the item is claimed for its issue, which a worker makes."""
    item_id = entry_id_value(pressed_value(body)) or 0  # an id, as an entry's is read
    response_url = body.get("response_url")
    with change(context) as made:
        asked = trackers.ask_for_issue(made.sf, workspace, user_id, item_id, now)
        if asked.outcome == "asked":
            where = dict(response_url=response_url, look_first=asked.look_first)
            made.promise(follow_ups.create_issue, user_id=user_id, item_id=item_id, **where)
        else:
            message = build_issue_made_message(t, asked.item) if asked.outcome == "made" else ANSWERS[asked.outcome](t)
            made.promise(follow_ups.answer, user_id=user_id, response_url=response_url, message=message)
    ack()
