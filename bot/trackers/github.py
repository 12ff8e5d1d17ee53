"""GitHub (and GitHub Enterprise Server): issues of one repository, through the REST API."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from bot.trackers import Access, Issue, TrackerRefused
from bot.trackers.http import call

API_VERSION = "2022-11-28"
TITLE_MAX = 256


class GitHub:
    def __init__(self, access: Access, api_url: str) -> None:
        self.repository = access.target
        owner, _, name = access.target.partition("/")
        self.base = f"{api_url.rstrip('/')}/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
        self.headers = {
            "Authorization": f"Bearer {access.secret}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }

    def check(self) -> None:
        """The token reaches the repository and may open issues there."""
        repository = call("GET", self.base, self.headers).body or {}
        if not repository.get("has_issues", True):
            raise TrackerRefused("issues_disabled")

    def create(self, title: str, body: str, ref: str) -> Issue:
        issue = {"title": _unmentioned(title)[:TITLE_MAX], "body": _unmentioned(body)}
        issue = call("POST", f"{self.base}/issues", self.headers, issue).body
        return self._issue(issue)

    def find(self, ref: str, since: datetime) -> Issue | None:
        """An issue made since `since` whose body carries `ref`: one a cut-off attempt made."""
        query = f"?state=all&per_page=100&since={since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        for issue in call("GET", f"{self.base}/issues{query}", self.headers).body or []:
            if ref in (issue.get("body") or "") and "pull_request" not in issue:
                return self._issue(issue)
        return None

    def issue(self, key: str) -> Issue:
        number = key.rpartition("#")[2]
        return self._issue(call("GET", f"{self.base}/issues/{quote(number)}", self.headers).body)

    def _issue(self, issue: dict) -> Issue:
        number = issue["number"]
        return Issue(
            issue_key(self.repository, number), f"#{number}", issue["html_url"], issue.get("state") == "closed"
        )


def _unmentioned(text: str) -> str:
    """A lesson's "@name" would notify that GitHub user or team: a word joiner after each @ keeps the
    words and breaks the mention."""
    return text.replace("@", "@\u2060")


def issue_key(repository: str, number: int | str) -> str:
    """How a webhook names an issue; GitHub's repository names ignore case."""
    return f"{repository.lower()}#{number}"
