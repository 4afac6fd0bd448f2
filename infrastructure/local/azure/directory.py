"""What the demo Azure holds: directories, their application registrations (secrets, certificates, federated
identity credentials), subscriptions with the application's permissions, and their resources.

The limits are Entra's and Resource Manager's own, so that a caller meets here what it meets in Azure.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
import secrets
import string
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

# Azure's built-in roles, as the actions they allow (the part of them the demo answers for).
READER = {"actions": ["*/read"], "notActions": []}
VM_CONTRIBUTOR = {"actions": ["Microsoft.Compute/virtualMachines/*", "Microsoft.Resources/*/read"], "notActions": []}
TAG_CONTRIBUTOR = {"actions": ["Microsoft.Resources/tags/*", "Microsoft.Resources/*/read"], "notActions": []}

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# Entra's limits on federated identity credentials.
FEDERATED_CREDENTIALS_PER_APPLICATION = 20
FEDERATED_AUDIENCE_MAX_LENGTH = 600
FEDERATED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}")  # 3-120 characters, no spaces
_SECRET_ALPHABET = string.ascii_letters + string.digits + "_.~-"


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def generate_secret() -> str:
    """An application secret shaped as Entra makes them: 40 characters, the 4th to 6th a version marker ("8Q~")."""
    head = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(3))
    return head + "8Q~" + "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(34))


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass
class PasswordCredential:
    """A client secret. Only its digest is kept (Entra shows a secret once, then only its hint)."""

    digest: bytes
    hint: str
    display_name: str = ""
    key_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    start: datetime.datetime = field(default_factory=now)
    end: datetime.datetime = field(default_factory=lambda: now() + datetime.timedelta(days=180))

    @classmethod
    def of(cls, secret: str, **kwargs: Any) -> PasswordCredential:
        return cls(digest=_digest(secret), hint=secret[:3], **kwargs)

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.digest, _digest(secret))


@dataclass
class KeyCredential:
    """A certificate registered on an application (its public part only, as Entra keeps it)."""

    certificate: x509.Certificate
    display_name: str = ""
    key_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    type: str = "AsymmetricX509Cert"
    usage: str = "Verify"
    start: datetime.datetime | None = None  # None: the certificate's own validity
    end: datetime.datetime | None = None

    @property
    def der(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.certificate.public_bytes(Encoding.DER)

    @property
    def sha1(self) -> bytes:
        return hashlib.sha1(self.der, usedforsecurity=False).digest()  # x5t names certificates by SHA-1

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    @property
    def valid_from(self) -> datetime.datetime:
        return self.start or self.certificate.not_valid_before_utc

    @property
    def valid_until(self) -> datetime.datetime:
        return self.end or self.certificate.not_valid_after_utc

    def valid_at(self, instant: datetime.datetime) -> bool:
        return self.valid_from <= instant <= self.valid_until

    def named_by(self, header: dict[str, Any]) -> bool:
        """Whether a JWT header's x5t (base64url SHA-1) or x5t#S256 names this certificate."""
        return any(
            isinstance(header.get(name), str) and _unpadded_b64url(digest) == header[name].rstrip("=")
            for name, digest in (("x5t", self.sha1), ("x5t#S256", self.sha256))
        )


def _unpadded_b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate given as DER or PEM (Entra's portal takes both)."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


@dataclass
class FederatedCredential:
    """A federated identity credential: tokens of ``issuer`` about ``subject`` for one of ``audiences`` are trusted."""

    name: str
    issuer: str
    subject: str
    audiences: list[str]
    description: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if not FEDERATED_NAME.fullmatch(self.name):
            raise ValueError("A federated identity credential's name is 3 to 120 letters, digits, '-' or '_'.")
        if not self.issuer.startswith("https://") and not self.issuer.startswith("http://"):
            raise ValueError("The issuer must be a URL.")
        if not self.subject or len(self.subject) > FEDERATED_AUDIENCE_MAX_LENGTH:
            raise ValueError("The subject must be 1 to 600 characters.")
        if len(self.audiences) != 1:  # Entra takes exactly one audience per credential
            raise ValueError("A federated identity credential has exactly one audience.")
        if not self.audiences[0] or len(self.audiences[0]) > FEDERATED_AUDIENCE_MAX_LENGTH:
            raise ValueError("The audience must be 1 to 600 characters.")


@dataclass
class Application:
    """An application registration (and its service principal: the demo does not tell them apart)."""

    app_id: str
    directory_id: str
    display_name: str = "Cloudivize"
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    passwords: list[PasswordCredential] = field(default_factory=list)
    keys: list[KeyCredential] = field(default_factory=list)
    federated: list[FederatedCredential] = field(default_factory=list)

    def add_secret(self, secret: str | None = None, **kwargs: Any) -> str:
        """Adds a client secret (generated unless given) and returns it: the only time it is seen."""
        secret = secret or generate_secret()
        self.passwords.append(PasswordCredential.of(secret, **kwargs))
        return secret

    def add_certificate(self, certificate: x509.Certificate | bytes, display_name: str = "") -> KeyCredential:
        if isinstance(certificate, bytes):
            certificate = load_certificate(certificate)
        credential = KeyCredential(certificate, display_name=display_name or _common_name(certificate))
        self.keys.append(credential)
        return credential

    def add_federated_credential(
        self, name: str, issuer: str, subject: str, audience: str, description: str = ""
    ) -> FederatedCredential:
        if len(self.federated) >= FEDERATED_CREDENTIALS_PER_APPLICATION:
            raise ValueError("An application has at most 20 federated identity credentials.")
        if any(existing.name == name for existing in self.federated):
            raise ValueError(f"A federated identity credential named '{name}' already exists.")
        if any((c.issuer, c.subject) == (issuer, subject) for c in self.federated):
            raise ValueError("A federated identity credential with this issuer and subject already exists.")
        credential = FederatedCredential(name, issuer, subject, [audience], description)
        self.federated.append(credential)
        return credential

    def secret_matching(self, secret: str) -> PasswordCredential | None:
        return next((password for password in self.passwords if password.matches(secret)), None)


def _common_name(certificate: x509.Certificate) -> str:
    from cryptography.x509.oid import NameOID

    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"CN={names[0].value}" if names else ""


@dataclass
class FakeVm:
    resource_group: str
    name: str
    location: str = "westeurope"
    power: str = "running"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeResource:
    resource_group: str
    type: str
    name: str
    location: str = "westeurope"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeSubscription:
    subscription_id: str
    display_name: str
    permissions: list[dict[str, list[str]]] = field(default_factory=lambda: [READER])  # [] = no role at all
    resource_groups: dict[str, str] = field(default_factory=dict)  # name -> location
    vms: list[FakeVm] = field(default_factory=list)
    resources: list[FakeResource] = field(default_factory=list)
    failure: tuple[int, str] | None = None  # every call under the subscription answers this (status, ARM code)
    throttled: int = 0  # this many 429s first
    directory_id: str = ""  # the directory it trusts ("" = the first one)

    @property
    def scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    def vm_id(self, vm: FakeVm) -> str:
        return f"{self.scope}/resourceGroups/{vm.resource_group}/providers/Microsoft.Compute/virtualMachines/{vm.name}"

    def resource_id(self, resource: FakeResource) -> str:
        return f"{self.scope}/resourceGroups/{resource.resource_group}/providers/{resource.type}/{resource.name}"


@dataclass(frozen=True)
class IssuedToken:
    """What an access token was issued for: the resource (scope) and the application signed in."""

    scope: str
    directory_id: str
    application_id: str


class AzureState:
    """The state of the demo Azure, and what it records of the calls made to it (for tests and the banner)."""

    def __init__(
        self,
        *,
        subscriptions: dict[str, FakeSubscription] | None = None,
        authority_url: str = "https://login.fake-azure.test",
        arm_url: str = "https://management.fake-azure.test",
        page_size: int = 50,
    ) -> None:
        self.authority_url = authority_url
        self.arm_url = arm_url
        self.directories: set[str] = set()
        self.applications: dict[str, Application] = {}  # by appId (client id)
        self.subscriptions: dict[str, FakeSubscription] = subscriptions if subscriptions is not None else {}
        self.secret_expired = False  # every secret answers as expired (7000222)
        self.page_size = page_size
        self.token_requests: list[dict[str, str]] = []  # the form fields, secret and assertion removed
        self.calls: list[tuple[str, str]] = []  # (method, path) of every Resource Manager call
        self.tag_bodies: list[dict[str, Any]] = []
        self.tokens: dict[str, IssuedToken] = {}
        self.lock = threading.RLock()

    @property
    def arm_scope(self) -> str:
        return f"{self.arm_url}/.default"

    def add_directory(self, directory_id: str) -> str:
        self.directories.add(directory_id)
        return directory_id

    def add_application(
        self, directory_id: str, app_id: str, display_name: str = "Cloudivize", **kw: Any
    ) -> Application:
        if directory_id not in self.directories:
            raise ValueError(f"No directory {directory_id}.")
        application = Application(app_id, directory_id, display_name, **kw)
        self.applications[app_id] = application
        return application

    def add_subscription(self, subscription: FakeSubscription) -> FakeSubscription:
        self.subscriptions[subscription.subscription_id] = subscription
        return subscription

    def add_federated_credential(
        self, application_id: str, name: str, issuer: str, subject: str, audience: str
    ) -> FederatedCredential:
        """What the customer does in the portal (or with ``az ad app federated-credential create``)."""
        with self.lock:
            return self.applications[application_id].add_federated_credential(name, issuer, subject, audience)

    def application_by_object_id(self, object_id: str) -> Application | None:
        return next((app for app in self.applications.values() if app.object_id == object_id), None)

    def issue_token(self, scope: str, application: Application) -> str:
        token = f"fake-access-token-{secrets.token_hex(16)}"
        self.tokens[token] = IssuedToken(scope, application.directory_id, application.app_id)
        return token
