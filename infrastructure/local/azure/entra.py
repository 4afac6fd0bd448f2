"""Entra ID's discovery document and token endpoint (client credentials grant), checking what Entra checks.

A client authenticates with a secret or with a client assertion (a JWT, ``client_assertion_type`` jwt-bearer):
- a certificate assertion (``iss`` = ``sub`` = the client id) is signed by a certificate registered on the
  application, named by the header's ``x5t`` / ``x5t#S256``, for the audience of this token endpoint;
- a federated assertion (any other ``iss``) must match one of the application's federated identity credentials
  (issuer, then subject, then audience) and be signed by a key the issuer publishes (its discovery document's
  ``jwks_uri``).
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import jwt

from .answers import Answer, aad_error, json_answer
from .directory import Application, AzureState, now

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLOCK_SKEW_SECONDS = 60  # leeway on exp/nbf, for clocks a little apart
ISSUER_KEYS_LIFETIME_SECONDS = 300  # an issuer's keys are fetched again after this long
FEDERATION_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
_CHECK = "Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _check_fetchable(url: str) -> None:
    parts = urlsplit(url)
    # Issuers are fetched over https, as Entra does. Plain http only on this machine's loopback: the local AWS
    # emulator serves its issuer at http://127.0.0.1, and nothing on a network can alter what loopback carries.
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
        raise ValueError(f"The issuer's metadata must be served over https: {url}")


class IssuerKeys:
    """The signing keys of OpenID issuers, from ``<issuer>/.well-known/openid-configuration`` → ``jwks_uri``."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._clients: dict[str, tuple[float, jwt.PyJWKClient]] = {}

    def _fetch_json(self, url: str) -> dict[str, Any]:
        _check_fetchable(url)
        with urllib.request.urlopen(url, timeout=5, context=self._ssl_context) as response:  # noqa: S310 - checked above
            return json.loads(response.read())

    def _client(self, issuer: str) -> jwt.PyJWKClient:
        cached = self._clients.get(issuer)
        if cached and time.monotonic() - cached[0] < ISSUER_KEYS_LIFETIME_SECONDS:
            return cached[1]
        discovery = self._fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        jwks_uri = discovery["jwks_uri"]
        _check_fetchable(jwks_uri)
        client = jwt.PyJWKClient(jwks_uri, lifespan=ISSUER_KEYS_LIFETIME_SECONDS, ssl_context=self._ssl_context)
        self._clients[issuer] = (time.monotonic(), client)
        return client

    def signing_key(self, issuer: str, token: str) -> Any:
        """The key the issuer publishes under the token's ``kid`` (raises ``jwt.PyJWKClientError`` if none)."""
        return self._client(issuer).get_signing_key_from_jwt(token).key


class Entra:
    """The answers of Entra ID's endpoints for the directories in ``state``."""

    def __init__(self, state: AzureState, issuer_keys: IssuerKeys | None = None) -> None:
        self.state = state
        self.issuer_keys = issuer_keys or IssuerKeys()

    def openid_configuration(self, tenant: str) -> Answer:
        if tenant not in self.state.directories:
            return aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found. Check to make sure you "
                             "have the correct tenant ID and are signing into the correct cloud.")  # fmt: skip
        base = f"{self.state.authority_url}/{tenant}"
        return json_answer(200, {"issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
                                 "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                 "tenant_region_scope": "EU"})  # fmt: skip

    def token(self, tenant: str, form: dict[str, str]) -> Answer:
        """``form`` includes ``host`` (the authority the caller reached). Secrets and assertions are never kept."""
        secret = form.pop("client_secret", None)
        assertion = form.pop("client_assertion", None)
        self.state.token_requests.append(dict(form))
        client_id = form.get("client_id", "")
        if tenant not in self.state.directories:
            return aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        application = self.state.applications.get(client_id)
        if application is None or application.directory_id != tenant:
            return aad_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was "
                             f"not found in the directory '{tenant}'.")  # fmt: skip
        if form.get("grant_type") != "client_credentials":
            return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if assertion is not None:
            if form.get("client_assertion_type") != JWT_BEARER:
                return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed: "
                                 f"client_assertion_type must be '{JWT_BEARER}'.")  # fmt: skip
            problem = self._check_assertion(application, tenant, form.get("host", ""), assertion)
        elif secret is not None:
            problem = self._check_secret(application, secret)
        else:
            problem = aad_error(401, "invalid_client", 7000218, "The request body must contain the following "
                                "parameter: 'client_assertion' or 'client_secret'.")  # fmt: skip
        if problem:
            return problem
        token = self.state.issue_token(form.get("scope", ""), application)
        return json_answer(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                 "access_token": token})  # fmt: skip

    # --- secrets -------------------------------------------------------------------------------------
    def _check_secret(self, application: Application, secret: str) -> Answer | None:
        password = application.secret_matching(secret)
        if password is None:
            return aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret "
                             "being sent in the request is the client secret value, not the client secret ID, for "
                             f"a secret added to app '{application.app_id}'.")  # fmt: skip
        if self.state.secret_expired or password.end < now():
            return aad_error(401, "invalid_client", 7000222, "The provided client secret keys for app "
                             f"'{application.app_id}' are expired. Visit the Azure portal to create new keys for your "
                             "app.")  # fmt: skip
        return None

    # --- client assertions ---------------------------------------------------------------------------
    def _check_assertion(self, application: Application, tenant: str, host: str, assertion: str) -> Answer | None:
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed.")
        if not isinstance(claims.get("iss"), str) or not isinstance(claims.get("sub"), str):
            return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed: no iss or sub claim.")
        if claims["iss"] == application.app_id:
            return self._check_certificate_assertion(application, tenant, host, header, claims, assertion)
        return self._check_federated_assertion(application, claims, assertion)

    def _time_range_problem(self, assertion: str) -> Answer:
        claims = jwt.decode(assertion, options={"verify_signature": False})
        return aad_error(401, "invalid_client", 700024, "Client assertion is not within its valid time range. "
                         f"Current time: {now():%Y-%m-%dT%H:%M:%S.0000000Z}, assertion valid from "
                         f"{_instant(claims.get('nbf'))}, expiry time of assertion {_instant(claims.get('exp'))}. "
                         "Review the documentation at https://learn.microsoft.com/entra/identity-platform/"
                         "certificate-credentials .")  # fmt: skip

    def _check_certificate_assertion(
        self, application: Application, tenant: str, host: str, header: dict[str, Any], claims: dict[str, Any],
        assertion: str,
    ) -> Answer | None:  # fmt: skip
        if claims["sub"] != application.app_id:
            return aad_error(401, "invalid_client", 700021, "Client assertion application identifier doesn't match "
                             "'client_id' parameter.")  # fmt: skip
        instant = now()
        key = next((k for k in application.keys if k.valid_at(instant) and k.named_by(header)), None)
        if key is None:
            thumbprint = header.get("x5t") or header.get("x5t#S256") or ""
            return aad_error(401, "invalid_client", 700027, "The certificate with identifier used to sign the client "
                             f"assertion is not registered on application. [Reason - The key was not found., "
                             f"Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph "
                             "Explorer or directly use MS Graph to see configured keys for app Id "
                             f"'{application.app_id}'.]")  # fmt: skip
        # MSAL sends this token endpoint's URL (with v2.0); Entra also accepts the v1 form of it.
        authority = f"https://{host}/{tenant}/oauth2"
        return self._signature_problem(
            assertion, key.certificate.public_key(), algorithms=["RS256", "PS256"],
            audience=[f"{authority}/v2.0/token", f"{authority}/token"], options={"require": ["exp", "aud"]},
        )  # fmt: skip

    def _signature_problem(self, assertion: str, key: Any, **decoding: Any) -> Answer | None:
        """Entra's refusal of an assertion whose signature, time range or audience does not hold (None: it holds)."""
        try:
            jwt.decode(assertion, key, leeway=CLOCK_SKEW_SECONDS, **decoding)
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
            return self._time_range_problem(assertion)
        except jwt.InvalidSignatureError:
            return aad_error(401, "invalid_client", 700027, "Client assertion contains an invalid signature. [Reason "
                             "- Key was found, but use of the key to verify the signature failed.]")  # fmt: skip
        except jwt.InvalidAudienceError:
            return aad_error(401, "invalid_client", 700027, "Client assertion audience claim does not match Realm "
                             "issuer.")  # fmt: skip
        except jwt.PyJWTError as error:
            return aad_error(400, "invalid_request", 50027, f"JWT token is invalid or malformed: {error}.")
        return None

    def _check_federated_assertion(
        self, application: Application, claims: dict[str, Any], assertion: str
    ) -> Answer | None:
        issuer, subject = claims["iss"], claims["sub"]
        audiences = claims.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
        # Entra matches case-sensitively, issuer first, then subject, then audience.
        same_issuer = [c for c in application.federated if c.issuer == issuer]
        if not same_issuer:
            return aad_error(400, "invalid_request", 700211, "No matching federated identity record found for "
                             f"presented assertion issuer '{issuer}'. Please note that the matching is done using a "
                             f"case-sensitive comparison. {_CHECK} {FEDERATION_DOCS}")  # fmt: skip
        same_subject = [c for c in same_issuer if c.subject == subject]
        if not same_subject:
            return aad_error(400, "invalid_request", 700213, "No matching federated identity record found for "
                             f"presented assertion subject '{subject}'. Please note that the matching is done using "
                             f"a case-sensitive comparison. {_CHECK} {FEDERATION_DOCS}")  # fmt: skip
        matching = [c for c in same_subject if set(c.audiences) & set(audiences)]
        if not matching:
            return aad_error(400, "invalid_request", 700212, "No matching federated identity record found for "
                             f"presented assertion audience '{','.join(audiences)}'. {_CHECK} "
                             f"{FEDERATION_DOCS}")  # fmt: skip
        try:
            key = self.issuer_keys.signing_key(issuer, assertion)
        except jwt.PyJWKClientError:
            kid = jwt.get_unverified_header(assertion).get("kid", "")
            return aad_error(401, "invalid_client", 7000272, f"The certificate with identifier {kid} used to sign "
                             "the federated credential could not be found in the metadata of identity provider "
                             f"{issuer}. Please validate that your Identity Provider's metadata exposes the key used "
                             "to sign the incoming token.")  # fmt: skip
        except (OSError, ValueError, KeyError):
            return aad_error(401, "invalid_client", 50166, f"Request to External OIDC endpoint failed: {issuer}.")
        return self._signature_problem(
            assertion, key, algorithms=["RS256"], audience=matching[0].audiences, issuer=issuer,
            options={"require": ["exp"]},
        )  # fmt: skip


def _instant(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "(none)"
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(seconds))
