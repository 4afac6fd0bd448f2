"""How Cloudivize signs in as a customer's Entra application: one class per credential type (the seam for a kind).

- ``FederatedSignIn``: a client assertion that is Cloudivize's principal's AWS web identity token, minted per sign-in
  with the organization's audience (``cloudivize.principal``); the customer's federated credential trusts that
  issuer, subject and audience. Nothing secret is stored; the token is never logged or kept.
- ``CertificateSignIn``: client assertions signed with the private key of a certificate Cloudivize issued for the
  connection (``certificates``); after a rotation, the newest first and the previous one while the customer has not
  added the newest.
- ``SecretSignIn``: the client secret the customer made.

Each gives azure-identity's credential (``credential``), what tells two of its kind apart in the container's cache
(``cache_material``: digested there, never a key in clear), what is known of it when Entra refuses it (``facts``,
which the failure map fills into its advice) and what an accepted sign-in means (``accepted``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential, ClientSecretCredential

from cloudivize.azure_access.failures import CERTIFICATE_NOT_ADDED, aadsts_code


class SignIn(Protocol):
    kind: str

    def credential(self, directory_id: str, application_id: str, **options: Any) -> TokenCredential: ...

    def cache_material(self) -> str: ...

    def facts(self) -> dict[str, str]: ...

    def accepted(self, credential: TokenCredential) -> str: ...


@dataclass(frozen=True)
class SecretSignIn:
    secret: str = field(repr=False)
    kind = "secret"

    def credential(self, directory_id: str, application_id: str, **options: Any) -> TokenCredential:
        return ClientSecretCredential(directory_id, application_id, self.secret, **options)

    def cache_material(self) -> str:
        return self.secret  # a rotated secret gets a fresh credential

    def facts(self) -> dict[str, str]:
        return {}

    def accepted(self, credential: TokenCredential) -> str:
        return "with its client secret"


@dataclass(frozen=True)
class FederatedSignIn:
    """``mint(audience)`` returns a fresh web identity token: azure-identity calls it whenever it needs an Entra
    token (once an hour per application, as Entra's tokens are cached in memory)."""

    issuer: str
    subject: str
    audience: str
    mint: Callable[[str], str] = field(repr=False, compare=False)
    kind = "federated"

    def credential(self, directory_id: str, application_id: str, **options: Any) -> TokenCredential:
        audience, mint = self.audience, self.mint
        return ClientAssertionCredential(directory_id, application_id, lambda: mint(audience), **options)

    def cache_material(self) -> str:
        return "\0".join((self.issuer, self.subject, self.audience))

    def facts(self) -> dict[str, str]:
        return {"issuer": self.issuer, "subject": self.subject, "audience": self.audience}

    def accepted(self, credential: TokenCredential) -> str:
        return "with its federated credential (Cloudivize's AWS identity token: no secret)"


@dataclass(frozen=True)
class CertificateSignIn:
    """``certificates``: (thumbprint, PEM of private key and certificate), newest first."""

    certificates: Sequence[tuple[str, str]] = field(repr=False)
    kind = "certificate"

    def credential(self, directory_id: str, application_id: str, **options: Any) -> TokenCredential:
        return NewestAccepted(
            [
                (
                    thumbprint,
                    CertificateCredential(directory_id, application_id, certificate_data=pem.encode(), **options),
                )
                for thumbprint, pem in self.certificates
            ]
        )

    def cache_material(self) -> str:
        return "\0".join(pem for _, pem in self.certificates)

    def facts(self) -> dict[str, str]:
        return {"thumbprint": self.certificates[0][0]}

    def accepted(self, credential: TokenCredential) -> str:
        used = credential.used if isinstance(credential, NewestAccepted) else None
        newest = self.certificates[0][0]
        if used is None or used == newest:
            return f"with the certificate Cloudivize issued ({newest})"
        return f"with the previous certificate ({used}): the new one ({newest}) is not added to the application yet"


class NewestAccepted:
    """Certificate credentials tried newest first: one the application does not have yet (AADSTS700027) gives way
    to the next, so a rotation never interrupts the connection. Any other refusal is the answer.

    Not azure-identity's ChainedTokenCredential: it stops at the first credential that fails to authenticate.
    """

    def __init__(self, credentials: Sequence[tuple[str, Any]]) -> None:
        self._credentials = list(credentials)
        self._lock = threading.Lock()
        self.used: str | None = None  # the thumbprint that signed in last

    def _first_accepted(self, get: Callable[[Any], Any]) -> Any:
        for index, (thumbprint, credential) in enumerate(self._credentials):
            try:
                token = get(credential)
            except ClientAuthenticationError as refused:
                last = index == len(self._credentials) - 1
                if last or aadsts_code(refused) not in CERTIFICATE_NOT_ADDED:
                    raise
                continue
            with self._lock:
                self.used = thumbprint
            return token
        raise ClientAuthenticationError("No certificate to sign in with.")

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._first_accepted(lambda credential: credential.get_token(*scopes, **kwargs))

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return self._first_accepted(lambda credential: credential.get_token_info(*scopes, options=options))

    def close(self) -> None:
        for _, credential in self._credentials:
            credential.close()
