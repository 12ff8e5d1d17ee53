"""The fake Slack's side of installs: which token belongs to which workspace, OAuth codes and token rotation.

Like Slack: `oauth.v2.access` exchanges a one-time code (after a person clicked Allow) or a refresh token
for a bot token; rotated tokens expire; an uninstall revokes every token of the workspace at once."""

from __future__ import annotations

import base64
import itertools
import threading
import time
from dataclasses import dataclass

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"
# Slack's rotating bot tokens live 12 hours.
TOKEN_LIFETIME_SECONDS = 12 * 3600


@dataclass
class Grant:
    team_id: str | None
    enterprise_id: str | None
    expires_at: float | None = None
    is_enterprise_install: bool = False

    @property
    def bot_user_id(self) -> str:
        return f"UBOT{self.team_id or self.enterprise_id}"


@dataclass
class _Consent:
    """What a person allowed on Slack's install page, waiting for the app to exchange the code."""

    grant: Grant
    installer: str
    rotation: bool
    user_token: bool


class Grants:
    def __init__(self, tokens, team_id: str, client_id: str, client_secret: str) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, Grant] = {token: Grant(team_id, None) for token in tokens}
        self._revoked: set[str] = set()
        self._codes: dict[str, _Consent] = {}
        self._refresh: dict[str, Grant] = {}
        self._serial = itertools.count(1)
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime = TOKEN_LIFETIME_SECONDS

    # -- what a test does on Slack's side

    def consent(
        self,
        team_id: str | None,
        *,
        enterprise_id: str | None = None,
        installer: str = "U1",
        rotation: bool = False,
        org_wide: bool = False,
        user_token: bool = False,
    ) -> str:
        """A person clicks Allow on Slack's install page; returns the code Slack sends to the redirect URL.
        user_token: the authorize URL asked for user scopes too (someone tampered with it)."""
        code = f"code-{next(self._serial)}"
        grant = Grant(None if org_wide else team_id, enterprise_id, is_enterprise_install=org_wide)
        with self._lock:
            self._codes[code] = _Consent(grant, installer, rotation, user_token)
        return code

    def uninstall(self, team_id: str | None, enterprise_id: str | None = None) -> None:
        """The workspace (or the org, for an org-wide install) removes the app: its tokens stop working."""
        with self._lock:
            for token, grant in self._tokens.items():
                if grant.team_id == team_id and grant.enterprise_id == enterprise_id:
                    self._revoked.add(token)
            self._refresh = {
                r: g for r, g in self._refresh.items() if (g.team_id, g.enterprise_id) != (team_id, enterprise_id)
            }

    # -- what the Web API does with them

    def check(self, token: str) -> tuple[Grant | None, str | None]:
        """The grant behind a token, or Slack's error for it."""
        with self._lock:
            grant = self._tokens.get(token)
            if grant is None:
                return None, "invalid_auth"
            if token in self._revoked:
                return None, "token_revoked"
            if grant.expires_at is not None and grant.expires_at <= time.time():
                return None, "token_expired"
            return grant, None

    def exchange(self, authorization: str | None, args: dict) -> dict:
        """oauth.v2.access: a code or a refresh token for a bot token."""
        client_id, client_secret = _basic_auth(authorization) or (args.get("client_id"), args.get("client_secret"))
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        with self._lock:
            if args.get("grant_type") == "refresh_token":
                grant = self._refresh.pop(args.get("refresh_token") or "", None)
                if grant is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
                return self._issue(grant, rotation=True, installer=None)
            consent = self._codes.pop(args.get("code") or "", None)
            if consent is None:
                return {"ok": False, "error": "invalid_code"}
            answer = self._issue(consent.grant, consent.rotation, consent.installer)
            if consent.user_token:
                answer["authed_user"].update(access_token=f"xoxp-{consent.installer}", scope="channels:history")
            return answer

    def _issue(self, grant: Grant, rotation: bool, installer: str | None) -> dict:
        serial = next(self._serial)
        token = f"xoxb-{grant.team_id or grant.enterprise_id}-{serial}"
        grant = Grant(grant.team_id, grant.enterprise_id, is_enterprise_install=grant.is_enterprise_install)
        answer = {
            "ok": True,
            "app_id": "A0FAKE",
            "token_type": "bot",
            "access_token": token,
            "scope": "",  # filled in by the server from the manifest
            "bot_user_id": grant.bot_user_id,
            "team": {"id": grant.team_id, "name": f"Team {grant.team_id}"} if grant.team_id else None,
            "enterprise": {"id": grant.enterprise_id, "name": "Org"} if grant.enterprise_id else None,
            "is_enterprise_install": grant.is_enterprise_install,
        }
        if installer:
            answer["authed_user"] = {"id": installer}
        if rotation:
            grant.expires_at = time.time() + self.token_lifetime
            refresh = f"xoxe-1-{serial}"
            self._refresh[refresh] = grant
            answer.update(refresh_token=refresh, expires_in=self.token_lifetime)
        self._tokens[token] = grant
        return answer


def _basic_auth(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
    return user, password
