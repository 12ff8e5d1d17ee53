"""A local fake of the Jira Cloud REST API (v3) for the issues the app opens: its `.url` is the
"site URL" an admin gives (https://<site>.atlassian.net).

It answers as Jira Cloud does where a client can get it wrong (developer.atlassian.com, REST v3
"Issues", "Issue search", "Projects", "Rate limiting", "Webhooks"): Basic auth with email and API
token, 401 otherwise; without credentials a request is anonymous, and an anonymous user sees no
project or issue (404, or a JQL error naming the value); a summary is required, under 255
characters and on one line; a description must be an Atlassian Document; field errors come
together under "errors". POST /search/jql takes only its documented body properties, refuses an
unbounded query, and returns only issue ids unless `fields` asks for more. Admin webhooks with a
secret are signed as Jira signs them: X-Hub-Signature = "sha256=" + hex HMAC-SHA256 of the body.
"""

from __future__ import annotations

import base64
import itertools
import re
import time
from datetime import UTC, datetime, timedelta

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

EMAIL = "bot@example.com"
API_TOKEN = "jira-fake-api-token"
WEBHOOK_SECRET = "jira-webhook-secret"
PROJECT = "OPS"
ISSUE_TYPES = ("Task", "Bug", "Story")
SUMMARY_MAX = 254  # "Summary must be less than 255 characters."
UNAUTHENTICATED = "Client must be authenticated to access this resource."
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
BAD_PAYLOAD = "Invalid request payload. Refer to the REST API documentation and try again."
SEARCH_PROPERTIES = {"jql", "fields", "maxResults", "nextPageToken", "expand", "properties", "fieldsByKeys",
                     "failFast", "reconcileIssues"}  # fmt: skip
# statusCategory key -> (status id, status name, category id, category name, colour), as a new site has them
STATUSES = {
    "new": ("10000", "To Do", 2, "To Do", "blue-gray"),
    "indeterminate": ("10001", "In Progress", 4, "In Progress", "yellow"),
    "done": ("10002", "Done", 3, "Done", "green"),
}
_TEXT_JQL = re.compile(
    r'^\s*project\s*=\s*"?([A-Za-z][A-Za-z0-9_]*)"?\s+AND\s+text\s*~\s*"((?:[^"\\]|\\.)*)"\s*(ORDER\s+BY\s+[\w\s,]+)?$',
    re.IGNORECASE,
)
_KEYS_JQL = re.compile(r"^\s*key\s+in\s*\(([^)]*)\)\s*(ORDER\s+BY\s+[\w\s,]+)?$", re.IGNORECASE)


def _errors(status: int, messages=(), **fields) -> Reply:
    return Reply(status, {"errorMessages": list(messages), "errors": fields})


def adf_problem(document) -> bool:
    """Whether `document` is not an Atlassian Document: {"type": "doc", "version": 1, "content": [...]}
    whose nodes each have a "type" (and text nodes a string "text")."""
    if not isinstance(document, dict) or document.get("type") != "doc" or document.get("version") != 1:
        return True
    nodes = list(document.get("content")) if isinstance(document.get("content"), list) else None
    if nodes is None:
        return True
    while nodes:
        node = nodes.pop()
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            return True
        if node["type"] == "text" and not isinstance(node.get("text"), str):
            return True
        children = node.get("content", [])
        if not isinstance(children, list):
            return True
        nodes.extend(children)
    return False


def adf_text(document) -> str:
    if isinstance(document, dict):
        own = document.get("text") if isinstance(document.get("text"), str) else ""
        return " ".join([own, *(adf_text(child) for child in document.get("content") or [])]).strip()
    return ""


class FakeJira(TrackerServer):
    name = "jira"

    def __init__(self, email: str = EMAIL, api_token: str = API_TOKEN, webhook_secret: str = WEBHOOK_SECRET,
                 projects: dict[str, str] | None = None):  # fmt: skip
        super().__init__()
        self.email, self.api_token, self.webhook_secret = email, api_token, webhook_secret
        self.projects: dict[str, dict] = {}
        self.issues: dict[str, dict] = {}  # key -> {"id", "key", "project", "fields": {...}, "previous": category}
        self._ids = itertools.count(10000)
        for key, name in (projects or {PROJECT: "Operations"}).items():
            self.add_project(key, name)

    # -- state a test sets up or changes

    def add_project(self, key: str, name: str, issue_types=ISSUE_TYPES) -> dict:
        self.projects[key] = {"id": str(next(self._ids)), "key": key, "name": name, "issue_types": list(issue_types)}
        return self.projects[key]

    def issue(self, key: str) -> dict:
        return self.issues[key]

    def status_category(self, key: str) -> str:
        return self.issues[key]["category"]

    def transition(self, key: str, category: str) -> dict:
        """Move the issue to the first status of `category` ("new", "indeterminate" or "done")."""
        if category not in STATUSES:
            raise ValueError(f"a status category is one of {sorted(STATUSES)}, not {category!r}")
        issue = self.issues[key]
        issue["previous"], issue["category"] = issue["category"], category
        issue["fields"]["updated"] = iso_now()
        return issue

    def limit_rate(self, retry_after: int = 5) -> None:
        """The next request is rate limited: 429 with Retry-After and X-RateLimit-Reset."""
        reset = (datetime.now(UTC) + timedelta(seconds=retry_after)).strftime("%Y-%m-%dT%H:%MZ")
        headers = {"Retry-After": str(retry_after), "X-RateLimit-Reset": reset, "RateLimit-Reason": "jira-burst-based"}
        self._queue(Reply(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}}, headers))

    # -- webhooks

    def issue_webhook(self, key: str, secret: str | None = None, tamper: bool = False) -> Webhook:
        """A `jira:issue_updated` delivery for the issue's last transition, signed as a secure admin webhook."""
        issue = self.issues[key]
        before, after = STATUSES[issue["previous"]], STATUSES[issue["category"]]
        change = {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": before[0],
                  "fromString": before[1], "to": after[0], "toString": after[1]}  # fmt: skip
        payload = {
            "timestamp": int(time.time() * 1000), "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic", "user": {"accountId": "5b10ac8d82e05b22cc7d4ef5"},
            "issue": self._issue_json(issue, ["status", "summary"]),
            "changelog": {"id": str(next(self._ids)), "items": [change]},
        }  # fmt: skip

        def sign(key_: str, body: bytes) -> dict:
            return {"X-Hub-Signature": "sha256=" + hmac_sha256_hex(key_, body)}

        headers = {"X-Atlassian-Webhook-Identifier": str(next(self._ids))}
        return signed_webhook(payload, secret or self.webhook_secret, sign, headers, tamper)

    # -- serving

    def _error_body(self, status: int):
        return {"errorMessages": ["Internal server error" if status >= 500 else "Request failed"], "errors": {}}

    def _route(self, request: Request) -> Reply:
        user = self._user(request.headers.get("authorization"))
        if user is False:
            return Reply(401, UNAUTHENTICATED)
        path = request.path.rstrip("/")
        if request.method == "GET" and path.startswith("/rest/api/3/project/"):
            return self._get_project(user, path.rsplit("/", 1)[1])
        if request.method == "GET" and path.startswith("/rest/api/3/issue/"):
            return self._get_issue(user, path.rsplit("/", 1)[1], request.query.get("fields"))
        if request.method == "POST" and path == "/rest/api/3/issue":
            return self._create_issue(request) if user else Reply(401, UNAUTHENTICATED)
        if request.method == "POST" and path == "/rest/api/3/search/jql":
            return self._search(user, request.body)
        return Reply(404, {"errorMessages": ["null for uri: " + request.path], "errors": {}})

    def _user(self, authorization: str | None):
        """True for the known user, None for anonymous (no credentials), False for wrong ones."""
        if authorization is None:
            return None
        scheme, _, encoded = authorization.partition(" ")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except ValueError:
            return False
        return scheme.lower() == "basic" and decoded == f"{self.email}:{self.api_token}"

    def _project(self, key_or_id: str) -> dict | None:
        return next((p for p in self.projects.values() if key_or_id in (p["key"], p["id"])), None)

    def _get_project(self, user, key_or_id: str) -> Reply:
        project = self._project(key_or_id) if user else None
        if project is None:
            return _errors(404, [f"No project could be found with key '{key_or_id}'."])
        body = {k: project[k] for k in ("id", "key", "name")}
        body["self"] = f"{self.url}/rest/api/3/project/{project['id']}"
        body["issueTypes"] = [{"name": name, "subtask": False} for name in project["issue_types"]]
        return Reply(200, body)

    def _find(self, key_or_id: str) -> dict | None:
        return self.issues.get(key_or_id) or next((i for i in self.issues.values() if i["id"] == key_or_id), None)

    def _get_issue(self, user, key_or_id: str, fields: str | None) -> Reply:
        issue = self._find(key_or_id) if user else None
        if issue is None:
            return _errors(404, ["Issue does not exist or you do not have permission to see it."])
        wanted = None if fields in (None, "*all", "*navigable") else fields.split(",")
        return Reply(200, self._issue_json(issue, wanted))

    def _issue_json(self, issue: dict, wanted: list[str] | None) -> dict:
        status_id, name, category_id, category_name, colour = STATUSES[issue["category"]]
        category = {"id": category_id, "key": issue["category"], "colorName": colour, "name": category_name}
        status = {"id": status_id, "name": name, "statusCategory": category,
                  "self": f"{self.url}/rest/api/3/status/{status_id}"}  # fmt: skip
        fields = {**issue["fields"], "status": status}
        chosen = {k: v for k, v in fields.items() if wanted is None or k in wanted}
        return {"id": issue["id"], "key": issue["key"], "self": f"{self.url}/rest/api/3/issue/{issue['id']}",
                "fields": chosen}  # fmt: skip

    def _create_issue(self, request: Request) -> Reply:
        body = request.body
        if body is NOT_JSON or not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            return _errors(400, [BAD_PAYLOAD])
        fields = body["fields"]
        named = fields.get("project") if isinstance(fields.get("project"), dict) else {}
        project = self._project(str(named.get("key") or named.get("id")))
        problems = _field_problems(fields, project)
        if problems:
            return _errors(400, **problems)
        with self._cond:
            number = 1 + sum(1 for i in self.issues.values() if i["project"] == project["key"])
            key, now = f"{project['key']}-{number}", iso_now()
            issue_type = {"name": fields["issuetype"]["name"], "subtask": False}
            stored = {"summary": fields["summary"], "description": fields.get("description"),
                      "issuetype": issue_type, "project": {k: project[k] for k in ("id", "key", "name")},
                      "created": now, "updated": now}  # fmt: skip
            issue = {"id": str(next(self._ids)), "key": key, "project": project["key"], "category": "new",
                     "previous": "new", "fields": stored}  # fmt: skip
            self.issues[key] = issue
        return Reply(201, {"id": issue["id"], "key": key, "self": f"{self.url}/rest/api/3/issue/{issue['id']}"})

    def _search(self, user, body) -> Reply:
        if body is NOT_JSON or not isinstance(body, dict) or set(body) - SEARCH_PROPERTIES:
            return _errors(400, [BAD_PAYLOAD])
        jql = str(body.get("jql") or "")
        if not jql.strip():
            return _errors(400, [UNBOUNDED])
        found = self._run_jql(user, jql)
        if isinstance(found, Reply):
            return found
        try:
            offset = int(body.get("nextPageToken") or 0)
            size = min(max(int(body.get("maxResults", 50)), 1), 5000)
        except (TypeError, ValueError):
            return _errors(400, [BAD_PAYLOAD])
        wanted = body.get("fields") or ["id"]
        wanted = None if "*all" in wanted or "*navigable" in wanted else wanted
        page = [self._issue_json(issue, wanted) for issue in found[offset : offset + size]]
        answer = {"issues": page, "isLast": offset + size >= len(found)}
        if not answer["isLast"]:
            answer["nextPageToken"] = str(offset + size)
        return Reply(200, answer)

    def _run_jql(self, user, jql: str) -> list[dict] | Reply:
        text = _TEXT_JQL.match(jql)
        if text:
            project = self._project(text[1]) if user else None
            if project is None:
                return _errors(400, [f"The value '{text[1]}' does not exist for the field 'project'."])
            term = re.sub(r"\\(.)", r"\1", text[2]).lower()
            return [i for i in self.issues.values() if i["project"] == project["key"] and term in _searchable(i)]
        keys = _KEYS_JQL.match(jql)
        if keys:
            wanted = [k.strip().strip("\"'") for k in keys[1].split(",") if k.strip()]
            missing = [k for k in wanted if (self._find(k) if user else None) is None]
            if missing:
                return _errors(400, [f"An issue with key '{missing[0]}' does not exist for field 'key'."])
            return [self._find(k) for k in wanted]
        return _errors(400, [f"Error in the JQL Query: the fake Jira cannot read '{jql}'."])


def _searchable(issue: dict) -> str:
    return f"{issue['fields']['summary']} {adf_text(issue['fields'].get('description'))}".lower()


def _field_problems(fields: dict, project: dict | None) -> dict[str, str]:
    problems = {}
    if project is None:
        problems["project"] = "Specify a valid project ID or key"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        problems["summary"] = "You must specify a summary of the issue."
    elif len(summary) > SUMMARY_MAX:
        problems["summary"] = "Summary must be less than 255 characters."
    elif "\n" in summary or "\r" in summary:
        problems["summary"] = "The summary is invalid because it contains newline characters."
    issue_type = fields.get("issuetype")
    if not isinstance(issue_type, dict) or not (issue_type.get("name") or issue_type.get("id")):
        problems["issuetype"] = "Specify an issue type"
    elif project is not None and issue_type.get("name") not in project["issue_types"]:
        problems["issuetype"] = "Specify a valid issue type"
    if fields.get("description") is not None and adf_problem(fields["description"]):
        problems["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
    return problems
