"""A person's data rights from the App Home: delete all my data, and the admins' export of shared entries."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.data_rights import build_data_deleted_message, build_delete_all_data_modal
from bot.domain.data_rights import delete_all_my_data
from bot.listeners.flows import change, promise, translator_for, workspace_of
from bot.slack.errors import reported
from bot.slack.ids import Action, View
from bot.tasks import follow_ups


def handle_delete_all_data_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=build_delete_all_data_modal(translator_for(context)))


def handle_delete_all_data_submission(ack: Ack, body: dict, context: BoltContext) -> None:
    user_id = body["user"]["id"]
    # Only the submitter's own data, in the workspace the request came from; nothing is read from the view.
    t = translator_for(context)  # before the deletion, which takes the person's language with it
    with change(context) as made:
        removed = delete_all_my_data(made.sf, workspace_of(context), user_id)
        message = build_data_deleted_message(t, removed["entries"])
        made.promise(follow_ups.answer, user_id=user_id, response_url=None, message=message, home=True)
    ack()  # after the deletion: the modal closes once it is done


def handle_export_shared_button(ack: Ack, body: dict, context: BoltContext) -> None:
    promise(context, follow_ups.shared_export, user_id=body["user"]["id"], response_url=None, now=context["clock"]())
    ack()


def register(app: App) -> None:
    app.action(Action.DELETE_ALL_DATA)(reported(handle_delete_all_data_button))
    app.view(View.DELETE_ALL_DATA)(reported(handle_delete_all_data_submission))
    app.action(Action.EXPORT_SHARED)(reported(handle_export_shared_button))
