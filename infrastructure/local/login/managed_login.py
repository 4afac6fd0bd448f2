"""Cognito's managed login, emulated: the hosted pages and OAuth 2.0 / OIDC endpoints under the pool's domain.

Same paths and semantics as Cognito's (docs/architecture.md, "Local stack"): ``/oauth2/authorize`` (code flow,
PKCE S256 required, ``redirect_uri`` exactly one of the app client's CallbackURLs, ``identity_provider``), the
``/login``, ``/signup`` and ``/confirmUser`` pages, ``/oauth2/token`` (``authorization_code`` with
``code_verifier``, ``refresh_token``), ``/oauth2/userInfo``, ``/oauth2/revoke``, ``/logout``,
``/oauth2/idpresponse`` (Login with Amazon's return) and the pool's OIDC discovery and JWKS.

The OAuth mechanics are authlib's (its Flask ``AuthorizationServer``, ``AuthorizationCodeGrant`` with
``CodeChallenge``, ``RefreshTokenGrant``, ``RevocationEndpoint``); the users, passwords and tokens are the emulated
pool's (``user_pool``): a code stands for a signed-in user, and the token endpoint answers with the pool's own
tokens, which the API's authorizer verifies unchanged. The signed-in browser is remembered by a session cookie
(HttpOnly, SameSite=Lax), so a second authorize asks nothing until ``/logout``.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, Response, redirect, request

from infrastructure.local.aws.users import confirm_user
from infrastructure.local.login.amazon import AmazonEndpoints
from infrastructure.local.login.pages import confirm_page, login_page, message_page, signup_page
from infrastructure.local.login.user_pool import AppClient, NotConfirmed, SignInRefused, UserPool
from infrastructure.resources import AMAZON_PROVIDER_NAME, AMAZON_SCOPES, OAUTH_SCOPES

log = logging.getLogger(__name__)

AUTHORIZE_PATH, TOKEN_PATH, USERINFO_PATH = "/oauth2/authorize", "/oauth2/token", "/oauth2/userInfo"
REVOKE_PATH, LOGOUT_PATH, IDP_RESPONSE_PATH = "/oauth2/revoke", "/logout", "/oauth2/idpresponse"
LOGIN_PATH, SIGNUP_PATH, CONFIRM_PATH = "/login", "/signup", "/confirmUser"
SESSION_COOKIE = "cognito"  # the managed login's own cookie name
AMAZON_STATE_COOKIE = "cognito-idp-state"  # binds Amazon's return to the browser that left for it
CODE_LIFETIME_SECONDS = 300  # Cognito's authorization codes live 5 minutes
SESSION_LIFETIME_SECONDS = 3600  # Cognito's managed-login session: one hour
VERIFICATION_LIFETIME_SECONDS = 24 * 3600
CORS_PATHS = (TOKEN_PATH, USERINFO_PATH, REVOKE_PATH)  # what a browser page calls itself; discovery too


def verification_code() -> str:
    """Six digits from the CSPRNG, as Cognito emails them."""
    return f"{secrets.randbelow(10**6):06d}"


@dataclass(frozen=True)
class _Client(ClientMixin):
    """The app client as authlib asks about it: public (no secret), code flow, exact redirect URIs."""

    settings: AppClient

    def get_client_id(self) -> str:
        return self.settings.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # Cognito requires redirect_uri

    def get_allowed_scope(self, scope: str | None) -> str | None:
        asked = scope_to_list(scope) or list(self.settings.scopes)
        return " ".join(asked) if set(asked) <= set(self.settings.scopes) else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.settings.callback_urls

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "code" in self.settings.flows

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass(frozen=True)
class _SignedIn:
    username: str
    provider: str  # COGNITO or the federated provider's name


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True)
class _Refreshed:
    """A refresh token the pool accepted, with the tokens it gave for it."""

    client_id: str
    tokens: dict[str, Any]

    def check_client(self, client: _Client) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return ""


@dataclass(frozen=True)
class _RefreshToken:
    value: str

    def check_client(self, client: _Client) -> bool:
        return True  # the pool checks the client itself on RevokeToken


class _Expiring:
    """A thread-safe in-memory map whose entries are taken once and expire."""

    def __init__(self, lifetime: float) -> None:
        self._lifetime, self._lock, self._items = lifetime, threading.Lock(), {}

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = (value, time.monotonic() + self._lifetime)

    def get(self, key: str | None) -> Any:
        with self._lock:
            value, expires_at = self._items.get(key or "", (None, 0.0))
        return value if expires_at > time.monotonic() else None

    def take(self, key: str | None) -> Any:
        with self._lock:
            value, expires_at = self._items.pop(key or "", (None, 0.0))
        return value if expires_at > time.monotonic() else None


class S256CodeChallenge(CodeChallenge):
    """PKCE as the contract requires it: a challenge on every authorization request, S256 only."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


def managed_login_app(
    pool: UserPool, *, auth_url: str, amazon: AmazonEndpoints, cors_origins: tuple[str, ...]
) -> Flask:
    """The managed login of ``pool``'s app clients, served at ``auth_url``."""
    resources = pool.resources
    codes, sessions = _Expiring(CODE_LIFETIME_SECONDS), _Expiring(SESSION_LIFETIME_SECONDS)
    verifications, amazon_trips = _Expiring(VERIFICATION_LIFETIME_SECONDS), _Expiring(CODE_LIFETIME_SECONDS)
    idp_response_url = auth_url + IDP_RESPONSE_PATH

    def query_client(client_id: str) -> _Client | None:
        settings = pool.app_client(client_id)
        return _Client(settings) if settings is not None else None

    class CodeGrant(AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            data = request.payload.data
            codes.put(
                code,
                _Code(
                    client_id=request.client.get_client_id(),
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope,
                    username=request.user.username,
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    expires_at=time.monotonic() + CODE_LIFETIME_SECONDS,
                ),
            )

        def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
            found = codes.take(code)  # single use: taken by its first exchange, whatever its outcome
            return found if found is not None and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code: _Code) -> None:
            pass  # taken when queried

        def authenticate_user(self, authorization_code: _Code) -> dict[str, Any]:
            return pool.tokens(authorization_code.client_id, authorization_code.username)

    class RefreshGrant(RefreshTokenGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

        def authenticate_refresh_token(self, refresh_token: str) -> _Refreshed | None:
            client_id = self.request.payload.client_id
            tokens = pool.refresh(client_id, refresh_token)
            return _Refreshed(client_id, tokens) if tokens is not None else None

        def authenticate_user(self, refreshed: _Refreshed) -> dict[str, Any]:
            return refreshed.tokens

        def revoke_old_credential(self, refreshed: _Refreshed) -> None:
            pass  # Cognito keeps the refresh token until it expires or is revoked

    class Revocation(RevocationEndpoint):
        CLIENT_AUTH_METHODS = ["none"]

        def query_token(self, token_string: str, token_type_hint: str | None) -> _RefreshToken:
            return _RefreshToken(token_string)

        def revoke_token(self, token: _RefreshToken, request: Any) -> None:
            if not pool.revoke(request.client.get_client_id(), token.value):
                raise InvalidGrantError()

    def pool_tokens(grant_type: str, client: Any, user: dict[str, Any], **_: Any) -> dict[str, Any]:
        """The token response: the pool's own tokens (a refresh answers no new refresh token, as Cognito)."""
        answer = {
            "id_token": user["IdToken"],
            "access_token": user["AccessToken"],
            "expires_in": user["ExpiresIn"],
            "token_type": "Bearer",
        }
        if "RefreshToken" in user:
            answer["refresh_token"] = user["RefreshToken"]
        return answer

    app = Flask(__name__)
    server = AuthorizationServer(app, query_client=query_client, save_token=lambda token, request: None)
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True)])
    server.register_grant(RefreshGrant)
    server.register_endpoint(Revocation)
    server.register_token_generator("default", pool_tokens)

    def oauth_query(drop: tuple[str, ...] = ()) -> str:
        return urlencode([(k, v) for k, v in request.args.items(multi=True) if k not in drop])

    def validated() -> Any:
        """The authorization request of this page's query, or the OAuth error response to answer instead."""
        try:
            return server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)

    def signed_in_as(username: str, provider: str, then: str) -> Response:
        session_id = secrets.token_urlsafe(32)
        sessions.put(session_id, _SignedIn(username, provider))
        response = redirect(then, code=302)
        response.set_cookie(SESSION_COOKIE, session_id, max_age=SESSION_LIFETIME_SECONDS, httponly=True, samesite="Lax")
        return response

    def back_to_authorize() -> str:
        return f"{AUTHORIZE_PATH}?{oauth_query(drop=('username',))}"

    @app.get(AUTHORIZE_PATH)
    def authorize() -> Any:
        grant = validated()
        if isinstance(grant, Response):
            return grant
        client: _Client = grant.request.client
        provider = request.args.get("identity_provider")
        if provider is not None and provider not in client.settings.identity_providers:
            error = InvalidRequestError(
                "Unsupported identity_provider", redirect_uri=grant.redirect_uri, state=request.args.get("state")
            )
            return server.handle_error_response(None, error)
        session = sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is not None and provider in (None, session.provider):
            return server.create_authorization_response(grant=grant, grant_user=session)
        if provider == AMAZON_PROVIDER_NAME:
            return to_amazon()
        return redirect(f"{LOGIN_PATH}?{oauth_query(drop=('identity_provider',))}", code=302)

    def to_amazon() -> Response:
        oauth = OAuth2Session(amazon.client_id, scope=" ".join(AMAZON_SCOPES), redirect_uri=idp_response_url)
        url, state = oauth.create_authorization_url(amazon.authorize_url)
        amazon_trips.put(state, oauth_query(drop=("identity_provider",)))
        response = redirect(url, code=302)
        response.set_cookie(AMAZON_STATE_COOKIE, state, max_age=CODE_LIFETIME_SECONDS, httponly=True, samesite="Lax")
        return response

    @app.get(IDP_RESPONSE_PATH)
    def idp_response() -> Any:
        state = request.args.get("state")
        if not state or not secrets.compare_digest(state, request.cookies.get(AMAZON_STATE_COOKIE, "")):
            return message_page("Sign-in failed", "The sign-in with Amazon did not start in this browser."), 400
        query = amazon_trips.take(state)
        if query is None or "code" not in request.args:
            return message_page("Sign-in failed", "The sign-in with Amazon did not complete."), 400
        oauth = OAuth2Session(
            amazon.client_id,
            amazon.client_secret,
            redirect_uri=idp_response_url,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name, as Amazon accepts it
        )
        try:
            oauth.fetch_token(amazon.token_url, code=request.args["code"], state=state)
            profile_response = oauth.get(amazon.profile_url, timeout=10)
            profile_response.raise_for_status()
            profile = profile_response.json()
        except (OAuth2Error, requests.RequestException, ValueError):
            return message_page("Sign-in failed", "Amazon did not confirm the sign-in."), 502
        mapping = pool.amazon_attribute_mapping(AMAZON_PROVIDER_NAME)
        attributes = {attribute: str(profile[field]) for attribute, field in mapping.items() if profile.get(field)}
        username, created = pool.federated_user(AMAZON_PROVIDER_NAME, profile["user_id"], attributes)
        if created:
            confirm_user(resources, username)  # Cognito's post-confirmation trigger on a first federated sign-in
        response = signed_in_as(username, AMAZON_PROVIDER_NAME, f"{AUTHORIZE_PATH}?{query}")
        response.delete_cookie(AMAZON_STATE_COOKIE)
        return response

    def amazon_link(client: _Client) -> str | None:
        if AMAZON_PROVIDER_NAME not in client.settings.identity_providers:
            return None
        return f"{AUTHORIZE_PATH}?{oauth_query(drop=('identity_provider',))}&identity_provider={AMAZON_PROVIDER_NAME}"

    @app.route(LOGIN_PATH, methods=["GET", "POST"])
    def login() -> Any:
        grant = validated()
        if isinstance(grant, Response):
            return grant
        here, signup = request.full_path, f"{SIGNUP_PATH}?{oauth_query()}"
        amazon_button = amazon_link(grant.request.client)
        if request.method == "GET":
            return login_page(here, signup, amazon_button)
        email, password = request.form.get("email", "").strip(), request.form.get("password", "")
        try:
            username = pool.check_password(grant.request.client.get_client_id(), email, password)
        except NotConfirmed:
            return redirect(f"{CONFIRM_PATH}?{oauth_query()}&{urlencode({'username': email})}", code=302)
        except SignInRefused as refused:
            return login_page(here, signup, amazon_button, str(refused), email)
        return signed_in_as(username, "COGNITO", back_to_authorize())

    @app.route(SIGNUP_PATH, methods=["GET", "POST"])
    def signup() -> Any:
        grant = validated()
        if isinstance(grant, Response):
            return grant
        here, login_url = request.full_path, f"{LOGIN_PATH}?{oauth_query()}"
        if request.method == "GET":
            return signup_page(here, login_url)
        email, password = request.form.get("email", "").strip(), request.form.get("password", "")
        try:
            pool.sign_up(grant.request.client.get_client_id(), email, password)
        except SignInRefused as refused:
            return signup_page(here, login_url, str(refused), email)
        code = verification_code()
        verifications.put(email.lower(), code)
        # The stand-in for the email Cognito sends: the one line that may carry the code.
        log.info("Verification code for %s: %s", email, code)
        return redirect(f"{CONFIRM_PATH}?{oauth_query()}&{urlencode({'username': email})}", code=302)

    @app.route(CONFIRM_PATH, methods=["GET", "POST"])
    def confirm() -> Any:
        grant = validated()
        if isinstance(grant, Response):
            return grant
        email = request.args.get("username", "")
        if request.method == "GET":
            return confirm_page(request.full_path, email)
        expected = verifications.get(email.lower())
        entered = request.form.get("code", "").strip()
        if expected is None or not secrets.compare_digest(entered, expected):
            return confirm_page(request.full_path, email, "Invalid verification code provided, please try again.")
        verifications.take(email.lower())
        pool.confirm_sign_up(email)
        user = confirm_user(resources, email)  # the deployed post-confirmation trigger, as `users add` runs it
        return signed_in_as(user.username, "COGNITO", back_to_authorize())

    @app.post(TOKEN_PATH)
    def token() -> Any:
        return server.create_token_response()

    @app.post(REVOKE_PATH)
    def revoke() -> Any:
        return server.create_endpoint_response(Revocation.ENDPOINT_NAME)

    @app.get(USERINFO_PATH)
    def user_info() -> Any:
        scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
        info = pool.user_info(access_token) if scheme.lower() == "bearer" and access_token else None
        if info is None:
            return {"error": "invalid_token"}, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return info

    @app.get(LOGOUT_PATH)
    def logout() -> Any:
        client = pool.app_client(request.args.get("client_id", ""))
        logout_uri = request.args.get("logout_uri", "")
        if client is None or logout_uri not in client.logout_urls:
            return message_page("Sign-out failed", "The logout_uri is not one of the app client's sign-out URLs."), 400
        sessions.take(request.cookies.get(SESSION_COOKIE))
        response = redirect(logout_uri, code=302)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get(f"/{resources.user_pool_id}/.well-known/openid-configuration")
    def discovery() -> Any:
        return {
            "issuer": resources.issuer,
            "authorization_endpoint": auth_url + AUTHORIZE_PATH,
            "token_endpoint": auth_url + TOKEN_PATH,
            "userinfo_endpoint": auth_url + USERINFO_PATH,
            "revocation_endpoint": auth_url + REVOKE_PATH,
            "jwks_uri": resources.jwks_url,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(OAUTH_SCOPES),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["none"],
        }

    @app.get(f"/{resources.user_pool_id}/.well-known/jwks.json")
    def jwks() -> Any:
        answer = requests.get(resources.jwks_url, timeout=10)
        return Response(answer.content, status=answer.status_code, content_type="application/json")

    @app.after_request
    def cors(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin in cors_origins and (request.path in CORS_PATHS or "/.well-known/" in request.path):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = "Authorization,Content-Type"
            response.headers["Access-Control-Allow-Methods"] = "GET,POST,OPTIONS"
            response.headers["Vary"] = "Origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
