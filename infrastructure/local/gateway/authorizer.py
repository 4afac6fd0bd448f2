"""Token verification as API Gateway's Cognito user pool authorizer does it.

The authorizer accepts the pool's ID tokens only: RS256 signed by a key in the pool's JWKS, issued by the
pool, for the app client, not expired. Anything else is refused before a function runs. The token is never
logged, nor echoed in an error.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError

from infrastructure.local.aws.provisioning import AwsResources

# Tokens are verified on the machine that issued them; a little slack only absorbs rounding of `exp`.
CLOCK_SKEW_SECONDS = 2
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "token_use")
BEARER_SCHEME = "bearer"
ID_TOKEN_USE = "id"  # noqa: S105 - a claim value, not a secret (an access token says "access")

log = logging.getLogger(__name__)


class Unauthorized(Exception):
    """The request does not carry a token the authorizer accepts. The message is safe to show the caller."""


class SigningKeysUnavailable(Exception):
    """The pool's JWKS could not be fetched: a fault of the stack, not of the caller."""


class CognitoAuthorizer:
    def __init__(self, *, issuer: str, audience: str, signing_keys: PyJWKClient) -> None:
        self._issuer = issuer
        self._audience = audience
        self._signing_keys = signing_keys

    @classmethod
    def for_user_pool(cls, resources: AwsResources) -> CognitoAuthorizer:
        # Keys are cached like API Gateway caches them: fetched once, refetched for an unknown key id.
        keys = PyJWKClient(resources.jwks_url, cache_keys=True, timeout=5)
        return cls(issuer=resources.issuer, audience=resources.client_id, signing_keys=keys)

    def claims(self, authorization: str | None) -> dict[str, Any]:
        """The verified claims of the ID token in an ``Authorization`` header value."""
        token = _token_from_header(authorization)
        try:
            signing_key = self._signing_keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                signing_key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except PyJWKClientConnectionError as error:
            raise SigningKeysUnavailable(str(error)) from None
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The token has expired: sign in again.") from None
        except jwt.PyJWTError as error:
            # Which check failed goes to our log (never the token itself); a forged token learns nothing.
            log.info("Token refused: %s", type(error).__name__)
            raise Unauthorized("The token is not a valid ID token of this user pool.") from None
        if claims["token_use"] != ID_TOKEN_USE:
            # A genuine token of this pool, only the wrong one of the pair: saying so costs nothing.
            raise Unauthorized("Send the ID token, not the access token.")
        return claims


def _token_from_header(authorization: str | None) -> str:
    value = (authorization or "").strip()
    scheme, _, rest = value.partition(" ")
    # API Gateway takes the raw token as well as the "Bearer <token>" form.
    if scheme.lower() == BEARER_SCHEME:
        value = rest.strip()
    if not value:
        raise Unauthorized("Sign in and send your ID token as 'Authorization: Bearer <token>'.")
    return value
