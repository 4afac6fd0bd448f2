"""The console's static files and a stand-in of Cognito's managed login, as the signin contract describes them,
for the browser tests that exercise the console itself against a stack that serves no managed login.

It is strict where the console must be right: the authorize request must carry PKCE (S256) and the exact
redirect URI, the token request the verifier of that challenge, the revoke request the refresh token, and
the logout the exact logout URI. The tokens are the user pool's real ones (USER_PASSWORD_AUTH), so the API
verifies them unchanged. ``test_console_sign_in.py`` covers the real managed login.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Tokens = Callable[[], dict[str, Any]]  # a fresh AuthenticationResult (IdToken, AccessToken, RefreshToken, ...)


@dataclass
class Recorded:
    authorize: list[dict[str, str]] = field(default_factory=list)
    signup: list[dict[str, str]] = field(default_factory=list)
    token_grants: list[str] = field(default_factory=list)
    revoked: list[dict[str, str]] = field(default_factory=list)
    logouts: list[dict[str, str]] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: ConsoleSite, role: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site, self.role = site, role

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ConsoleSite:
    """The console at one origin (its dist + /config.json), the managed-login stand-in at another."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist
        self.console = _Server(self, "console")
        self.auth = _Server(self, "auth")
        self.recorded = Recorded()
        self.config: dict[str, Any] = {}
        self.tokens: Tokens | None = None
        self.expires_in: int | None = None  # the lifetime said of a sign-in's tokens, if not the pool's
        self.renewed = threading.Event()  # set by each refresh_token grant
        self._codes: dict[str, str] = {}  # code -> its code_challenge

    def configure(self, *, api_url: str, user_pool_id: str, client_id: str, region: str, tokens: Tokens) -> None:
        self.tokens = tokens
        self.config = {
            "apiUrl": api_url,
            "authority": f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}",
            "metadataUrl": f"{self.auth.origin}/{user_pool_id}/.well-known/openid-configuration",
            "clientId": client_id,
            "redirectUri": f"{self.console.origin}/auth/callback",
            "postLogoutRedirectUri": f"{self.console.origin}/",
            "logoutEndpoint": f"{self.auth.origin}/logout",
            "scope": "openid email profile",
            "identityProviders": ["COGNITO", "LoginWithAmazon"],
        }

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.config["authority"],
            "authorization_endpoint": f"{self.auth.origin}/oauth2/authorize",
            "token_endpoint": f"{self.auth.origin}/oauth2/token",
            "userinfo_endpoint": f"{self.auth.origin}/oauth2/userInfo",
            "revocation_endpoint": f"{self.auth.origin}/oauth2/revoke",
            "jwks_uri": f"{self.auth.origin}/jwks.json",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }

    def start(self) -> ConsoleSite:
        for server in (self.console, self.auth):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in (self.console, self.auth):
            server.shutdown()
            server.server_close()

    def issue_code(self, query: dict[str, str]) -> str:
        """The managed login's checks of an authorize request; the code it answers."""
        expected = {
            "response_type": "code",
            "client_id": self.config["clientId"],
            "redirect_uri": self.config["redirectUri"],
        }
        for name, value in expected.items():
            if query.get(name) != value:
                raise ValueError(f"{name} must be {value!r}, not {query.get(name)!r}")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise ValueError("PKCE with S256 is required")
        code = secrets.token_urlsafe(16)
        self._codes[code] = query["code_challenge"]
        return code

    def redeem(self, form: dict[str, str]) -> dict[str, Any]:
        grant = form.get("grant_type", "")
        if form.get("client_id") != self.config["clientId"]:
            raise ValueError("unknown client")
        if grant == "authorization_code":
            challenge = self._codes.pop(form.get("code", ""), None)
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if challenge is None or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
                raise ValueError("invalid_grant")
        elif grant != "refresh_token":
            raise ValueError("unsupported_grant_type")
        self.recorded.token_grants.append(grant)
        if grant == "refresh_token":
            self.renewed.set()
        assert self.tokens is not None
        result = self.tokens()
        answer = {
            "id_token": result["IdToken"],
            "access_token": result["AccessToken"],
            # A shorter lifetime, when set, for the sign-in's tokens only: their renewal gets the pool's.
            "expires_in": (grant == "authorization_code" and self.expires_in) or result["ExpiresIn"],
            "token_type": "Bearer",
        }
        if grant == "authorization_code":
            answer["refresh_token"] = result["RefreshToken"]
        return answer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        site, query = self.server.site, {k: v[0] for k, v in parse_qs(url.query).items()}
        if self.server.role == "console":
            if url.path == "/config.json":
                return self._send(HTTPStatus.OK, json.dumps(site.config).encode(), "application/json")
            file = (site.dist / url.path.lstrip("/")).resolve()
            if not file.is_file() or site.dist.resolve() not in file.parents:
                file = site.dist / "index.html"  # SPA fallback
            kind = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}.get(file.suffix, "text/plain")
            return self._send(HTTPStatus.OK, file.read_bytes(), kind)
        if url.path.endswith("/.well-known/openid-configuration"):
            return self._send(HTTPStatus.OK, json.dumps(site.discovery()).encode(), "application/json")
        if url.path in ("/oauth2/authorize", "/signup"):
            (site.recorded.authorize if url.path == "/oauth2/authorize" else site.recorded.signup).append(query)
            try:
                code = site.issue_code(query)
            except ValueError as error:
                return self._send(HTTPStatus.BAD_REQUEST, str(error).encode(), "text/plain")
            return self._redirect(
                f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
            )
        if url.path == "/logout":
            site.recorded.logouts.append(query)
            if query.get("logout_uri") != site.config["postLogoutRedirectUri"]:
                return self._send(HTTPStatus.BAD_REQUEST, b"logout_uri is not a LogoutURL", "text/plain")
            return self._redirect(query["logout_uri"])
        self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def do_POST(self) -> None:
        site = self.server.site
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        path = urlsplit(self.path).path
        if path == "/oauth2/token":
            try:
                answer = site.redeem(form)
            except ValueError as error:
                return self._send(
                    HTTPStatus.BAD_REQUEST, json.dumps({"error": str(error)}).encode(), "application/json"
                )
            return self._send(HTTPStatus.OK, json.dumps(answer).encode(), "application/json")
        if path == "/oauth2/revoke":
            site.recorded.revoked.append(form)
            return self._send(HTTPStatus.OK, b"", "application/json")
        self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if self.server.role == "auth":  # the token and revocation endpoints are called from the console's origin
            self.send_header("Access-Control-Allow-Origin", self.server.site.console.origin)
        self.end_headers()
        self.wfile.write(body)
