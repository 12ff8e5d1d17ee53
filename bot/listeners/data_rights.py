"""A person's data rights from the App Home: delete all my data, and the admins' export of shared entries."""

from __future__ import annotations

from bot.blocks.data_rights import build_data_deleted_message, build_delete_all_data_modal
from bot.domain.data_rights import delete_all_my_data
from bot.listeners.changes import change, promise
from bot.listeners.registry import Listeners
from bot.slack.ids import Action, View
from bot.tasks import follow_ups

listen = Listeners()


@listen.action(Action.DELETE_ALL_DATA)
def handle_delete_all_data_button(ack, body, modals, t) -> None:
    ack()
    modals.open_view(body["trigger_id"], lambda: build_delete_all_data_modal(t))


@listen.view(View.DELETE_ALL_DATA)
def handle_delete_all_data_submission(ack, context, user_id, workspace, t) -> None:
    # Only the submitter's own data, in the workspace the request came from; nothing is read from the view.
    their_words = t.translator()  # before the deletion, which takes the person's language with it
    with change(context) as made:
        removed = delete_all_my_data(made.sf, workspace, user_id)
        made.promise(follow_ups.refresh_canvas)  # their lessons leave the canvas now
        message = build_data_deleted_message(their_words, removed["entries"])
        made.promise(follow_ups.answer, user_id=user_id, response_url=None, message=message, home=True)
    ack()  # after the deletion: the modal closes once it is done


@listen.action(Action.EXPORT_SHARED)
def handle_export_shared_button(ack, context, user_id, now) -> None:
    promise(context, follow_ups.shared_export, user_id=user_id, response_url=None, now=now)
    ack()
