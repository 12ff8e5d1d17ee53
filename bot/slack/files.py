"""Reading a file a person shared with the app: its bytes, fetched with the bot token (files:read)."""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from slack_sdk import WebClient

from bot.slack.api import TIMEOUT_SECONDS


class FileNotReadable(Exception):
    """Slack did not give us the file: its sign-in page instead (no files:read, say), or no link at all."""


class FileTooBig(Exception):
    """The file holds more than the caller takes: it is not read further."""


def is_slack_host(url: str, client: WebClient) -> bool:
    """The bot token goes only to Slack (or the Web API the app is pointed at), never to a link
    someone else wrote into a payload."""
    host = urlsplit(url).hostname or ""
    api_host = urlsplit(client.base_url).hostname or ""
    return urlsplit(url).scheme in ("https", "http") and (host == api_host or host.endswith(".slack.com"))


def download(client: WebClient, file: dict, max_bytes: int) -> bytes:
    """The file's bytes, at most `max_bytes` (FileTooBig past that). A network failure or an HTTP
    error is an OSError, for the task queue to try again."""
    url = file.get("url_private_download") or file.get("url_private")
    if not isinstance(url, str) or not is_slack_host(url, client):
        raise FileNotReadable("no Slack link to the file")
    request = Request(url, headers={"Authorization": f"Bearer {client.token}"})
    with urlopen(request, timeout=TIMEOUT_SECONDS * 2) as response:  # noqa: S310 - a Slack host, checked above
        if response.headers.get_content_type() == "text/html":
            raise FileNotReadable("Slack answered with its sign-in page")
        data = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooBig(len(data))
    return data
