"""Jira Cloud (and Data Center, any host): issues of one project, through the REST API v3."""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
from datetime import datetime
from urllib.parse import quote, urlsplit

from bot.trackers import Access, Issue, TrackerRefused
from bot.trackers.http import call

SUMMARY_MAX = 255
ISSUE_TYPE = "Task"


class Jira:
    def __init__(self, access: Access, private_sites: bool = False) -> None:
        self.site = (access.site or "").rstrip("/")
        self.private_sites = private_sites
        self.project = access.target
        login = base64.b64encode(f"{access.account}:{access.secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {login}"}

    def check(self) -> None:
        """The account reaches the project."""
        self._call("GET", f"{self.site}/rest/api/3/project/{quote(self.project, safe='')}", self.headers)

    def create(self, title: str, body: str, ref: str) -> Issue:
        fields = {
            "project": {"key": self.project},
            # A summary is one line of at most 255 characters.
            "summary": " ".join(title.split())[:SUMMARY_MAX],
            "issuetype": {"name": ISSUE_TYPE},
            "description": document(body),
        }
        created = self._call("POST", f"{self.site}/rest/api/3/issue", self.headers, {"fields": fields}).body
        return self._issue(created["key"], done=False)

    def find(self, ref: str, since: datetime) -> Issue | None:
        """An issue of the project whose text carries `ref`: one a cut-off attempt made."""
        jql = f"project = {json.dumps(self.project)} AND text ~ {json.dumps(ref)}"
        found = self._search(jql)
        return found[0] if found else None

    def issue(self, key: str) -> Issue:
        label = key.rpartition("/")[2]
        answer = self._call("GET", f"{self.site}/rest/api/3/issue/{quote(label, safe='')}?fields=status", self.headers)
        return self._from(answer.body)

    def _call(self, method: str, url: str, headers: dict[str, str], payload: object | None = None):
        if not reachable(self.site, self.private_sites):
            raise TrackerRefused("private_address")
        return call(method, url, headers, payload)

    def _search(self, jql: str) -> list[Issue]:
        query = {"jql": jql, "fields": ["status"], "maxResults": 10}
        answer = self._call("POST", f"{self.site}/rest/api/3/search/jql", self.headers, query)
        return [self._from(issue) for issue in (answer.body or {}).get("issues", [])]

    def _from(self, issue: dict) -> Issue:
        category = (((issue.get("fields") or {}).get("status") or {}).get("statusCategory") or {}).get("key")
        return self._issue(issue["key"], done=category == "done")

    def _issue(self, label: str, done: bool) -> Issue:
        return Issue(issue_key(self.site, label), label, f"{self.site}/browse/{label}", done)


def reachable(site: str, private_sites: bool) -> bool:
    """Whether the app may call `site`: https at public addresses only, unless the operator allows private ones."""
    parts = urlsplit(site)
    if private_sites:
        return parts.scheme in ("https", "http") and bool(parts.hostname)
    if parts.scheme != "https" or not parts.hostname:
        return False
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return True  # not found: the call itself fails as any unreachable tracker does
    return all(ipaddress.ip_address(address[4][0]).is_global for address in found)


def issue_key(site: str, label: str) -> str:
    """How a webhook names an issue: the site's host (one project key may exist on two sites) and its key."""
    return f"{(urlsplit(site).hostname or '').lower()}/{label.upper()}"


def document(text: str) -> dict:
    """Plain text as an Atlassian Document Format document: one paragraph a line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in text.splitlines() if line.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}
