"""What an ack promises, one function each: a listener calls `follow_ups.nice_job(session, ws, …)`,
which writes the outbox row in the caller's transaction (bot.tasks.outbox: the durable promise); a
worker then runs the row's body, found in FOLLOW_UPS by the name the row keeps. Passing trouble is
tried again; each tells the person, in place or in their DM, if it fails for good."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, Generic, ParamSpec

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.tasks import after_ack, imports, lessons_canvas, meanings, trackers, year_review
from bot.tasks.outbox import ASKED, BACKGROUND, WAITING, promise
from bot.tasks.runtime import Runtime
from storage.types import Workspace

P = ParamSpec("P")


@dataclass(frozen=True)
class FollowUp(Generic[P]):
    name: str  # kept on the outbox row: renaming one needs a migration of the stored rows
    body: Callable[Concatenate[Runtime, WebClient, Workspace, P], None]
    priority: int = WAITING

    def __call__(self, session: Session, ws: Workspace, *positional: P.args, **arguments: P.kwargs) -> None:
        """Promised in the caller's transaction: it exists exactly when the change does. Arguments
        are named and plain (IDs, dates, message dicts), stored as JSON."""
        if positional:
            raise TypeError(f"the follow-up {self.name} takes its arguments by name")
        promise(session, ws, self.name, self.priority, **arguments)


nice_job = FollowUp("nice_job", after_ack.send_nice_job)
answer = FollowUp("answer", after_ack.send_answer)
refresh_home = FollowUp("refresh_home", after_ack.refresh_home, BACKGROUND)
open_home = FollowUp("open_home", after_ack.open_home, ASKED)
search_home = FollowUp("search_home", after_ack.refresh_home, ASKED)
resume = FollowUp("resume", after_ack.send_resume, ASKED)
search = FollowUp("search", after_ack.send_search, ASKED)
earlier_lessons = FollowUp("earlier_lessons", after_ack.show_earlier_lessons, ASKED)
export = FollowUp("export", after_ack.send_export)
shared_export = FollowUp("shared_export", after_ack.send_shared_export)
post_digest_now = FollowUp("post_digest_now", after_ack.post_digest_now)
pass_on_nice_job = FollowUp("pass_on_nice_job", after_ack.pass_on_nice_job)
read_shared_file = FollowUp("read_shared_file", imports.read_shared_file)
finish_import = FollowUp("finish_import", imports.finish_import)
show_import_preview = FollowUp("show_import_preview", imports.show_import_preview, ASKED)
year_review_now = FollowUp("year_review", year_review.send_year_review_now)
embed_entry = FollowUp("embed_entry", meanings.embed_entry, BACKGROUND)
create_issue = FollowUp("create_issue", trackers.create_issue, ASKED)
check_tracker = FollowUp("check_tracker", trackers.check_connection, ASKED)
item_done = FollowUp("item_done", trackers.tell_item_done)
refresh_canvas = FollowUp("refresh_canvas", lessons_canvas.refresh_lessons_canvas, BACKGROUND)

# What a worker runs, by the name an outbox row keeps.
FOLLOW_UPS: dict[str, FollowUp] = {
    each.name: each
    for each in (
        nice_job,
        answer,
        refresh_home,
        open_home,
        search_home,
        resume,
        search,
        earlier_lessons,
        export,
        shared_export,
        post_digest_now,
        pass_on_nice_job,
        read_shared_file,
        finish_import,
        show_import_preview,
        year_review_now,
        embed_entry,
        create_issue,
        check_tracker,
        item_done,
        refresh_canvas,
    )
}
# A web process of the version before the rename may still write its old name during a deploy.
FOLLOW_UPS["welcome_entry"] = nice_job
