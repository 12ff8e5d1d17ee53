"""A local fake of the GitHub REST API (v3) for the issues the app opens: point GITHUB_API_URL at
`FakeGitHub().url`.

It answers as api.github.com does where a client can get it wrong (docs.github.com, "Getting
started with the REST API", "Troubleshooting", "Create an issue", "Rate limits"): no User-Agent
is 403; a wrong token is 401 "Bad credentials"; no token at all reads a private repository as 404
and writes as 401 "Requires authentication"; a repository the token may not see is 404; an issue
title must be present, non-empty and at most 256 characters (422); issues switched off answer 410.
Webhooks are signed as GitHub signs them: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of
the raw body under the webhook secret.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid

from tests.fakes.trackers import (
    NOT_JSON,
    Reply,
    Request,
    TrackerServer,
    Webhook,
    hmac_sha256_hex,
    iso_now,
    signed_webhook,
)

TOKEN = "ghp_fake_token_for_tests"
WEBHOOK_SECRET = "github-webhook-secret"
REPOSITORY = "acme/ops"
TITLE_MAX = 256
DOCS = "https://docs.github.com/rest"
USER_AGENT_REFUSAL = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent header "
    "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). "
    "Check https://developer.github.com for other possible causes.\n"
)
_REPO = re.compile(r"^/repos/([^/]+)/([^/]+)(/issues(?:/(\d+))?)?/?$")
SENDER = {"login": "octocat", "id": 1, "type": "User"}


def _error(status: int, message: str, **extra) -> Reply:
    return Reply(status, {"message": message, **extra, "documentation_url": DOCS, "status": str(status)})


class FakeGitHub(TrackerServer):
    name = "github"

    def __init__(self, token: str = TOKEN, webhook_secret: str = WEBHOOK_SECRET, repositories=(REPOSITORY,)):
        super().__init__()
        self.token = token
        self.webhook_secret = webhook_secret
        self.token_repositories: set[str] | None = None  # None: the token sees every repository
        self.repositories: dict[str, dict] = {}
        self.issues: dict[str, dict[int, dict]] = {}  # full name -> number -> issue as GitHub shows it
        self._ids = itertools.count(1001)
        for full_name in repositories:
            self.add_repository(full_name)

    # -- state a test sets up or changes

    def add_repository(self, full_name: str, has_issues: bool = True) -> dict:
        owner, name = full_name.split("/")
        self.repositories[full_name] = {
            "id": next(self._ids), "name": name, "full_name": full_name, "private": True,
            "owner": {"login": owner, "id": next(self._ids), "type": "Organization"},
            "has_issues": has_issues,
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        }  # fmt: skip
        self.issues.setdefault(full_name, {})
        return self.repositories[full_name]

    def disable_issues(self, full_name: str = REPOSITORY) -> None:
        self.repositories[full_name]["has_issues"] = False

    def limit_token_to(self, *full_names: str) -> None:
        """A fine-grained token: other repositories answer 404, as if they did not exist."""
        self.token_repositories = set(full_names)

    def issue(self, number: int, repository: str = REPOSITORY) -> dict:
        return self.issues[repository][number]

    def close(self, number: int, state_reason: str = "completed", repository: str = REPOSITORY) -> dict:
        issue = self.issue(number, repository)
        now = iso_now()
        issue.update(state="closed", state_reason=state_reason, closed_at=now, updated_at=now)
        return issue

    def reopen(self, number: int, repository: str = REPOSITORY) -> dict:
        issue = self.issue(number, repository)
        issue.update(state="open", state_reason="reopened", closed_at=None, updated_at=iso_now())
        return issue

    def limit_rate(self, secondary: bool = False, status: int = 403, retry_after: int | None = None) -> None:
        """The next request is over a rate limit: the primary one (x-ratelimit-remaining 0 and the
        reset time) or a secondary one (its message, and retry-after when given); 403 or 429."""
        reset = str(int(time.time()) + 60)
        headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
        message = "API rate limit exceeded for user ID 1."
        if secondary:
            headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4990", "x-ratelimit-reset": reset}
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        reply = _error(status, message)
        reply.headers.update(headers)
        self._queue(reply)

    # -- webhooks

    @property
    def html_base(self) -> str:
        return self.url if self._server is not None else "https://github.com"

    def issue_webhook(
        self,
        number: int,
        action: str | None = None,
        repository: str = REPOSITORY,
        secret: str | None = None,
        tamper: bool = False,
    ) -> Webhook:
        """An `issues` delivery for the issue as it is now ("closed" or "reopened" by its state)."""
        issue = self.issue(number, repository)
        action = action or ("closed" if issue["state"] == "closed" else "reopened")
        payload = {"action": action, "issue": dict(issue), "repository": self._repository_json(repository),
                   "sender": SENDER}  # fmt: skip
        return self._webhook("issues", payload, secret, tamper)

    def ping_webhook(self, repository: str = REPOSITORY, secret: str | None = None, tamper: bool = False) -> Webhook:
        hook = {"type": "Repository", "id": 424242, "active": True, "events": ["issues"],
                "config": {"content_type": "json", "insecure_ssl": "0"}}  # fmt: skip
        payload = {"zen": "Keep it logically awesome.", "hook_id": 424242, "hook": hook,
                   "repository": self._repository_json(repository), "sender": SENDER}  # fmt: skip
        return self._webhook("ping", payload, secret, tamper)

    def _webhook(self, event: str, payload: dict, secret: str | None, tamper: bool) -> Webhook:
        headers = {
            "User-Agent": "GitHub-Hookshot/fake", "X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "424242", "X-GitHub-Hook-Installation-Target-Type": "repository",
            "X-GitHub-Hook-Installation-Target-ID": str(payload["repository"]["id"]),
        }  # fmt: skip

        def sign(key: str, body: bytes) -> dict:
            return {"X-Hub-Signature-256": "sha256=" + hmac_sha256_hex(key, body)}

        return signed_webhook(payload, secret or self.webhook_secret, sign, headers, tamper)

    def _repository_json(self, full_name: str) -> dict:
        repository = {k: v for k, v in self.repositories[full_name].items() if k != "permissions"}
        return {**repository, "html_url": f"{self.html_base}/{full_name}"}

    # -- serving

    def _error_body(self, status: int):
        return {"message": "Server Error" if status >= 500 else "Error", "documentation_url": DOCS}

    def _route(self, request: Request) -> Reply:
        if not request.headers.get("user-agent"):
            return Reply(403, USER_AGENT_REFUSAL)
        match = _REPO.match(request.path)
        if match is None:
            return _error(404, "Not Found")
        full_name, number = f"{match[1]}/{match[2]}", match[4]
        authorization = request.headers.get("authorization")
        if authorization is not None and not self._token_ok(authorization):
            return _error(401, "Bad credentials")
        if authorization is None and request.method != "GET":
            return _error(401, "Requires authentication")
        allowed = self.token_repositories is None or full_name in self.token_repositories
        visible = authorization is not None and allowed
        repository = self.repositories.get(full_name) if visible else None
        if repository is None:  # private repositories are hidden, not forbidden
            return _error(404, "Not Found")
        if match[3] is None:
            return self._get_repository(request, repository)
        if not repository["has_issues"]:
            return _error(410, "Issues are disabled for this repo")
        if number is not None:
            return self._get_issue(request, full_name, int(number))
        if request.method == "POST":
            return self._create_issue(request, full_name)
        if request.method == "GET":
            return self._list_issues(request, full_name)
        return _error(404, "Not Found")

    def _token_ok(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        return scheme.lower() in ("bearer", "token") and token.strip() == self.token

    def _get_repository(self, request: Request, repository: dict) -> Reply:
        if request.method != "GET":
            return _error(404, "Not Found")
        return Reply(200, {**repository, "html_url": f"{self.html_base}/{repository['full_name']}"})

    def _get_issue(self, request: Request, full_name: str, number: int) -> Reply:
        issue = self.issues[full_name].get(number)
        if request.method != "GET" or issue is None:
            return _error(404, "Not Found")
        return Reply(200, dict(issue))

    def _create_issue(self, request: Request, full_name: str) -> Reply:
        body = request.body
        if body is NOT_JSON or not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        problem = _title_problem(body)
        if problem is not None:
            return problem
        with self._cond:
            issues = self.issues[full_name]
            number = max(issues, default=0) + 1
            issues[number] = self._new_issue(full_name, number, body)
            return Reply(201, dict(issues[number]), {"Location": issues[number]["url"]})

    def _new_issue(self, full_name: str, number: int, body: dict) -> dict:
        now = iso_now()
        labels = [{"name": str(name), "id": next(self._ids)} for name in body.get("labels") or []]
        return {
            "id": next(self._ids), "node_id": f"I_fake{number}", "number": number, "title": str(body["title"]),
            "body": body.get("body"), "labels": labels, "state": "open", "state_reason": None,
            "url": f"{self.url}/repos/{full_name}/issues/{number}",
            "html_url": f"{self.html_base}/{full_name}/issues/{number}",
            "user": SENDER, "created_at": now, "updated_at": now, "closed_at": None,
        }  # fmt: skip

    def _list_issues(self, request: Request, full_name: str) -> Reply:
        state = request.query.get("state", "open")
        if state not in ("open", "closed", "all"):
            return _error(422, "Validation Failed", errors=[{"resource": "Issue", "field": "state", "code": "invalid"}])
        since = request.query.get("since")
        try:
            per_page = min(max(int(request.query.get("per_page", 30)), 1), 100)  # GitHub caps pages at 100
        except ValueError:
            per_page = 30
        issues = sorted(self.issues[full_name].values(), key=lambda i: i["number"], reverse=True)
        chosen = [i for i in issues if state in ("all", i["state"]) and (since is None or i["updated_at"] >= since)]
        return Reply(200, [dict(i) for i in chosen[:per_page]])


def _title_problem(body: dict) -> Reply | None:
    if "title" not in body:
        return _error(422, 'Invalid request.\n\n"title" wasn\'t supplied.')
    title = body["title"]
    if not isinstance(title, (str, int)) or isinstance(title, bool):
        return _error(422, f"Invalid request.\n\nFor 'properties/title', {title!r} is not a string or integer.")
    if str(title).strip() == "":
        missing = {"resource": "Issue", "code": "missing_field", "field": "title"}
        return _error(422, "Validation Failed", errors=[missing])
    if len(str(title)) > TITLE_MAX:
        error = {"resource": "Issue", "code": "custom", "field": "title",
                 "message": f"title is too long (maximum is {TITLE_MAX} characters)"}  # fmt: skip
        return _error(422, "Validation Failed", errors=[error])
    return None
