"""Reading a file a person shared with the app: its bytes, fetched with the bot token (files:read)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from slack_sdk import WebClient

from bot.slack.api import TIMEOUT_SECONDS


class FileNotReadable(Exception):
    """Slack did not give us the file: its sign-in page instead (no files:read, say), or no link at all."""


class FileTooBig(Exception):
    """The file holds more than the caller takes: it is not read further."""


def is_slack_host(url: str, client: WebClient) -> bool:
    """The bot token goes only to the Slack the app talks to: over HTTPS to its Web API's host or a
    subdomain of it (files.slack.com; files.slack-gov.com for GovSlack), or to exactly the Web API's
    own address (the tests' fake Slack); never to a link someone else wrote into a payload."""
    parts, api = urlsplit(url), urlsplit(client.base_url)
    if parts.scheme == api.scheme and parts.hostname == api.hostname and parts.port == api.port:
        return True
    host, api_host = parts.hostname or "", api.hostname or ""
    return parts.scheme == "https" and bool(api_host) and (host == api_host or host.endswith("." + api_host))


def _opener(client: WebClient):
    """Redirects are followed only to where the token may go: urllib would send it on to any host."""

    class SlackOnlyRedirects(HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if not is_slack_host(newurl, client):
                raise FileNotReadable("a redirect away from Slack")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return build_opener(SlackOnlyRedirects)


def download(client: WebClient, file: dict, max_bytes: int) -> bytes:
    """The file's bytes, at most `max_bytes` (FileTooBig past that). A network failure or an HTTP
    error is an OSError, for the caller's retry."""
    url = file.get("url_private_download") or file.get("url_private")
    if not isinstance(url, str) or not is_slack_host(url, client):
        raise FileNotReadable("no Slack link to the file")
    # A link with a name in Korean, say, as a client may hand it over unencoded: sent percent-encoded.
    request = Request(quote(url, safe=":/?&=%#+@"), headers={"Authorization": f"Bearer {client.token}"})
    with _opener(client).open(request, timeout=TIMEOUT_SECONDS * 2) as response:
        if response.headers.get_content_type() == "text/html":
            raise FileNotReadable("Slack answered with its sign-in page")
        data = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooBig(len(data))
    return data
