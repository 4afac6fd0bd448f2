"""The provider seam: what every cloud Cloudivize connects implements (docs/architecture.md, "Providers").

A provider turns its create/patch bodies into typed descriptors and credentials (what is sealed and stored),
shows a stored connection, and acts on the customer's cloud with a ``CloudConnection``: everything one call
needs, opened for one request, never logged or stored. What a cloud cannot do answers ``not_supported``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr

from cloudivize.errors import Unprocessable, VerificationUnavailable
from cloudivize.models.assets import ActionRequest, ActionResponse, ActivityPage, Asset
from cloudivize.models.connections import ConnectionPatch, Verification
from cloudivize.paging import Cursor, Listing


class Document(BaseModel):
    """A provider's descriptors or credentials: validated when opened, sealed as JSON."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_sealed(self) -> dict[str, Any]:
        """The document as it is sealed: secrets in clear (inside the ciphertext only), unset fields left out."""
        return {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in self
            if value is not None or name in self.model_fields_set
        }


D = TypeVar("D", bound=Document)
C = TypeVar("C", bound=Document)


@dataclass(frozen=True)
class CloudConnection(Generic[D, C]):
    """What a call into a customer's cloud needs; lives for one request, never stored or logged."""

    connection_id: str
    tenant_id: str
    user_id: str
    provider: str
    descriptors: D = field(repr=False)
    credentials: C = field(repr=False)
    regions: list[str] | None = None
    secret_expires_at: datetime | None = None  # when the credential expires, when known
    external_id: str | None = field(default=None, repr=False)  # the tenant's, for AWS
    scope: str = "account"  # or "organization": then ``members`` are its active member connections, opened
    members: tuple[CloudConnection, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class NewConnection:
    """What a create body becomes: the documents to seal, and the clear metadata a provider adds."""

    descriptors: Document = field(repr=False)
    credentials: Document | None = field(repr=False)
    regions: list[str] | None = None
    secret_expires_at: datetime | None = None
    scope: str = "account"  # "organization": its accounts become member connections (``Provider.discover``)


@dataclass(frozen=True)
class MemberAccount:
    """An account of a customer's organization, as its discovery lists it."""

    account_id: str
    name: str
    suspended: bool


@dataclass(frozen=True)
class Discovered:
    """A customer's organization: its id, its management account and the accounts Cloudivize connects."""

    organization_id: str
    management_account_id: str
    accounts: tuple[MemberAccount, ...]


@dataclass(frozen=True)
class PatchedConnection:
    """What a patch changes beyond the name: the new documents (None = unchanged) and metadata."""

    descriptors: Document = field(repr=False)
    credentials: Document | None = field(default=None, repr=False)  # a rotated credential
    changes: dict[str, Any] = field(default_factory=dict)  # regions, secret_expires_at
    # Whether the changed credentials can be checked live now: a certificate just issued cannot be, until the
    # customer adds it to their application (the connection is then stored unverified).
    checkable: bool = True


class Provider(Protocol):
    name: str
    # ConnectionPatch fields this provider accepts, beyond the common ones (version, name, verify).
    patch_fields: frozenset[str]
    descriptors_type: type[Document]
    credentials_type: type[Document]

    def new_connection(self, request: Any) -> NewConnection:
        """The parts of a new connection from this provider's create body."""

    def identity(self, descriptors: Any) -> str:
        """What makes two connections the same one (compared within a tenant, never stored): a tenant holds
        one connection per identity. Computed from the opened descriptors, which stay sealed at rest."""

    def patched(
        self,
        descriptors: Any,
        patch: ConnectionPatch,
        *,
        secret_expires_at: datetime | None,
        credentials: Callable[[], Any],
    ) -> PatchedConnection:
        """The parts a patch changes, from the stored (opened) descriptors, the known secret expiry and, when the
        change needs them (a certificate rotation keeps the newest key), the stored credentials opened on call."""

    def view(self, descriptors: Any, *, regions: list[str] | None, secret_expires_at: datetime | None) -> BaseModel:
        """How the API shows a connection's descriptors (never a secret)."""

    def verify(self, connection: CloudConnection) -> Verification: ...

    def discover(self, connection: CloudConnection) -> Discovered:
        """An organization connection's organization and accounts, listed live (``not_supported`` elsewhere)."""

    def member(self, descriptors: Any, account: MemberAccount) -> Document:
        """The descriptors of the member connection of ``account`` of the organization with ``descriptors``."""

    def discovered(self, descriptors: Any, organization: Discovered) -> Document:
        """An organization connection's descriptors with what a sync learnt of its organization (its ids)."""

    def list_assets(
        self, connection: CloudConnection, *, types: set[str] | None, region: str | None, limit: int,
        cursor: Cursor | None,
    ) -> Listing[Asset]:  # fmt: skip
        """A page of at most ``limit`` assets (the first when ``cursor`` is None, else where ``cursor`` left the
        listing), in the provider's documented order, and where the listing continues (``cloudivize.paging``)."""

    def run_action(self, connection: CloudConnection, request: ActionRequest) -> ActionResponse: ...

    def activity(
        self,
        connection: CloudConnection,
        *,
        region: str | None,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        next_token: str | None,
    ) -> ActivityPage: ...


def not_supported(what: str) -> Unprocessable:
    """What a provider answers for a capability its cloud does not have (e.g. activity outside AWS)."""
    return Unprocessable(what)


def verification_unavailable(provider: str) -> VerificationUnavailable:
    """What a provider answers while it cannot verify live: the customer may store the connection unverified."""
    return VerificationUnavailable(
        f"Live verification of {provider} connections is not available yet. "
        'Send "verify": false to store the connection unverified.'
    )
