"""What Cognito's managed login does inside the user pool and moto cannot be asked for over the Cognito API:
federated users, tokens for a user the managed login signed in itself, the ``identities`` claim, ``RevokeToken``.

Why here: minting a pool's tokens needs moto's pool object (``CognitoIdpUserPool.create_*_token``), which only
lives in the emulator's process. The local managed login (``infrastructure.local.login``, in the stack's process)
authenticates users its own way (a password checked with ``InitiateAuth``, an Amazon sign-in) and then asks the
emulator, over two loopback-only internal routes, for what Cognito's hosted UI does next:

- ``POST /_cloudivize/federated-users`` ``{UserPoolId, ProviderName, ProviderUserId, Attributes}``: the user
  ``<ProviderName>_<ProviderUserId>`` found or created (confirmed, with no password, so no ``InitiateAuth``
  can sign them in), its mapped attributes written at every sign-in as Cognito writes them, and
  its ``identities`` attribute set at creation. Answers ``{Username, Sub, Created}``; ``Created`` tells the caller
  to run the post-confirmation trigger, as Cognito does for a first federated sign-in.
- ``POST /_cloudivize/tokens`` ``{UserPoolId, ClientId, Username}``: the pool's own tokens for that user, made
  as moto makes them for ``InitiateAuth`` (``AuthenticationResult``), so the refresh token works with
  ``REFRESH_TOKEN_AUTH`` and the API's authorizer verifies the ID token unchanged.

Both answer 403 to a caller not on loopback: they sign anyone in. While ``federation_enforced`` is active, an
ID token of a user with an ``identities`` attribute carries it as the ``identities`` claim, a JSON array as
Cognito issues it (on refresh too), and ``RevokeToken`` (which moto lacks) revokes a refresh token and the access
tokens issued from it, as Cognito does. A federated user's ``cognito:username`` is their username, as in Cognito.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError, ResourceNotFoundError
from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, UserStatus, cognitoidp_backends
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import EmptyResult

from infrastructure.local.aws.replaced import replaced
from infrastructure.local.aws.wsgi_answers import WsgiApp, json_answer

FEDERATED_USERS_PATH = "/_cloudivize/federated-users"
TOKENS_PATH = "/_cloudivize/tokens"
IDENTITIES_ATTRIBUTE = "identities"


def _user_pools() -> Iterator[CognitoIdpUserPool]:
    for account_backends in cognitoidp_backends.values():
        for region, backend in account_backends.items():
            if region != "global":
                yield from backend.user_pools.values()


def _pool(user_pool_id: str) -> CognitoIdpUserPool:
    pool = next((pool for pool in _user_pools() if pool.id == user_pool_id), None)
    if pool is None:
        raise ResourceNotFoundError(user_pool_id)
    return pool


def federated_username(provider_name: str, provider_user_id: str) -> str:
    """How Cognito names a federated user: ``<provider name>_<the provider's user id>``."""
    return f"{provider_name}_{provider_user_id}"


def identities_attribute(provider_name: str, provider_user_id: str, created: datetime) -> str:
    """The ``identities`` attribute Cognito keeps for a federated user (and puts in its ID tokens)."""
    return json.dumps(
        [
            {
                "userId": provider_user_id,
                "providerName": provider_name,
                "providerType": provider_name,
                "issuer": None,
                "primary": "true",
                "dateCreated": str(int(created.timestamp() * 1000)),
            }
        ]
    )


def find_or_create_federated_user(
    user_pool_id: str, provider_name: str, provider_user_id: str, attributes: dict[str, str]
) -> tuple[CognitoIdpUser, bool]:
    """The pool's user for this provider identity, its mapped attributes updated; and whether it is new."""
    pool = _pool(user_pool_id)
    username = federated_username(provider_name, provider_user_id)
    mapped = [{"Name": name, "Value": value} for name, value in attributes.items()]
    user = pool.users.get(username)
    if user is not None:
        user.update_attributes(mapped)  # Cognito rewrites mapped attributes at every federated sign-in
        return user, False
    identities = identities_attribute(provider_name, provider_user_id, datetime.now(UTC))
    user = CognitoIdpUser(
        user_pool_id,
        username,
        None,  # no password: only the managed login signs this user in
        # Cognito says EXTERNAL_PROVIDER; moto's GetUser (userInfo) serves CONFIRMED users only. Without a
        # password no InitiateAuth signs them in either way.
        UserStatus.CONFIRMED,
        [*mapped, {"Name": IDENTITIES_ATTRIBUTE, "Value": identities}],
    )
    pool.users[username] = user
    return user, True


def tokens_for(user_pool_id: str, client_id: str, username: str) -> dict[str, Any]:
    """The pool's tokens for a user the managed login authenticated, as ``InitiateAuth`` returns them."""
    pool = _pool(user_pool_id)
    if client_id not in pool.clients:
        raise ResourceNotFoundError(client_id)
    if username not in pool.users:
        raise NotAuthorizedError("Unknown user.")
    refresh_token, _ = pool.create_refresh_token(client_id, username)
    access_token, id_token, expires_in = pool.create_tokens_from_refresh_token(refresh_token)
    return {
        "IdToken": id_token,
        "AccessToken": access_token,
        "RefreshToken": refresh_token,
        "ExpiresIn": expires_in,
        "TokenType": "Bearer",
    }


def _jwt_claims(token: str) -> dict[str, Any]:
    # Moto's own tokens, read for their origin_jti only: no verification is needed of what moto itself signed.
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def revoke_refresh_token(client_id: str, token: str) -> None:
    """Revoke a refresh token and the access tokens issued from it; an unknown token is no error (RFC 7009)."""
    for pool in _user_pools():
        issued = pool.refresh_tokens.get(token)
        if issued is None:
            continue
        issued_client, _, origin_jti = issued
        if issued_client != client_id:
            raise NotAuthorizedError("Refresh token was not issued to this client.")
        pool.refresh_tokens[token] = None
        for access_token in list(pool.access_tokens):
            if _jwt_claims(access_token).get("origin_jti") == origin_jti:
                pool.access_tokens.pop(access_token)


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def internal_routes(app: WsgiApp) -> WsgiApp:
    """``app`` with the two internal routes in front of it (see the module's docstring)."""

    def routed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in (FEDERATED_USERS_PATH, TOKENS_PATH):
            return app(environ, start_response)
        if not _is_loopback(environ.get("REMOTE_ADDR")):
            return json_answer(start_response, "403 Forbidden", {"message": "Internal routes answer loopback only."})
        if environ.get("REQUEST_METHOD") != "POST":
            return json_answer(start_response, "405 Method Not Allowed", {"message": "POST only."})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            request = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if path == FEDERATED_USERS_PATH:
                user, created = find_or_create_federated_user(
                    request["UserPoolId"], request["ProviderName"], request["ProviderUserId"], request["Attributes"]
                )
                return json_answer(
                    start_response, "200 OK", {"Username": user.username, "Sub": user.id, "Created": created}
                )
            return json_answer(
                start_response,
                "200 OK",
                {"AuthenticationResult": tokens_for(request["UserPoolId"], request["ClientId"], request["Username"])},
            )
        except (KeyError, TypeError, ValueError) as error:
            return json_answer(start_response, "400 Bad Request", {"message": f"Bad request ({type(error).__name__})."})
        except (ResourceNotFoundError, NotAuthorizedError) as error:
            return json_answer(start_response, "404 Not Found", {"message": error.message})

    return routed


@contextmanager
def federation_enforced() -> Iterator[None]:
    """The ``identities`` claim and ``RevokeToken`` in this process's moto until the block ends."""
    extra_data = CognitoIdpUserPool.get_user_extra_data_by_client_id  # what moto adds to an ID token only

    def with_identities(self: CognitoIdpUserPool, client_id: str, username: str) -> dict[str, Any]:
        claims = extra_data(self, client_id, username)
        user = self._get_user(username)
        identities = user.attribute_lookup.get(IDENTITIES_ATTRIBUTE)
        if identities:
            claims[IDENTITIES_ATTRIBUTE] = json.loads(identities)
            # Moto names every user of an email-username pool by its sub; Cognito names a federated one by its
            # username (LoginWithAmazon_...), which is no email.
            claims["cognito:username"] = user.username
        return claims

    def revoke_token(self: CognitoIdpResponse) -> Any:
        revoke_refresh_token(self._get_param("ClientId") or "", self._get_param("Token") or "")
        return EmptyResult()

    with (
        replaced(CognitoIdpUserPool, "get_user_extra_data_by_client_id", with_identities),
        replaced(CognitoIdpResponse, "revoke_token", revoke_token),
    ):
        yield
