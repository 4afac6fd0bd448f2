"""Login with Amazon, locally: a stand-in for Amazon's OAuth endpoints, and where the managed login finds them.

The stand-in (``amazon_stand_in``) answers Amazon's three endpoints the managed login uses: ``/ap/oa`` (authorize:
a consent page where the tester picks a demo Amazon profile or types one), ``/auth/o2/token`` (code for an access
token, the client authenticated with its secret) and ``/user/profile`` (``user_id``, ``name``, ``email``). Its OAuth
mechanics are authlib's, as the managed login's are.

``AmazonEndpoints.from_environment`` points the managed login at the stand-in unless the environment names real
ones (README, "Using the real Login with Amazon"): ``CLOUDIVIZE_AMAZON_AUTHORIZE_URL``, ``..._TOKEN_URL``,
``..._PROFILE_URL``, ``..._CLIENT_ID``, ``..._CLIENT_SECRET``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from flask import Flask, request

from infrastructure.local.login.pages import amazon_consent_page, message_page

AUTHORIZE_PATH, TOKEN_PATH, PROFILE_PATH = "/ap/oa", "/auth/o2/token", "/user/profile"
STAND_IN_CLIENT_ID = "amzn1.application-oa2-client.cloudivize-local"
ENVIRONMENT_PREFIX = "CLOUDIVIZE_AMAZON_"
DEMO_PROFILES = (("Ada Amazon", "ada@amazon.example"), ("Bo Buyer", "bo@amazon.example"))
CODE_LIFETIME_SECONDS = 300


@dataclass(frozen=True)
class AmazonEndpoints:
    """Login with Amazon as the managed login's OAuth client sees it."""

    authorize_url: str
    token_url: str
    profile_url: str
    client_id: str
    client_secret: str = field(repr=False)

    @classmethod
    def from_environment(cls, stand_in_url: str, environ: Mapping[str, str] = os.environ) -> AmazonEndpoints:
        """The environment's endpoints, else the stand-in's, with a secret made for this run."""

        def setting(name: str, default: str) -> str:
            return environ.get(ENVIRONMENT_PREFIX + name) or default

        return cls(
            authorize_url=setting("AUTHORIZE_URL", stand_in_url + AUTHORIZE_PATH),
            token_url=setting("TOKEN_URL", stand_in_url + TOKEN_PATH),
            profile_url=setting("PROFILE_URL", stand_in_url + PROFILE_PATH),
            client_id=setting("CLIENT_ID", STAND_IN_CLIENT_ID),
            client_secret=setting("CLIENT_SECRET", secrets.token_urlsafe(32)),
        )


def amazon_user_id(email: str) -> str:
    """A stable Amazon-style user id for a stand-in profile: the same email is the same Amazon account."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:28].upper()
    return f"amzn1.account.{digest}"


@dataclass(frozen=True)
class _Client(ClientMixin):
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str | None) -> str:
        return "profile"

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass(frozen=True)
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    profile: dict[str, str]
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return "profile"


class _Store:
    """Codes (single use: taken when asked for) and access tokens, in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.codes: dict[str, _Code] = {}
        self.tokens: dict[str, dict[str, str]] = {}

    def take_code(self, code: str, client_id: str) -> _Code | None:
        with self._lock:
            found = self.codes.pop(code, None)
        if found is None or found.client_id != client_id or found.expires_at < time.monotonic():
            return None
        return found


def amazon_stand_in(endpoints: AmazonEndpoints, redirect_uri: str) -> Flask:
    """The stand-in for Amazon's endpoints, with one client: the managed login's, returning to ``redirect_uri``."""
    client = _Client(endpoints.client_id, endpoints.client_secret, redirect_uri)
    store = _Store()

    class CodeGrant(AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post", "client_secret_basic"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            store.codes[code] = _Code(
                code, client.client_id, redirect_uri, request.user, time.monotonic() + CODE_LIFETIME_SECONDS
            )

        def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
            return store.take_code(code, client.client_id)

        def delete_authorization_code(self, authorization_code: _Code) -> None:
            pass  # taken when queried

        def authenticate_user(self, authorization_code: _Code) -> dict[str, str]:
            return authorization_code.profile

    def save_token(token: dict[str, Any], request: Any) -> None:
        store.tokens[token["access_token"]] = request.user

    app = Flask(__name__)
    server = AuthorizationServer(
        app, query_client=lambda cid: client if cid == client.client_id else None, save_token=save_token
    )
    server.register_grant(CodeGrant)

    @app.route(AUTHORIZE_PATH, methods=["GET", "POST"])
    def authorize() -> Any:
        try:
            grant = server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        if request.method == "GET":
            return amazon_consent_page(request.full_path, DEMO_PROFILES)
        name, email = request.form.get("name", "").strip(), request.form.get("email", "").strip()
        if not name or "@" not in email:
            return amazon_consent_page(request.full_path, DEMO_PROFILES), 400
        profile = {"user_id": amazon_user_id(email), "name": name, "email": email}
        return server.create_authorization_response(grant=grant, grant_user=profile)

    @app.post(TOKEN_PATH)
    def token() -> Any:
        return server.create_token_response()

    @app.get(PROFILE_PATH)
    def profile() -> Any:
        scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
        found = store.tokens.get(access_token) if scheme.lower() == "bearer" else None
        if found is None:
            return {"error": "invalid_token", "error_description": "The access token is invalid."}, 401
        return found

    @app.errorhandler(404)
    def not_found(_: Exception) -> Any:
        return message_page("Not found", "The Amazon stand-in has no such page."), 404

    return app
