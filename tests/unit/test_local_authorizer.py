"""The local Cognito authorizer accepts exactly what API Gateway's would: the pool's unexpired ID tokens."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import PyJWKClientConnectionError

from infrastructure.local.gateway.authorizer import CognitoAuthorizer, SigningKeysUnavailable, Unauthorized

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
CLIENT_ID = "app-client"
KID = "key-1"
HMAC_SECRET = "a-shared-secret-of-at-least-32-bytes"  # a confused-algorithm attempt


class StaticJwks(PyJWKClient):
    """PyJWKClient's own key selection and caching, over a JWKS held in memory (no socket)."""

    def __init__(self, jwks: dict[str, Any] | None) -> None:
        super().__init__("https://jwks.invalid/.well-known/jwks.json", cache_keys=True)
        self._jwks = jwks

    def fetch_data(self) -> Any:
        if self._jwks is None:
            raise PyJWKClientConnectionError("unreachable")
        return self._jwks


@pytest.fixture(scope="module")
def pool_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def authorizer(pool_key) -> CognitoAuthorizer:
    jwk = RSAAlgorithm.to_jwk(pool_key.public_key(), as_dict=True) | {"kid": KID, "alg": "RS256", "use": "sig"}
    return CognitoAuthorizer(issuer=ISSUER, audience=CLIENT_ID, signing_keys=StaticJwks({"keys": [jwk]}))


def id_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "aud": CLIENT_ID,
        "iss": ISSUER,
        "token_use": "id",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "email": "ana@example.com",
        "custom:tenant_id": "tenant-1",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str = KID) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_a_valid_id_token_yields_its_claims(authorizer, pool_key):
    token = sign(id_claims(), pool_key)

    claims = authorizer.claims(f"Bearer {token}")

    assert claims["sub"] == "user-1"
    assert claims["custom:tenant_id"] == "tenant-1"


@pytest.mark.parametrize("header", ["{token}", "bearer {token}", "  Bearer   {token}  "])
def test_the_raw_token_and_any_case_of_bearer_are_accepted(authorizer, pool_key, header):
    token = sign(id_claims(), pool_key)

    assert authorizer.claims(header.format(token=token))["sub"] == "user-1"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   "])
def test_a_missing_token_is_refused(authorizer, header):
    with pytest.raises(Unauthorized, match="Sign in"):
        authorizer.claims(header)


def test_an_expired_token_is_refused_as_expired(authorizer, pool_key):
    token = sign(id_claims(exp=int(time.time()) - 60, iat=int(time.time()) - 3660), pool_key)

    with pytest.raises(Unauthorized, match="expired"):
        authorizer.claims(f"Bearer {token}")


def test_an_access_token_is_refused(authorizer, pool_key):
    token = sign(id_claims(token_use="access"), pool_key)

    with pytest.raises(Unauthorized, match="ID token"):
        authorizer.claims(f"Bearer {token}")


def _tampered_payload(token: str) -> str:
    header, _, signature = token.split(".")
    forged = jwt.utils.base64url_encode(json.dumps(id_claims(**{"custom:tenant_id": "tenant-2"})).encode())
    return f"{header}.{forged.decode()}.{signature}"


def _tampered_signature(token: str) -> str:
    head, signature = token.rsplit(".", 1)
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda key: "not-a-jwt", id="malformed"),
        pytest.param(lambda key: "a.b.c", id="three garbage parts"),
        pytest.param(lambda key: _tampered_payload(sign(id_claims(), key)), id="tampered payload"),
        pytest.param(lambda key: _tampered_signature(sign(id_claims(), key)), id="tampered signature"),
        pytest.param(lambda key: sign(id_claims(aud="another-client"), key), id="other audience"),
        pytest.param(lambda key: sign(id_claims(iss=ISSUER + "-other"), key), id="other issuer"),
        pytest.param(lambda key: sign(id_claims(exp=None), key), id="no expiry"),
        pytest.param(lambda key: sign(id_claims(sub=None), key), id="no subject"),
        pytest.param(lambda key: sign(id_claims(token_use=None), key), id="no token_use"),
        pytest.param(lambda key: sign(id_claims(), key, kid="unknown-kid"), id="unknown key id"),
        pytest.param(
            lambda key: sign(id_claims(), rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            id="signed by another key under the pool's key id",
        ),
        pytest.param(
            lambda key: jwt.encode(id_claims(), HMAC_SECRET, algorithm="HS256", headers={"kid": KID}),
            id="symmetric algorithm",
        ),
        pytest.param(lambda key: jwt.encode(id_claims(), None, algorithm="none", headers={"kid": KID}), id="unsigned"),
    ],
)
def test_a_token_that_is_not_the_pools_id_token_is_refused(authorizer, pool_key, make_token):
    with pytest.raises(Unauthorized, match="not a valid ID token"):
        authorizer.claims(f"Bearer {make_token(pool_key)}")


def test_the_refusal_never_echoes_the_token(authorizer, pool_key):
    token = _tampered_payload(sign(id_claims(), pool_key))

    with pytest.raises(Unauthorized) as refusal:
        authorizer.claims(f"Bearer {token}")

    assert token not in str(refusal.value)
    assert token.split(".")[1] not in str(refusal.value)


def test_unreachable_signing_keys_are_a_fault_of_the_stack_not_of_the_caller(pool_key):
    blind = CognitoAuthorizer(issuer=ISSUER, audience=CLIENT_ID, signing_keys=StaticJwks(None))

    with pytest.raises(SigningKeysUnavailable):
        blind.claims(f"Bearer {sign(id_claims(), pool_key)}")
