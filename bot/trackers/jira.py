"""Jira Cloud (and Data Center, any host): issues of one project, through the REST API v3."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from urllib.parse import quote, urlsplit

from bot.trackers import Access, Issue
from bot.trackers.http import call

SUMMARY_MAX = 255
ISSUE_TYPE = "Task"


class Jira:
    def __init__(self, access: Access) -> None:
        self.site = (access.site or "").rstrip("/")
        self.project = access.target
        login = base64.b64encode(f"{access.account}:{access.secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {login}"}

    def check(self) -> None:
        """The account reaches the project."""
        call("GET", f"{self.site}/rest/api/3/project/{quote(self.project, safe='')}", self.headers)

    def create(self, title: str, body: str, ref: str) -> Issue:
        fields = {
            "project": {"key": self.project},
            # A summary is one line of at most 255 characters.
            "summary": " ".join(title.split())[:SUMMARY_MAX],
            "issuetype": {"name": ISSUE_TYPE},
            "description": document(body),
        }
        created = call("POST", f"{self.site}/rest/api/3/issue", self.headers, {"fields": fields}).body
        return self._issue(created["key"], done=False)

    def find(self, ref: str, since: datetime) -> Issue | None:
        """An issue of the project whose text carries `ref`: one a cut-off attempt made."""
        jql = f"project = {json.dumps(self.project)} AND text ~ {json.dumps(ref)}"
        found = self._search(jql)
        return found[0] if found else None

    def issue(self, key: str) -> Issue:
        label = key.rpartition("/")[2]
        answer = call("GET", f"{self.site}/rest/api/3/issue/{quote(label, safe='')}?fields=status", self.headers)
        return self._from(answer.body)

    def _search(self, jql: str) -> list[Issue]:
        query = {"jql": jql, "fields": ["status"], "maxResults": 10}
        answer = call("POST", f"{self.site}/rest/api/3/search/jql", self.headers, query)
        return [self._from(issue) for issue in (answer.body or {}).get("issues", [])]

    def _from(self, issue: dict) -> Issue:
        category = (((issue.get("fields") or {}).get("status") or {}).get("statusCategory") or {}).get("key")
        return self._issue(issue["key"], done=category == "done")

    def _issue(self, label: str, done: bool) -> Issue:
        return Issue(issue_key(self.site, label), label, f"{self.site}/browse/{label}", done)


def issue_key(site: str, label: str) -> str:
    """How a webhook names an issue: the site's host (one project key may exist on two sites) and its key."""
    return f"{(urlsplit(site).hostname or '').lower()}/{label.upper()}"


def document(text: str) -> dict:
    """Plain text as an Atlassian Document Format document: one paragraph a line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in text.splitlines() if line.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}
