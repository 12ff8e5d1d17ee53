"""The fake GitHub, Jira Cloud and Linear APIs, over real HTTP: they check credentials, required
fields and limits as the real ones do, fail on demand, and sign webhooks by each one's documented scheme."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import uuid

import pytest

from tests.fakes import github, jira, linear
from tests.harness.trackers import USER_AGENT, WebhookReceiver, basic, send

GH = {"Authorization": f"Bearer {github.TOKEN}", "User-Agent": USER_AGENT, "Accept": "application/vnd.github+json"}
JIRA = {"Authorization": basic(jira.EMAIL, jira.API_TOKEN), "Accept": "application/json"}
TEAMS = "query Teams($key: String!) { teams(filter: {key: {eq: $key}}) { nodes { id key name } } }"
CREATE = "mutation Create($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id } } }"
ISSUE = "query Issue($id: String!) { issue(id: $id) { id identifier state { type } } }"
DOC = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Flaky deploy"}]}],
}


def expected_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- GitHub


def test_github_refuses_a_missing_user_agent_a_wrong_token_and_anonymous_writes(fake_github):
    issues = f"{fake_github.url}/repos/{github.REPOSITORY}/issues"
    assert send(issues, headers={**GH, "User-Agent": ""}).status == 403  # urllib's own is dropped
    wrong = send(issues, headers={**GH, "Authorization": "token nope"})
    assert (wrong.status, wrong.json()["message"]) == (401, "Bad credentials")
    anonymous = send(issues, "POST", {"title": "x"}, {"User-Agent": USER_AGENT})
    assert (anonymous.status, anonymous.json()["message"]) == (401, "Requires authentication")
    assert send(f"{fake_github.url}/repos/{github.REPOSITORY}", headers={"User-Agent": USER_AGENT}).status == 404
    assert (
        send(
            f"{fake_github.url}/repos/{github.REPOSITORY}", headers={**GH, "Authorization": f"token {github.TOKEN}"}
        ).status
        == 200
    )
    assert all("ghp_" not in str(call.headers) for call in fake_github.calls)


def test_github_repository_answers_and_a_token_limited_to_other_repositories_sees_404(fake_github):
    repo = send(f"{fake_github.url}/repos/{github.REPOSITORY}", headers=GH).json()
    assert repo["full_name"] == github.REPOSITORY and repo["has_issues"] and repo["permissions"]["push"]
    assert send(f"{fake_github.url}/repos/acme/unknown", headers=GH).json() == {
        "message": "Not Found", "documentation_url": github.DOCS, "status": "404"}  # fmt: skip
    fake_github.limit_token_to("acme/other")
    assert send(f"{fake_github.url}/repos/{github.REPOSITORY}", headers=GH).status == 404


def test_github_issue_title_is_required_and_at_most_256_characters(fake_github):
    issues = f"{fake_github.url}/repos/{github.REPOSITORY}/issues"
    empty = send(issues, "POST", {"title": ""}, GH)
    assert empty.status == 422
    assert empty.json()["errors"] == [{"resource": "Issue", "code": "missing_field", "field": "title"}]
    assert send(issues, "POST", {"body": "no title"}, GH).status == 422
    long = send(issues, "POST", {"title": "x" * 257}, GH)
    assert (long.status, long.json()["errors"][0]["code"]) == (422, "custom")
    assert send(issues, "POST", {"title": "x" * 256}, GH).status == 201


def test_github_issue_round_trip_create_get_list_close(fake_github):
    issues = f"{fake_github.url}/repos/{github.REPOSITORY}/issues"
    created = send(issues, "POST", {"title": "Add a canary", "body": "From /fail", "labels": ["resume"]}, GH)
    assert created.status == 201
    issue = created.json()
    assert (issue["number"], issue["state"], issue["state_reason"]) == (1, "open", None)
    assert issue["html_url"] == f"{fake_github.url}/{github.REPOSITORY}/issues/1"
    assert send(f"{issues}/1", headers=GH).json()["title"] == "Add a canary"
    assert send(f"{issues}/2", headers=GH).status == 404
    since = issue["updated_at"]
    fake_github.close(1, state_reason="not_planned")
    listed = send(f"{issues}?state=all&since={since}&per_page=100", headers=GH).json()
    assert [(i["number"], i["state"], i["state_reason"]) for i in listed] == [(1, "closed", "not_planned")]
    assert send(f"{issues}?state=all&since=2999-01-01T00:00:00Z", headers=GH).json() == []
    assert send(f"{issues}/1", headers=GH).json()["state"] == "closed"
    fake_github.wait_for("POST /repos/", count=1)


def test_github_issues_switched_off_answer_410(fake_github):
    fake_github.disable_issues()
    answer = send(f"{fake_github.url}/repos/{github.REPOSITORY}/issues", "POST", {"title": "x"}, GH)
    assert (answer.status, answer.json()["message"]) == (410, "Issues are disabled for this repo")


def test_github_rate_limits_queued_failures_and_delays(fake_github):
    repo = f"{fake_github.url}/repos/{github.REPOSITORY}"
    fake_github.limit_rate()
    primary = send(repo, headers=GH)
    assert (primary.status, primary.headers["x-ratelimit-remaining"]) == (403, "0")
    assert int(primary.headers["x-ratelimit-reset"]) > time.time()
    fake_github.limit_rate(secondary=True, status=429, retry_after=30)
    secondary = send(repo, headers=GH)
    assert (secondary.status, secondary.headers["retry-after"]) == (429, "30")
    assert "secondary rate limit" in secondary.json()["message"]
    fake_github.queue_failure(502, times=2)
    assert [send(repo, headers=GH).status for _ in range(3)] == [502, 502, 200]
    fake_github.set_delay(1.0)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        send(repo, headers=GH, timeout=0.2)
    fake_github.set_delay(0)
    assert fake_github.wait_for(lambda call: call.status == 502, count=2)


def test_github_webhooks_are_signed_with_hmac_sha256_of_the_raw_body(fake_github):
    send(f"{fake_github.url}/repos/{github.REPOSITORY}/issues", "POST", {"title": "Add a canary"}, GH)
    fake_github.close(1)

    def verify(headers, body):
        expected = "sha256=" + expected_signature(github.WEBHOOK_SECRET, body)
        return hmac.compare_digest(headers.get("x-hub-signature-256", ""), expected)

    with WebhookReceiver(verify) as app:
        assert fake_github.issue_webhook(1).post(app.url) == 200
        assert fake_github.ping_webhook().post(app.url) == 200
        assert fake_github.issue_webhook(1, secret="wrong").post(app.url) == 401
        assert fake_github.issue_webhook(1, tamper=True).post(app.url) == 401
    headers, body = app.deliveries[0]
    assert (headers["x-github-event"], headers["content-type"]) == ("issues", "application/json")
    assert uuid.UUID(headers["x-github-delivery"])
    delivered = fake_github.issue_webhook(1).payload
    assert delivered["action"] == "closed" and delivered["issue"]["state_reason"] == "completed"
    assert delivered["repository"]["full_name"] == github.REPOSITORY
    assert app.deliveries[1][0]["x-github-event"] == "ping"


# -- Jira Cloud


def test_jira_refuses_wrong_credentials_and_hides_projects_from_anonymous(fake_jira):
    project = f"{fake_jira.url}/rest/api/3/project/{jira.PROJECT}"
    wrong = send(project, headers={"Authorization": basic(jira.EMAIL, "nope")})
    assert (wrong.status, wrong.text) == (401, jira.UNAUTHENTICATED)
    assert send(project).status == 404
    assert send(f"{fake_jira.url}/rest/api/3/issue", "POST", {"fields": {}}).status == 401
    found = send(project, headers=JIRA).json()
    assert (found["key"], found["name"]) == (jira.PROJECT, "Operations")
    missing = send(f"{fake_jira.url}/rest/api/3/project/NOPE", headers=JIRA)
    assert missing.json() == {"errorMessages": ["No project could be found with key 'NOPE'."], "errors": {}}


def test_jira_issue_fields_are_checked_together(fake_jira):
    url = f"{fake_jira.url}/rest/api/3/issue"
    fields = {"project": {"key": jira.PROJECT}, "issuetype": {"name": "Epic"}, "description": "plain text"}
    refused = send(url, "POST", {"fields": fields}, JIRA)
    assert refused.status == 400
    assert set(refused.json()["errors"]) == {"summary", "issuetype", "description"}
    assert refused.json()["errors"]["summary"] == "You must specify a summary of the issue."
    for summary in ("x" * 255, "two\nlines"):
        answer = send(url, "POST", {"fields": {**fields, "summary": summary, "issuetype": {"name": "Task"}}}, JIRA)
        assert answer.status == 400 and "summary" in answer.json()["errors"]


def test_jira_issue_round_trip_create_get_search_transition(fake_jira):
    fields = {"project": {"key": jira.PROJECT}, "summary": "Add a canary", "issuetype": {"name": "Task"},
              "description": DOC}  # fmt: skip
    created = send(f"{fake_jira.url}/rest/api/3/issue", "POST", {"fields": fields}, JIRA)
    assert created.status == 201
    assert created.json()["key"] == "OPS-1"
    assert created.json()["self"] == f"{fake_jira.url}/rest/api/3/issue/{created.json()['id']}"
    status = send(f"{fake_jira.url}/rest/api/3/issue/OPS-1?fields=status", headers=JIRA).json()["fields"]
    assert status == {"status": {**status["status"], "name": "To Do"}}
    assert status["status"]["statusCategory"]["key"] == "new"
    search = f"{fake_jira.url}/rest/api/3/search/jql"
    jql = {"jql": f'project = "{jira.PROJECT}" AND text ~ "flaky"', "fields": ["summary"], "maxResults": 10}
    assert [i["key"] for i in send(search, "POST", jql, JIRA).json()["issues"]] == ["OPS-1"]
    fake_jira.transition("OPS-1", "done")
    found = send(search, "POST", {"jql": "key in (OPS-1)", "fields": ["status"]}, JIRA).json()
    assert found["issues"][0]["fields"]["status"]["statusCategory"]["key"] == "done" and found["isLast"]
    assert send(f"{fake_jira.url}/rest/api/3/issue/OPS-9", headers=JIRA).status == 404


def test_jira_search_refuses_other_jql_unknown_keys_and_old_paging(fake_jira):
    search = f"{fake_jira.url}/rest/api/3/search/jql"
    assert (
        send(search, "POST", {"jql": "assignee = currentUser()"}, JIRA)
        .json()["errorMessages"][0]
        .startswith("Error in the JQL Query")
    )
    assert send(search, "POST", {"jql": "key in (OPS-7)"}, JIRA).status == 400
    assert send(search, "POST", {"jql": "key in (OPS-1)", "startAt": 0}, JIRA).status == 400
    assert send(search, "POST", {"jql": ""}, JIRA).status == 400


def test_jira_rate_limit_and_queued_failures(fake_jira):
    project = f"{fake_jira.url}/rest/api/3/project/{jira.PROJECT}"
    fake_jira.limit_rate(retry_after=7)
    limited = send(project, headers=JIRA)
    assert (limited.status, limited.headers["retry-after"]) == (429, "7")
    fake_jira.queue_failure(503, retry_after=2)
    failed = send(project, headers=JIRA)
    assert (failed.status, failed.headers["retry-after"], failed.json()["errors"]) == (503, "2", {})
    assert send(project, headers=JIRA).status == 200


def test_jira_webhooks_are_signed_as_secure_admin_webhooks(fake_jira):
    fields = {"project": {"key": jira.PROJECT}, "summary": "Add a canary", "issuetype": {"name": "Task"}}
    send(f"{fake_jira.url}/rest/api/3/issue", "POST", {"fields": fields}, JIRA)
    fake_jira.transition("OPS-1", "done")

    def verify(headers, body):
        expected = "sha256=" + expected_signature(jira.WEBHOOK_SECRET, body)
        return hmac.compare_digest(headers.get("x-hub-signature", ""), expected)

    with WebhookReceiver(verify) as app:
        assert fake_jira.issue_webhook("OPS-1").post(app.url) == 200
        assert fake_jira.issue_webhook("OPS-1", secret="wrong").post(app.url) == 401
        assert fake_jira.issue_webhook("OPS-1", tamper=True).post(app.url) == 401
    payload = fake_jira.issue_webhook("OPS-1").payload
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue"]["fields"]["status"]["statusCategory"]["key"] == "done"
    assert payload["changelog"]["items"][0]["toString"] == "Done"


# -- Linear


def graphql(fake, query, variables=None, authorization=linear.API_KEY):
    return send(fake.url, "POST", {"query": query, "variables": variables or {}}, {"Authorization": authorization})


def test_linear_takes_a_bare_api_key_or_a_bearer_oauth_token(fake_linear):
    assert graphql(fake_linear, TEAMS, {"key": "ENG"}).status == 200
    assert graphql(fake_linear, TEAMS, {"key": "ENG"}, f"Bearer {linear.OAUTH_TOKEN}").status == 200
    for wrong in ("lin_api_wrong", f"Bearer {linear.API_KEY}", ""):
        refused = graphql(fake_linear, TEAMS, {"key": "ENG"}, wrong)
        assert refused.status == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"
    assert all(linear.API_KEY not in str(call.headers) for call in fake_linear.calls)


def test_linear_refuses_unknown_operations_and_invalid_input(fake_linear):
    assert graphql(fake_linear, "query { viewer { id } }").json()["errors"]
    team = fake_linear.team()["id"]
    for given in (
        {"title": "x"},
        {"teamId": team},
        {"teamId": team, "title": ""},
        {"teamId": team, "title": "x", "id": "7"},
    ):
        answer = graphql(fake_linear, CREATE, {"input": given})
        assert answer.status == 400 and answer.json()["errors"][0]["message"] == "Argument Validation Error"
    unknown = graphql(fake_linear, CREATE, {"input": {"teamId": str(uuid.uuid4()), "title": "x"}})
    assert unknown.json()["errors"][0]["message"] == "Entity not found: Team"


def test_linear_issue_round_trip_create_get_complete(fake_linear):
    teams = graphql(fake_linear, TEAMS, {"key": "ENG"}).json()["data"]["teams"]["nodes"]
    assert teams == [{"id": linear.TEAM_ID, "key": "ENG", "name": "Engineering"}]
    chosen = str(uuid.uuid4())
    given = {"teamId": linear.TEAM_ID, "title": "Add a canary", "description": "From /fail", "id": chosen}
    created = graphql(fake_linear, CREATE, {"input": given}).json()["data"]["issueCreate"]
    assert created["success"] and created["issue"]["id"] == chosen
    assert created["issue"]["identifier"] == "ENG-1" and created["issue"]["state"]["type"] == "unstarted"
    assert created["issue"]["url"].startswith("https://linear.app/acme/issue/ENG-1/")
    again = graphql(fake_linear, CREATE, {"input": given}).json()
    assert again["errors"][0]["message"] == "Entity already exists"
    fake_linear.complete(chosen)
    assert graphql(fake_linear, ISSUE, {"id": chosen}).json()["data"]["issue"]["state"]["type"] == "completed"
    fake_linear.cancel(chosen)
    assert fake_linear.issue("ENG-1")["state"]["type"] == "canceled"
    fake_linear.reopen(chosen)
    assert fake_linear.issue(chosen)["state"]["type"] == "unstarted"
    missing = graphql(fake_linear, ISSUE, {"id": str(uuid.uuid4())}).json()
    assert missing["errors"][0]["message"] == "Entity not found: Issue"


def test_linear_rate_limit_is_http_400_with_code_ratelimited(fake_linear):
    fake_linear.limit_rate()
    limited = graphql(fake_linear, TEAMS, {"key": "ENG"})
    assert limited.status == 400
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATELIMITED"
    assert limited.headers["x-ratelimit-requests-remaining"] == "0"
    assert graphql(fake_linear, TEAMS, {"key": "ENG"}).status == 200
    fake_linear.wait_for(2)


def test_linear_webhooks_are_signed_with_hmac_sha256_hex(fake_linear):
    given = {"teamId": linear.TEAM_ID, "title": "Add a canary"}
    issue_id = graphql(fake_linear, CREATE, {"input": given}).json()["data"]["issueCreate"]["issue"]["id"]
    fake_linear.complete(issue_id)

    def verify(headers, body):
        return hmac.compare_digest(headers.get("linear-signature", ""), expected_signature(linear.WEBHOOK_SECRET, body))

    with WebhookReceiver(verify) as app:
        assert fake_linear.issue_webhook(issue_id).post(app.url) == 200
        assert fake_linear.issue_webhook(issue_id, secret="wrong").post(app.url) == 401
        assert fake_linear.issue_webhook(issue_id, tamper=True).post(app.url) == 401
    headers, _ = app.deliveries[0]
    assert headers["linear-event"] == "Issue" and uuid.UUID(headers["linear-delivery"])
    payload = fake_linear.issue_webhook(issue_id).payload
    assert (payload["action"], payload["type"], payload["data"]["state"]["type"]) == ("update", "Issue", "completed")
    assert abs(payload["webhookTimestamp"] - time.time() * 1000) < 60_000
