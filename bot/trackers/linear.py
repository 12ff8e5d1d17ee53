"""Linear: issues of one team, through its GraphQL API. An issue is created with an id we choose, so a
retry of a cut-off attempt finds it rather than making a second."""

from __future__ import annotations

import uuid
from datetime import datetime

from bot.trackers import Access, Issue, TrackerBusy, TrackerRefused
from bot.trackers.http import call

TEAM = "query Team($key: String!) { teams(filter: {key: {eq: $key}}) { nodes { id key name } } }"
CREATE = (
    "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) "
    "{ success issue { id identifier url state { type } } } }"
)
ISSUE = "query Issue($id: String!) { issue(id: $id) { id identifier url state { type } } }"
DONE_STATES = {"completed", "canceled"}


class Linear:
    def __init__(self, access: Access, api_url: str) -> None:
        self.url, self.team = api_url, access.target
        self.headers = {"Authorization": access.secret}

    def check(self) -> None:
        self._team_id()

    def create(self, title: str, body: str, ref: str) -> Issue:
        issue = {"id": issue_id(ref), "teamId": self._team_id(), "title": title, "description": body}
        data = self._ask(CREATE, {"input": issue})
        created = data.get("issueCreate") or {}
        if not created.get("success"):
            raise TrackerRefused("refused")
        return _issue(created["issue"])

    def find(self, ref: str, since: datetime) -> Issue | None:
        try:
            return self.issue(issue_id(ref))
        except TrackerRefused as refused:
            if refused.reason == "not_found":
                return None
            raise

    def issue(self, key: str) -> Issue:
        found = self._ask(ISSUE, {"id": key}).get("issue")
        if not found:
            raise TrackerRefused("not_found")
        return _issue(found)

    def _team_id(self) -> str:
        teams = ((self._ask(TEAM, {"key": self.team}).get("teams") or {}).get("nodes")) or []
        if not teams:
            raise TrackerRefused("not_found")
        return teams[0]["id"]

    def _ask(self, query: str, variables: dict) -> dict:
        """GraphQL's answer's data; its errors sorted like HTTP's (Linear says most of them with a 200 or 400)."""
        try:
            answer = call("POST", self.url, self.headers, {"query": query, "variables": variables}).body or {}
        except TrackerRefused as refused:
            if not isinstance(refused.body, dict) or not refused.body.get("errors"):
                raise
            answer = refused.body
        for error in answer.get("errors") or []:
            code = str((error.get("extensions") or {}).get("code", "")).upper()
            message = str(error.get("message", "")).lower()
            if code == "RATELIMITED":
                raise TrackerBusy("rate limited")
            if code in ("AUTHENTICATION_ERROR", "BAD_CREDENTIALS") or "authentication" in message:
                raise TrackerRefused("bad_credentials")
            if code == "NOT_FOUND" or "entity not found" in message:
                raise TrackerRefused("not_found")
            raise TrackerRefused("refused")
        return answer.get("data") or {}


def issue_id(ref: str) -> str:
    """The id a Linear issue is created with: the item's reference (random, 32 hex digits) as the UUID
    v4 Linear asks for."""
    return str(uuid.UUID(hex=ref, version=4))


def _issue(issue: dict) -> Issue:
    done = ((issue.get("state") or {}).get("type")) in DONE_STATES
    return Issue(issue["id"], issue["identifier"], issue["url"], done)
