"""How the bot talks back to Slack: one retry policy for every Web API and response_url call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from bot.ops import metrics

# Slack answers within a second or two; one that takes longer than this is treated as down.
TIMEOUT_SECONDS = 5


class _Counted(RetryHandler):
    """Retries nothing itself: counts the 429s and 5xx answers that the handlers after it retry."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=1_000_000)

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if response is not None and (response.status_code == 429 or response.status_code >= 500):
            # The Web API method, from the URL (…/api/chat.postMessage); a response_url is not named.
            method = request.url.split("/api/", 1)[1].split("?")[0] if "/api/" in request.url else "response_url"
            metrics.slack_retry(method, "ratelimited" if response.status_code == 429 else "server_error")
        return False


def retry_handlers() -> list:
    # 429s wait for Retry-After; 500 and 503 (Slack did not act) are tried again a couple of times.
    # A dropped connection is not retried: Slack may have posted the message already.
    return [_Counted(), RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(max_retry_count=2)]


class CountedWebClient(WebClient):
    """Every Web API call counted by its method and how Slack answered (ok, or Slack's error code)."""

    def api_call(self, api_method: str, *args, **kwargs):
        try:
            response = super().api_call(api_method, *args, **kwargs)
        except SlackApiError as error:
            metrics.slack_call(api_method, str(error.response.get("error") or error.response.status_code))
            raise
        except Exception:
            metrics.slack_call(api_method, "no_answer")
            raise
        metrics.slack_call(api_method, "ok")
        return response


def counted(client: WebClient) -> WebClient:
    """Bolt makes a plain WebClient for each request, a copy of ours (its retry handlers included):
    its calls are counted too. The subclass adds behaviour only, so the instance is kept as it is."""
    if type(client) is WebClient:
        client.__class__ = CountedWebClient
    return client


def build_oauth_client(base_url: str) -> WebClient:
    """For oauth.v2.access: a refresh token works once, so a 500 is not retried (Slack may have used it)."""
    return CountedWebClient(
        base_url=base_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[_Counted(), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


def build_web_client(token: str | None, base_url: str, team_id: str | None = None) -> WebClient:
    # team_id: an org-wide install's token names the workspace it acts in with every call.
    return CountedWebClient(
        token=token, base_url=base_url, team_id=team_id, timeout=TIMEOUT_SECONDS, retry_handlers=retry_handlers()
    )


def reply(
    client: WebClient,
    user_id: str,
    response_url: str | None,
    message: dict,
    replace_original: bool = False,
) -> None:
    """An answer only the person sees: in place (response_url) when we have one, else in their app DM."""
    if response_url:
        webhook = WebhookClient(response_url, timeout=TIMEOUT_SECONDS, retry_handlers=retry_handlers())
        try:
            response = webhook.send(
                text=message["text"],
                blocks=message.get("blocks"),
                response_type="ephemeral",
                replace_original=replace_original,
            )
            if response.status_code < 400:
                return
        except OSError:
            pass
        # A response_url lasts 30 minutes and 5 uses: fall back to the DM rather than lose the answer.
    client.chat_postMessage(channel=user_id, text=message["text"], blocks=message.get("blocks"))


def post_joining(client: WebClient, channel: str, message: dict):
    """Post to the channel, joining it first if it is public and the app is not in it yet."""
    try:
        return client.chat_postMessage(channel=channel, **message)
    except SlackApiError as error:
        if error.response.get("error") != "not_in_channel":
            raise
    client.conversations_join(channel=channel)
    return client.chat_postMessage(channel=channel, **message)


def is_admin(user: dict) -> bool:
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


class MembersPage(NamedTuple):
    members: list[dict]
    next_cursor: str | None


def members_page(client: WebClient, cursor: str | None = None) -> MembersPage:
    """One page of users.list (200 people, each with their Slack locale), and the cursor of the next
    page, None after the last."""
    asked = {"limit": 200, "include_locale": True, **({"cursor": cursor} if cursor else {})}
    page = client.users_list(**asked)
    return MembersPage(page.get("members") or [], (page.get("response_metadata") or {}).get("next_cursor") or None)


def workspace_members(client: WebClient) -> Iterator[dict]:
    """Everyone users.list returns, a page at a time."""
    page = members_page(client)
    yield from page.members
    while page.next_cursor:
        page = members_page(client, page.next_cursor)
        yield from page.members


def permalink(client: WebClient, channel: str, message_ts: str) -> str | None:
    """A link back to a message; the entry is still saved without one when Slack says no."""
    try:
        return client.chat_getPermalink(channel=channel, message_ts=message_ts).get("permalink")
    except (SlackApiError, OSError):  # OSError: no answer in time
        return None
