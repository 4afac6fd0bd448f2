"""Sessions in customers' accounts: AssumeRole with the tenant's External ID as ``Cloudivize-Session``.

Credentials are kept in memory only, reused until shortly before they expire, and never logged or stored.
When the stack defines the customer-access role, it is assumed first: it is the one principal customers
trust, and its own policy only lets it open sessions named ``Cloudivize-Session`` with an External ID.

A session builds each client it needs once, per (service, region), and every request of the warm container
reuses it: building one costs ~15 ms of CPU, and an inventory of 17 regions needs ~70. When the credentials
are renewed, the session keeps its clients and they sign with the new credentials from their next call on.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, Credentials, ReadOnlyCredentials
from botocore.exceptions import ClientError
from botocore.loaders import Loader, create_loader

from cloudivize.aws_access import SESSION_NAME
from cloudivize.aws_access.failures import cannot_assume, error_code
from cloudivize.metrics import count
from cloudivize.observability import logger
from cloudivize.principal import CLIENT_CONFIG, Principal, fresh

SESSION_SECONDS = 900  # the shortest AWS allows: a leaked credential dies quickly
# Sessions (one per tenant, user and role: the user is the SourceIdentity) kept per warm container, least
# recently used dropped first: each holds its clients.
MAX_CACHED_SESSIONS = 64
_SOURCE_IDENTITY_UNSAFE = re.compile(r"[^\w+=,.@-]")


@dataclass(frozen=True)
class Grant:
    """What one AssumeRole gave."""

    credentials: ReadOnlyCredentials
    assumed_arn: str  # what the customer sees in CloudTrail: ...:assumed-role/<role>/Cloudivize-Session
    source_identity: str | None  # the signed-in user, when the role's trust policy allows setting it
    expires_at: datetime


class RenewableCredentials(Credentials):
    """The credentials a session's clients sign with: botocore reads them on every request, so a renewal (one
    assignment: a request signs with the old set or the new one, never a mix) reaches every client at once."""

    method = "assume-role"
    account_id = None

    def __init__(self, credentials: ReadOnlyCredentials) -> None:  # noqa: D107 - no Credentials.__init__: no copy
        self._current = credentials

    def renew(self, credentials: ReadOnlyCredentials) -> None:
        self._current = credentials

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        return self._current

    @property
    def access_key(self) -> str:  # type: ignore[override]
        return self._current.access_key

    @property
    def secret_key(self) -> str:  # type: ignore[override]
        return self._current.secret_key

    @property
    def token(self) -> str | None:  # type: ignore[override]
        return self._current.token


class _Granted(CredentialProvider):
    METHOD = "assume-role"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


@cache
def _models() -> Loader:
    """One loader of botocore's service models for every customer session: the models are read once."""
    return create_loader()


def _boto_session(credentials: Credentials) -> boto3.Session:
    core = botocore.session.Session()
    core.register_component("data_loader", _models())
    core.register_component("credential_provider", CredentialResolver([_Granted(credentials)]))
    return boto3.Session(botocore_session=core)


class CustomerSession:
    """A session in one customer account and the clients built on it (thread-safe: the clients are; the boto3
    session is used only under the lock)."""

    def __init__(self, *, role_arn: str, grant: Grant) -> None:
        self.role_arn = role_arn
        self._credentials = RenewableCredentials(grant.credentials)
        self._grant = grant
        self.session = _boto_session(self._credentials)
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CustomerSession(role_arn={self.role_arn!r}, expires_at={self.expires_at.isoformat()})"

    @property
    def assumed_arn(self) -> str:
        return self._grant.assumed_arn

    @property
    def source_identity(self) -> str | None:
        return self._grant.source_identity

    @property
    def expires_at(self) -> datetime:
        return self._grant.expires_at

    def renew(self, grant: Grant) -> None:
        """New credentials for this session and every client it built."""
        self._grant = grant
        self._credentials.renew(grant.credentials)

    def client(self, service: str, region: str | None = None) -> Any:
        """The session's client for ``service`` in ``region``, built on first use."""
        key = (service, region)
        made = self._clients.get(key)
        if made is None:
            with self._lock:
                made = self._clients.get(key)
                if made is None:
                    made = self.session.client(service, region_name=region, config=CLIENT_CONFIG)
                    self._clients[key] = made
        return made


def source_identity_for(user_id: str) -> str:
    """AWS allows 2-64 characters of [\\w+=,.@-] in a SourceIdentity."""
    cleaned = _SOURCE_IDENTITY_UNSAFE.sub("-", user_id)[:64]
    return cleaned if len(cleaned) >= 2 else f"u-{cleaned}"


class CustomerSessions:
    """Assumes and caches sessions in customer accounts (one cache per warm container), from the principal's
    broker session (``cloudivize.principal``)."""

    def __init__(self, principal: Principal) -> None:
        self._principal = principal
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, CustomerSession] = OrderedDict()
        self._opening: dict[str, threading.Lock] = {}

    @property
    def principal_arn(self) -> str | None:
        return self._principal.arn

    def open(self, *, tenant_id: str, user_id: str, role_arn: str, external_id: str) -> CustomerSession:
        """The session of this user in the customer's role: its credentials renewed when they expire soon (a
        refusal raises here, as for a new one), its clients kept."""
        # Keyed by a digest: the External ID must not sit in clear in a dict that a debugger or dump could print.
        key = hashlib.sha256(f"{tenant_id}\0{user_id}\0{role_arn}\0{external_id}".encode()).hexdigest()
        # One AssumeRole per key at a time, and sessions of other roles (an organization's accounts) at once.
        with self._lock:
            opening = self._opening.setdefault(key, threading.Lock())
        with opening:
            with self._lock:
                session = self._sessions.get(key)
            if session is None or not fresh(session.expires_at):
                grant = self._assume(user_id=user_id, role_arn=role_arn, external_id=external_id)
                if session is None:
                    session = CustomerSession(role_arn=role_arn, grant=grant)
                else:
                    session.renew(grant)
            with self._lock:
                self._sessions[key] = session
                self._sessions.move_to_end(key)
                while len(self._sessions) > MAX_CACHED_SESSIONS:
                    self._opening.pop(self._sessions.popitem(last=False)[0], None)
            return session

    def _assume(self, *, user_id: str, role_arn: str, external_id: str) -> Grant:
        sts = self._principal.sts()
        request = {
            "RoleArn": role_arn,
            "RoleSessionName": SESSION_NAME,
            "ExternalId": external_id,
            "DurationSeconds": SESSION_SECONDS,
        }
        source_identity: str | None = source_identity_for(user_id)
        try:
            try:
                response = sts.assume_role(**request, SourceIdentity=source_identity)
            except ClientError as error:
                if error_code(error) != "AccessDenied":
                    raise
                # The trust policy may not allow sts:SetSourceIdentity: try once without it.
                source_identity = None
                response = sts.assume_role(**request)
        except ClientError as error:
            logger.info("AssumeRole refused", extra={"aws_error": error_code(error)})
            count("AssumeRoleRefused", provider="aws")
            raise cannot_assume(role_arn, self._principal.arn, error) from None
        credentials = response["Credentials"]
        return Grant(
            credentials=ReadOnlyCredentials(
                credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
            ),
            assumed_arn=response["AssumedRoleUser"]["Arn"],
            source_identity=source_identity,
            expires_at=credentials["Expiration"],
        )
