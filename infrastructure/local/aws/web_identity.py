"""AWS IAM outbound identity federation, which moto leaves out: ``iam:EnableOutboundWebIdentityFederation``,
``iam:GetOutboundWebIdentityFederationInfo``, ``iam:DisableOutboundWebIdentityFederation`` and
``sts:GetWebIdentityToken``, with the issuer's discovery document and JWKS.

Why: Cloudivize reaches a customer's Azure subscription without a stored secret by presenting an AWS-signed JWT
(``sub`` = its customer-access role) to Entra as a client assertion. Locally that needs an STS that signs such
tokens and an issuer whose keys anyone can fetch, as Entra fetches AWS's.

While ``outbound_federation_enforced`` is active (the emulator's process, ``emulator_process``):

- ``EnableOutboundWebIdentityFederation`` makes the account's issuer once,
  ``<emulator endpoint>/_cloudivize/outbound-federation/<uuid>`` (AWS's is
  ``https://<uuid>.tokens.sts.global.api.aws``); a second call answers ``FeatureEnabled`` (HTTP 409).
  ``GetOutboundWebIdentityFederationInfo`` answers the issuer and whether tokens are vended, ``FeatureDisabled``
  (404) before the first enabling; ``DisableOutboundWebIdentityFederation`` stops the vending, keeping the issuer.
  The state lives on moto's IAM backend of the account, so moto's reset forgets it as it forgets the roles.
- ``GetWebIdentityToken`` signs a JWT for the caller (RS256 with RSA 2048, or ES384 with P-384; one key pair of
  each per process, in memory only): ``iss`` the account's issuer, ``sub`` the caller's ARN (for a role session
  the role's ARN, not the session's), ``aud`` (a string for one audience, a list for several), ``iat``, ``nbf``,
  ``exp``, ``jti``, and AWS's ``https://sts.amazonaws.com/`` claim object (``aws_account``, ``source_region``,
  ``principal_id``, the request's tags as ``request_tags``). Refusals as AWS answers them:
  ``OutboundWebIdentityFederationDisabledException`` (403) where the account has not enabled it,
  ``ValidationError`` (400) for a bad duration, algorithm, audience count or subject mode.
- ``GET <issuer path>/.well-known/openid-configuration`` and its ``jwks_uri`` are served to anyone
  (``public_routes``), as AWS publishes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.iam.models import IAMBackend, iam_backends
from moto.iam.responses import IamResponse
from moto.sts.responses import TokenResponse

from infrastructure.local.aws.replaced import replaced
from infrastructure.local.aws.trust_enforcement import caller_of
from infrastructure.local.aws.wsgi_answers import WsgiApp, json_answer

ISSUER_PATH_PREFIX = "/_cloudivize/outbound-federation/"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
# AWS nests its own claims (account, principal, tags) under this namespace.
AWS_CLAIMS = "https://sts.amazonaws.com/"
SIGNING_ALGORITHMS = ("RS256", "ES384")
DEFAULT_DURATION_SECONDS = 300
MIN_DURATION_SECONDS, MAX_DURATION_SECONDS = 60, 3600
MAX_AUDIENCES = 10
AWS_IDENTITY = "AWSIdentity"
# The attribute of moto's IAM backend that holds the account's federation (moto's reset clears the backend's
# attributes, and with them this).
_STATE_ATTRIBUTE = "cloudivize_outbound_federation"


class FeatureEnabled(ServiceException):
    code = "FeatureEnabled"
    message = "Outbound web identity federation is already enabled for this account."


class FeatureDisabled(ServiceException):
    code = "FeatureDisabled"
    message = "Outbound web identity federation is not enabled for this account."


class FederationDisabled(ServiceException):
    code = "OutboundWebIdentityFederationDisabledException"
    message = "Outbound web identity federation is disabled for this account."


class ValidationError(ServiceException):
    code = "ValidationError"


@dataclass
class Federation:
    """One account's outbound federation: its issuer (made once) and whether tokens are vended."""

    issuer: str
    enabled: bool = True


@dataclass(frozen=True)
class SigningKey:
    algorithm: str
    private_key: Any = field(repr=False)
    kid: str

    @property
    def jwk(self) -> dict[str, Any]:
        """The public key as the JWKS publishes it (PyJWT writes ``kty`` and ``n``/``e`` or ``crv``/``x``/``y``)."""
        public = self.private_key.public_key()
        writer = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        jwk = writer.to_jwk(public, as_dict=True)
        jwk.pop("key_ops", None)  # RFC 7517: ``use`` and ``key_ops`` should not both be given; AWS gives ``use``
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}


SigningKeys = dict[str, SigningKey]  # by algorithm


def generate_signing_keys() -> SigningKeys:
    """One key pair per algorithm AWS offers, made anew in each process and never written anywhere."""
    return {
        "RS256": SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048), str(uuid.uuid4())),
        "ES384": SigningKey("ES384", ec.generate_private_key(ec.SECP384R1()), str(uuid.uuid4())),
    }


def _federation(backend: IAMBackend) -> Federation | None:
    return getattr(backend, _STATE_ATTRIBUTE, None)


def _federations() -> Iterator[Federation]:
    for account_backends in list(iam_backends.values()):
        for backend in list(account_backends.values()):
            if (federation := _federation(backend)) is not None:
                yield federation


def discovery_document(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "jwks_uri": issuer + JWKS_PATH,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
        "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", AWS_CLAIMS],
    }


def _validation_error(value: Any, member: str, constraint: str) -> ValidationError:
    # AWS's wording for a constraint of the API's model.
    return ValidationError(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    )


def web_identity_claims(response: TokenResponse, federation: Federation, now: datetime) -> dict[str, Any]:
    """The token's claims for this request, validated as AWS validates it."""
    audiences = [str(a) for a in response._get_param("Audience") or []]
    if not 1 <= len(audiences) <= MAX_AUDIENCES:
        raise _validation_error(audiences, "audience", f"Member must have length between 1 and {MAX_AUDIENCES}")
    duration = response._get_int_param("DurationSeconds", DEFAULT_DURATION_SECONDS)
    if duration < MIN_DURATION_SECONDS:
        raise _validation_error(
            duration, "durationSeconds", f"Member must have value greater than or equal to {MIN_DURATION_SECONDS}"
        )
    if duration > MAX_DURATION_SECONDS:
        raise _validation_error(
            duration, "durationSeconds", f"Member must have value less than or equal to {MAX_DURATION_SECONDS}"
        )
    subject_mode = response._get_param("SubjectMode") or AWS_IDENTITY
    if subject_mode != AWS_IDENTITY:
        # OriginIdentity needs a trusted identity propagation context, which no emulated session carries.
        raise _validation_error(subject_mode, "subjectMode", f"Member must be {AWS_IDENTITY} in this emulator")
    caller = caller_of(response)
    principal_arn = caller.arns[-1]  # a role session's role, else the user or the account itself
    aws_claims: dict[str, Any] = {
        "aws_account": caller.account_id,
        "source_region": response.region,
        "principal_id": principal_arn,
    }
    if tags := response._get_param("Tags"):
        aws_claims["request_tags"] = {tag["Key"]: tag.get("Value", "") for tag in tags}
    claims: dict[str, Any] = {
        "iss": federation.issuer,
        "sub": principal_arn,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(now.timestamp()) + duration,
        "jti": str(uuid.uuid4()),
        AWS_CLAIMS: aws_claims,
    }
    if scope := response._get_param("Scope"):
        claims["scope"] = scope
    return claims


def public_routes(app: WsgiApp, keys: SigningKeys) -> WsgiApp:
    """``app`` with each issuer's discovery document and JWKS (``keys``' public halves) in front of it, for GET
    by anyone."""

    def routed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(ISSUER_PATH_PREFIX):
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "GET":
            return json_answer(start_response, "405 Method Not Allowed", {"message": "GET only."})
        for federation in _federations():
            issuer_path = ISSUER_PATH_PREFIX + federation.issuer.rsplit("/", 1)[-1]
            if path == issuer_path + DISCOVERY_PATH:
                return json_answer(start_response, "200 OK", discovery_document(federation.issuer))
            if path == issuer_path + JWKS_PATH:
                return json_answer(start_response, "200 OK", {"keys": [key.jwk for key in keys.values()]})
        return json_answer(start_response, "404 Not Found", {"message": "No such issuer."})

    return routed


@contextmanager
def outbound_federation_enforced(endpoint_url: str) -> Iterator[SigningKeys]:
    """The four operations in this process's moto until the block ends, with issuers under ``endpoint_url``;
    yields the signing keys, whose public halves ``public_routes`` publishes."""
    keys = generate_signing_keys()

    def enable(self: IamResponse) -> ActionResult:
        federation = _federation(self.backend)
        if federation is None:
            federation = Federation(f"{endpoint_url}{ISSUER_PATH_PREFIX}{uuid.uuid4()}")
            setattr(self.backend, _STATE_ATTRIBUTE, federation)
        elif federation.enabled:
            raise FeatureEnabled()
        else:  # enabled again after a disabling: the same issuer, so customers' trust in it still holds
            federation.enabled = True
        return ActionResult({"IssuerIdentifier": federation.issuer})

    def get_info(self: IamResponse) -> ActionResult:
        federation = _federation(self.backend)
        if federation is None:
            raise FeatureDisabled()
        return ActionResult({"IssuerIdentifier": federation.issuer, "JwtVendingEnabled": federation.enabled})

    def disable(self: IamResponse) -> EmptyResult:
        federation = _federation(self.backend)
        if federation is None or not federation.enabled:
            raise FeatureDisabled()
        federation.enabled = False
        return EmptyResult()

    def get_web_identity_token(self: TokenResponse) -> ActionResult:
        algorithm = self._get_param("SigningAlgorithm")
        if algorithm not in SIGNING_ALGORITHMS:
            raise _validation_error(
                algorithm, "signingAlgorithm", f"Member must satisfy enum value set: {list(SIGNING_ALGORITHMS)}"
            )
        federation = _federation(iam_backends[self.current_account][self.partition])
        if federation is None or not federation.enabled:
            raise FederationDisabled()
        now = datetime.now(UTC).replace(microsecond=0)
        claims = web_identity_claims(self, federation, now)
        key = keys[algorithm]
        token = jwt.encode(claims, key.private_key, algorithm=algorithm, headers={"kid": key.kid})
        expiration = now + timedelta(seconds=claims["exp"] - claims["iat"])
        return ActionResult({"WebIdentityToken": token, "Expiration": expiration})

    with (
        replaced(IamResponse, "enable_outbound_web_identity_federation", enable),
        replaced(IamResponse, "get_outbound_web_identity_federation_info", get_info),
        replaced(IamResponse, "disable_outbound_web_identity_federation", disable),
        replaced(TokenResponse, "get_web_identity_token", get_web_identity_token),
    ):
        yield keys
