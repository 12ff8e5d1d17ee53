"""A local fake of Linear's GraphQL API for the issues the app opens: point LINEAR_API_URL at
`FakeLinear().url` (every request is a POST of {"query", "variables"} to it).

It is no GraphQL server: it knows the operations the app sends by their root field (`teams(`,
`issueCreate(`, `issue(`), reads their inputs from `variables` and refuses any other query with a
GraphQL error. It answers as api.linear.app does where a client can get it wrong
(linear.app/developers: "Authentication", "Rate limiting", "Webhooks", and @linear/sdk): a personal
API key goes bare in Authorization and is refused with a "Bearer" prefix, an OAuth token goes as
"Bearer <token>"; errors are GraphQL errors with extensions {type, code, statusCode, userError,
userPresentableMessage} under an HTTP 400, rate limits included (code RATELIMITED, statusCode 429,
X-RateLimit-Requests-* headers). Webhooks are signed as Linear signs them: Linear-Signature = hex
HMAC-SHA256 of the raw body under the webhook's signing secret, with `webhookTimestamp` in ms.
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

API_KEY = "lin_api_fake_key_for_tests"
OAUTH_TOKEN = "lin_oauth_fake_token_for_tests"
WEBHOOK_SECRET = "lin_wh_fake_secret"
ORGANIZATION = "acme"
TEAM_KEY = "ENG"
TEAM_ID = "5f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c"
# state type -> the name a new team gives its first state of that type
STATE_NAMES = {"backlog": "Backlog", "unstarted": "Todo", "started": "In Progress", "completed": "Done",
               "canceled": "Canceled"}  # fmt: skip
_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_ROOT = re.compile(r"\b(teams|issueCreate|issue)\s*\(")


def graphql_error(message: str, code: str, kind: str, status: int, presentable: str | None = None,
                  http_status: int = 400, **extra) -> Reply:  # fmt: skip
    extensions = {"type": kind, "code": code, "statusCode": status, "userError": status < 500,
                  "userPresentableMessage": presentable or message, **extra}  # fmt: skip
    return Reply(http_status, {"errors": [{"message": message, "extensions": extensions}], "data": None})


def invalid_input(presentable: str, **extra) -> Reply:
    return graphql_error("Argument Validation Error", "INVALID_INPUT", "invalid input", 400, presentable, **extra)


def not_found(entity: str) -> Reply:
    return graphql_error(f"Entity not found: {entity}", "INVALID_INPUT", "invalid input", 400,
                         f"Could not find referenced {entity}.")  # fmt: skip


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "issue"


def _variable(query: str, argument: str, variables: dict):
    """The value given to `argument` in the query: a `$variable` read from `variables`, or a string literal."""
    match = re.search(rf"\b{argument}\s*:\s*(?:\$(\w+)|\"([^\"]*)\")", query)
    if match is None:
        return None
    return variables.get(match[1]) if match[1] else match[2]


class FakeLinear(TrackerServer):
    name = "linear"

    def __init__(self, api_key: str = API_KEY, oauth_tokens=(OAUTH_TOKEN,), webhook_secret: str = WEBHOOK_SECRET,
                 organization: str = ORGANIZATION):  # fmt: skip
        super().__init__()
        self.api_key, self.oauth_tokens, self.webhook_secret = api_key, set(oauth_tokens), webhook_secret
        self.organization = organization
        self.organization_id = str(uuid.uuid4())
        self.auth_error_status = 400  # the HTTP status of an authentication error (see the module's notes)
        self.teams: dict[str, dict] = {}  # id -> {"id", "key", "name"}
        self.issues: dict[str, dict] = {}  # id -> issue as Linear shows it, plus "previousState"
        self._numbers: dict[str, itertools.count] = {}
        self.add_team(TEAM_KEY, "Engineering", TEAM_ID)

    # -- state a test sets up or changes

    def add_team(self, key: str, name: str, team_id: str | None = None) -> dict:
        team = {"id": team_id or str(uuid.uuid4()), "key": key, "name": name}
        self.teams[team["id"]] = team
        self._numbers[team["id"]] = itertools.count(1)
        return team

    def team(self, key: str = TEAM_KEY) -> dict:
        return next(t for t in self.teams.values() if t["key"] == key)

    def issue(self, id_or_identifier: str) -> dict:
        return self._find(id_or_identifier)

    def complete(self, issue_id: str) -> dict:
        return self._move(issue_id, "completed")

    def cancel(self, issue_id: str) -> dict:
        return self._move(issue_id, "canceled")

    def reopen(self, issue_id: str) -> dict:
        return self._move(issue_id, "unstarted")

    def _move(self, issue_id: str, state_type: str) -> dict:
        issue = self._find(issue_id)
        now = iso_now()
        issue["previousState"] = issue["state"]
        issue["state"] = self._state(issue["team"]["id"], state_type)
        issue.update(updatedAt=now, completedAt=now if state_type == "completed" else None,
                     canceledAt=now if state_type == "canceled" else None)  # fmt: skip
        return issue

    def _state(self, team_id: str, state_type: str) -> dict:
        return {"id": str(uuid.uuid5(uuid.UUID(team_id), state_type)), "name": STATE_NAMES[state_type],
                "type": state_type}  # fmt: skip

    def limit_rate(self, retry_after: int | None = None) -> None:
        """The next request is over the rate limit, answered as Linear does: HTTP 400, code RATELIMITED."""
        reply = graphql_error("Rate limit exceeded", "RATELIMITED", "ratelimited", 429,
                              "You have exceeded the rate limit. Please try again later.")  # fmt: skip
        reset = str(int(time.time() * 1000) + 60_000)
        reply.headers.update({"X-RateLimit-Requests-Limit": "5000", "X-RateLimit-Requests-Remaining": "0",
                              "X-RateLimit-Requests-Reset": reset})  # fmt: skip
        if retry_after is not None:
            reply.headers["Retry-After"] = str(retry_after)
        self._queue(reply)

    # -- webhooks

    def issue_webhook(self, issue_id: str, action: str = "update", secret: str | None = None, tamper: bool = False,
                      webhook_timestamp: int | None = None) -> Webhook:  # fmt: skip
        """An `Issue` delivery for the issue as it is now; `webhook_timestamp` (ms) to send a stale one."""
        issue = self._find(issue_id)
        data = self._issue_json(issue)
        data.update(teamId=issue["team"]["id"], stateId=issue["state"]["id"])
        previous = issue.get("previousState") or issue["state"]
        payload = {
            "action": action, "type": "Issue", "actor": {"id": str(uuid.uuid4()), "name": "Ada", "type": "user"},
            "createdAt": issue["updatedAt"], "data": data, "url": issue["url"],
            "updatedFrom": {"stateId": previous["id"], "updatedAt": issue["createdAt"]},
            "organizationId": self.organization_id, "webhookId": str(uuid.uuid4()),
            "webhookTimestamp": int(time.time() * 1000) if webhook_timestamp is None else webhook_timestamp,
        }  # fmt: skip
        headers = {"Linear-Delivery": str(uuid.uuid4()), "Linear-Event": "Issue", "User-Agent": "Linear-Webhook"}
        return signed_webhook(payload, secret or self.webhook_secret, self._sign, headers, tamper)

    @staticmethod
    def _sign(secret: str, body: bytes) -> dict:
        return {"Linear-Signature": hmac_sha256_hex(secret, body)}

    # -- serving

    def _error_body(self, status: int):
        return {"errors": [{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR",
                                                                                "statusCode": status}}]}  # fmt: skip

    def _route(self, request: Request) -> Reply:
        refusal = self._auth_refusal(request.headers.get("authorization"))
        if refusal is not None:
            return refusal
        body = request.body
        if request.method != "POST" or body is NOT_JSON or not isinstance(body, dict) or not body.get("query"):
            return graphql_error("Must provide query string.", "BAD_USER_INPUT", "graphql error", 400)
        query, variables = str(body["query"]), body.get("variables") or {}
        root = _ROOT.search(query)
        if root is None:
            return graphql_error("The fake Linear answers only teams, issueCreate and issue.",
                                 "GRAPHQL_VALIDATION_FAILED", "graphql error", 400)  # fmt: skip
        if root[1] == "teams":
            return self._teams(_variable(query, "eq", variables))
        if root[1] == "issueCreate":
            return self._issue_create(_variable(query, "input", variables))
        issue = self._find(str(_variable(query, "id", variables)))
        return Reply(200, {"data": {"issue": self._issue_json(issue)}}) if issue else not_found("Issue")

    def _auth_refusal(self, authorization: str | None) -> Reply | None:
        value = (authorization or "").strip()
        scheme, _, token = value.partition(" ")
        if value == self.api_key or (scheme.lower() == "bearer" and token.strip() in self.oauth_tokens):
            return None
        message = "Authentication required, not authenticated"
        presentable = "You need to authenticate to access this operation."
        if scheme.lower() == "bearer" and token.strip() == self.api_key:
            presentable = "Remove the Bearer prefix from the Authorization header."
        return graphql_error(message, "AUTHENTICATION_ERROR", "authentication error", 401, presentable,
                             http_status=self.auth_error_status)  # fmt: skip

    def _teams(self, key) -> Reply:
        nodes = [dict(t) for t in self.teams.values() if key is None or t["key"] == key]
        return Reply(200, {"data": {"teams": {"nodes": nodes}}})

    def _issue_create(self, given) -> Reply:
        if not isinstance(given, dict):
            return graphql_error('Variable "$input" of required type "IssueCreateInput!" was not provided.',
                                 "GRAPHQL_VALIDATION_FAILED", "graphql error", 400)  # fmt: skip
        team_id, title, issue_id = given.get("teamId"), given.get("title"), given.get("id")
        if not isinstance(team_id, str) or not _UUID.match(team_id):
            return invalid_input("teamId must be a UUID.", validationErrors=[{"property": "teamId"}])
        if not isinstance(title, str) or not title.strip():
            return invalid_input("title should not be empty.", validationErrors=[{"property": "title"}])
        if issue_id is not None and (not isinstance(issue_id, str) or not _UUID4.match(issue_id)):
            return invalid_input("id must be a UUID.", validationErrors=[{"property": "id"}])
        team = self.teams.get(team_id)
        if team is None:
            return not_found("Team")
        with self._cond:
            if issue_id in self.issues:
                return graphql_error("Entity already exists", "INVALID_INPUT", "invalid input", 400,
                                     "An issue with this id already exists.")  # fmt: skip
            issue = self._new_issue(team, issue_id or str(uuid.uuid4()), title, given.get("description"))
            self.issues[issue["id"]] = issue
        return Reply(200, {"data": {"issueCreate": {"success": True, "issue": self._issue_json(issue)}}})

    def _new_issue(self, team: dict, issue_id: str, title: str, description) -> dict:
        number = next(self._numbers[team["id"]])
        identifier, now = f"{team['key']}-{number}", iso_now()
        return {
            "id": issue_id, "identifier": identifier, "number": number, "title": title, "description": description,
            "url": f"https://linear.app/{self.organization}/issue/{identifier}/{_slug(title)}",
            "team": dict(team), "state": self._state(team["id"], "unstarted"),
            "createdAt": now, "updatedAt": now, "completedAt": None, "canceledAt": None,
        }  # fmt: skip

    def _find(self, id_or_identifier: str) -> dict | None:
        found = self.issues.get(id_or_identifier)
        return found or next((i for i in self.issues.values() if i["identifier"] == id_or_identifier), None)

    @staticmethod
    def _issue_json(issue: dict) -> dict:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in issue.items() if k != "previousState"}
