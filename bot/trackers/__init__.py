"""The trackers a workspace's action items become issues in: GitHub, Jira Cloud (or Data Center) and
Linear, each through its public API (one module each), plus their webhooks (`webhooks`). Nothing here
touches the database or Slack: the domain (bot/domain/trackers.py) and the tasks (bot/tasks/trackers.py)
decide what to do with what a tracker answers."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("github", "jira", "linear")
NAMES = {"github": "GitHub", "jira": "Jira", "linear": "Linear"}


@dataclass(frozen=True)
class Issue:
    key: str  # how webhooks name it: "owner/repo#12", "<site host>/PROJ-12", a Linear issue id
    label: str  # what people see: "#12", "PROJ-12", "ENG-3"
    url: str
    done: bool


@dataclass(frozen=True)
class Access:
    """A connection as a tracker client needs it, its secret opened (bot/domain/trackers.py)."""

    kind: str
    target: str  # "owner/repo", a Jira project key, a Linear team key
    secret: str = field(repr=False)
    site: str | None = None  # Jira's site URL
    account: str | None = None  # the Jira account's email


@dataclass(frozen=True)
class Endpoints:
    """Where GitHub's and Linear's APIs are (GITHUB_API_URL, LINEAR_API_URL): their own services by
    default, GitHub Enterprise Server or a test's fake otherwise. Jira's is the site an admin gives."""

    github: str = "https://api.github.com"
    linear: str = "https://api.linear.app/graphql"
    # A Jira site an admin gives is called only over https at a public address, unless the operator
    # allows sites on the private network (JIRA_PRIVATE_SITES): an admin must not reach the app's own.
    jira_private_sites: bool = False


class TrackerBusy(OSError):
    """The tracker did not answer, or asked us to slow down, or failed on its side: passing trouble,
    tried again by the follow-up machinery (an OSError, as bot.tasks sees passing trouble)."""


class TrackerRefused(Exception):
    """The tracker refused what we asked: a wrong token, a missing repository or project, a field it
    will not take. Trying again changes nothing until an admin does. `reason` is a short code."""

    def __init__(self, reason: str, status: int | None = None, body: object = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.body = reason, status, body


def client_for(access: Access, endpoints: Endpoints):
    """The tracker's client, with create(title, body, ref), find(ref, since), issue(key) and check()."""
    from bot.trackers import github, jira, linear

    if access.kind == "github":
        return github.GitHub(access, endpoints.github)
    if access.kind == "jira":
        return jira.Jira(access, endpoints.jira_private_sites)
    if access.kind == "linear":
        return linear.Linear(access, endpoints.linear)
    raise ValueError(f"unknown tracker {access.kind!r}")
