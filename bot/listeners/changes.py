"""A request's change and the follow-ups it promises, in one unit of work written before the ack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from slack_bolt import BoltContext
from sqlalchemy.orm import Session

from storage.db import OneSession

if TYPE_CHECKING:
    from bot.tasks.follow_ups import FollowUp
    from storage.types import Workspace


class NoWorkspace(ValueError):
    """A request that names no workspace at all: nothing may be stored or shown for it."""


def workspace_of(context: BoltContext) -> Workspace:
    """The request's workspace, by the one rule of bot.slack.tenancy (set by the app's middleware)."""
    return named(context.get("workspace"))


def named(ws: Workspace | None) -> Workspace:
    if ws is None:
        raise NoWorkspace("the request names neither an enterprise nor a team")
    return ws


class Change:
    """A request's change and the follow-ups it promises, in one transaction: services called with
    `sf` make their change in it, `promise` adds to it, and it commits once, when the `with change(…)`
    block ends, before the ack. So a crash leaves both or neither."""

    def __init__(self, context: BoltContext, session: Session) -> None:
        self.context, self.session = context, session
        self.sf = OneSession(session)

    def promise(self, follow_up: FollowUp, **arguments) -> None:
        follow_up(self.session, workspace_of(self.context), **arguments)


@contextmanager
def change(context: BoltContext) -> Iterator[Change]:
    with context["session_factory"].begin() as session:
        yield Change(context, session)


def promise(context: BoltContext, follow_up: FollowUp, **arguments) -> None:
    """Promise the request's work after its ack: a row in the outbox (bot.tasks.outbox), written
    before the ack, which a worker then does. What a change promises is written with the change
    instead (`change`, or services' `then` for a new entry)."""
    with change(context) as made:
        made.promise(follow_up, **arguments)


def in_place(body: dict, message: dict, home: bool = True) -> dict:
    """An answer's arguments: `message` in place of the one pressed, and with `home` the Home tab follows."""
    where = dict(response_url=body.get("response_url"), replace_original=True, home=home)
    return dict(user_id=body["user"]["id"], message=message, **where)
