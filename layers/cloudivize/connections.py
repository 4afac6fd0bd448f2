"""Connections: what a customer connects, stored as metadata plus sealed descriptors and credentials.

Stored per connection (``TENANT#t / CONN#c``): id, provider, name, status, regions, times, version, and two
sealed blobs: ``descriptors`` (role ARN and account id, or Azure directory/application/subscription ids and
a secret hint; shown to the tenant) and ``credentials`` (the Azure application secret; opened only to call
Azure). Nothing else: no asset, no credential from a customer's cloud.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cloudivize.config import get_settings
from cloudivize.crypto import FieldSealer, SealContext, sealer_for
from cloudivize.errors import (
    BadRequest,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
)
from cloudivize.models.connections import (
    AwsConnectionCreate,
    AwsDescriptors,
    AzureConnectionCreate,
    AzureDescriptors,
    Connection,
    ConnectionPage,
    ConnectionPatch,
    Verification,
)
from cloudivize.models.fields import ROLE_ARN_PATTERN
from cloudivize.repository import (
    CONNECTION_PREFIX,
    PARTITION_KEY,
    SORT_KEY,
    BadPageToken,
    RecordMissing,
    StaleVersion,
    Table,
    connection_sort_key,
    record_name,
    tenant_partition,
)
from cloudivize.tenancy import Caller
from cloudivize.verification import VerificationRequest, verify

DESCRIPTORS = "connection_descriptors"
CREDENTIALS = "connection_credentials"
SECRET_HINT_LENGTH = 3
_AZURE_ONLY = ("subscription_ids", "application_secret", "secret_expires_at")
_AWS_ONLY = ("regions",)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _not_found(connection_id: str) -> NotFound:
    # The same answer whether the record is missing or another tenant's: no existence oracle.
    return NotFound(f"No connection {connection_id!r} in your organisation.")


@dataclass(frozen=True)
class Opened:
    """A stored connection with its sealed parts opened (in memory, for one request)."""

    item: dict[str, Any]
    descriptors: dict[str, Any]

    @property
    def version(self) -> int:
        return int(self.item["version"])


@dataclass(frozen=True)
class ConnectionInUse:
    """What a call into the customer's cloud needs; lives for one request, never stored or logged."""

    connection_id: str
    tenant_id: str
    user_id: str
    provider: str
    regions: list[str] | None
    descriptors: dict[str, Any] = field(repr=False)
    credentials: dict[str, Any] = field(repr=False)
    secret_expires_at: str | None = None  # Azure, when known

    def verification_request(self) -> VerificationRequest:
        return VerificationRequest(
            tenant_id=self.tenant_id,
            user_id=self.user_id,
            provider=self.provider,
            descriptors=self.descriptors,
            credentials=self.credentials,
            regions=self.regions,
            secret_expires_at=self.secret_expires_at,
        )


class Connections:
    """The connection use cases of one tenant's caller."""

    def __init__(self, table: Table, sealer: FieldSealer, caller: Caller) -> None:
        self._table = table
        self._sealer = sealer
        self._caller = caller
        self._partition = tenant_partition(caller.tenant_id)

    @classmethod
    def of(cls, caller: Caller) -> Connections:
        """The caller's connections in the configured table, sealed with the configured field key."""
        settings = get_settings()
        return cls(Table(settings.table_name), sealer_for(settings.field_key_arn), caller)

    # --- sealing: the only code that builds a connection's encryption context ---------------------------
    def _context(self, connection_id: str, purpose: str) -> SealContext:
        record = record_name(self._partition, connection_sort_key(connection_id))
        return SealContext(self._caller.tenant_id, record, purpose)

    def _seal(self, connection_id: str, purpose: str, value: dict[str, Any]) -> str:
        return self._sealer.seal(json.dumps(value), self._context(connection_id, purpose))

    def _open(self, item: dict[str, Any], purpose: str) -> dict[str, Any]:
        attribute = {DESCRIPTORS: "descriptors_sealed", CREDENTIALS: "credentials_sealed"}[purpose]
        if attribute not in item:
            return {}
        return json.loads(self._sealer.open(item[attribute], self._context(item["connection_id"], purpose)))

    # --- use cases ------------------------------------------------------------------------------------
    def create(self, request: AwsConnectionCreate | AzureConnectionCreate) -> Connection:
        connection_id = str(uuid.uuid4())
        descriptors, credentials = _parts_of(request)
        status, verified_at = "unverified", None
        regions = request.regions if isinstance(request, AwsConnectionCreate) else None
        if request.verify:
            expires_at = request.secret_expires_at if isinstance(request, AzureConnectionCreate) else None
            self._require_verified(request.provider, descriptors, credentials, regions, expires_at)
            status, verified_at = "verified", _now()
        now = _now()
        item: dict[str, Any] = {
            PARTITION_KEY: self._partition,
            SORT_KEY: connection_sort_key(connection_id),
            "kind": "connection",
            "connection_id": connection_id,
            "provider": request.provider,
            "name": request.name,
            "status": status,
            "created_at": now,
            "updated_at": now,
            "created_by": self._caller.user_id,
            "version": 1,
            "descriptors_sealed": self._seal(connection_id, DESCRIPTORS, descriptors),
        }
        if verified_at:
            item["last_verified_at"] = verified_at
        if isinstance(request, AwsConnectionCreate) and request.regions:
            item["regions"] = request.regions
        if isinstance(request, AzureConnectionCreate):
            item["credentials_sealed"] = self._seal(connection_id, CREDENTIALS, credentials)
            if request.secret_expires_at:
                item["secret_expires_at"] = request.secret_expires_at.isoformat()
        self._table.create(item)
        return _to_api(item, descriptors)

    def get(self, connection_id: str) -> Connection:
        opened = self._load(connection_id)
        return _to_api(opened.item, opened.descriptors)

    def list(self, limit: int, next_token: str | None) -> ConnectionPage:
        try:
            page = self._table.page(self._partition, CONNECTION_PREFIX, limit, next_token)
        except BadPageToken:
            raise BadRequest("The next_token is not one this listing issued; start again without it.") from None
        items = [_to_api(item, self._open(item, DESCRIPTORS)) for item in page.items]
        return ConnectionPage(items=items, next_token=page.next_token)

    def update(self, connection_id: str, patch: ConnectionPatch, if_match: int | None) -> Connection:
        expected = _expected_version(patch.version, if_match)
        opened = self._load(connection_id)
        if opened.version != expected:
            raise _stale(opened.version)
        provider = opened.item["provider"]
        _refuse_other_provider_fields(patch, provider)

        changes: dict[str, Any] = {"updated_at": _now()}
        if patch.name is not None:
            changes["name"] = patch.name
        if patch.regions is not None:
            changes["regions"] = patch.regions
        descriptors = dict(opened.descriptors)
        if patch.subscription_ids is not None:
            descriptors["subscription_ids"] = patch.subscription_ids
        if patch.secret_expires_at is not None:
            changes["secret_expires_at"] = patch.secret_expires_at.isoformat()
        if patch.application_secret is not None:
            secret = patch.application_secret.get_secret_value()
            descriptors["secret_hint"] = secret[:SECRET_HINT_LENGTH]
            credentials = {"application_secret": secret}
            # The old secret's expiry says nothing about the new one: keep only a date sent with it.
            changes.setdefault("secret_expires_at", None)
            if patch.verify:
                self._require_verified(provider, descriptors, credentials, None, patch.secret_expires_at)
                changes.update(status="verified", last_verified_at=_now())
            else:
                changes["status"] = "unverified"
            changes["credentials_sealed"] = self._seal(connection_id, CREDENTIALS, credentials)
        if descriptors != opened.descriptors:
            changes["descriptors_sealed"] = self._seal(connection_id, DESCRIPTORS, descriptors)

        try:
            item = self._table.update(
                self._partition, connection_sort_key(connection_id), changes, expected_version=expected
            )
        except StaleVersion:
            raise _stale(None) from None
        except RecordMissing:
            raise _not_found(connection_id) from None
        return _to_api(item, descriptors)

    def delete(self, connection_id: str) -> None:
        try:
            self._table.delete(self._partition, connection_sort_key(connection_id))
        except RecordMissing:
            raise _not_found(connection_id) from None

    def verify(self, connection_id: str) -> Verification:
        """Re-check a stored connection and record the outcome in its status."""
        opened = self._load(connection_id)
        result = verify(self.for_use(connection_id, opened).verification_request())
        changes = {"status": "verified" if result.ok else "failed", "last_verified_at": _now()}
        try:
            self._table.update(
                self._partition, connection_sort_key(connection_id), changes, expected_version=opened.version
            )
        except StaleVersion:
            pass  # changed meanwhile: the result stands for this call, the newer record keeps its own status
        except RecordMissing:
            raise _not_found(connection_id) from None
        return result

    # --- helpers --------------------------------------------------------------------------------------
    def _load(self, connection_id: str) -> Opened:
        item = self._table.get(self._partition, connection_sort_key(connection_id))
        if item is None:
            raise _not_found(connection_id)
        return Opened(item=item, descriptors=self._open(item, DESCRIPTORS))

    def for_use(self, connection_id: str, opened: Opened | None = None) -> ConnectionInUse:
        """A stored connection, opened (credentials included) to act on the customer's cloud for one request."""
        opened = opened or self._load(connection_id)
        return ConnectionInUse(
            connection_id=connection_id,
            tenant_id=self._caller.tenant_id,
            user_id=self._caller.user_id,
            provider=opened.item["provider"],
            regions=opened.item.get("regions"),
            descriptors=opened.descriptors,
            credentials=self._open(opened.item, CREDENTIALS),
            secret_expires_at=opened.item.get("secret_expires_at"),
        )

    def _require_verified(
        self,
        provider: str,
        descriptors: dict,
        credentials: dict,
        regions: list[str] | None,
        secret_expires_at: datetime | None = None,
    ) -> None:
        result = verify(
            VerificationRequest(
                tenant_id=self._caller.tenant_id,
                user_id=self._caller.user_id,
                provider=provider,
                descriptors=descriptors,
                credentials=credentials,
                regions=regions,
                secret_expires_at=secret_expires_at,
            )
        )
        if not result.ok:
            failed = "; ".join(
                f"{check.name}: {check.detail}" for check in result.checks if check.required and not check.ok
            )
            raise Unprocessable(
                f"Cloudivize could not verify this connection, so nothing was stored. {failed}",
                checks=[check.model_dump() for check in result.checks],
            )


def _parts_of(request: AwsConnectionCreate | AzureConnectionCreate) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sealed parts of a new connection: (descriptors, credentials)."""
    if isinstance(request, AwsConnectionCreate):
        account_id = ROLE_ARN_PATTERN.match(request.role_arn)["account_id"]  # type: ignore[index]
        return {"role_arn": request.role_arn, "account_id": account_id}, {}
    secret = request.application_secret.get_secret_value()
    descriptors = {
        "directory_id": request.directory_id,
        "application_id": request.application_id,
        "subscription_ids": request.subscription_ids,
        "secret_hint": secret[:SECRET_HINT_LENGTH],
    }
    return descriptors, {"application_secret": secret}


def _to_api(item: dict[str, Any], descriptors: dict[str, Any]) -> Connection:
    provider = item["provider"]
    aws = azure = None
    if provider == "aws":
        aws = AwsDescriptors(
            account_id=descriptors["account_id"], role_arn=descriptors["role_arn"], regions=item.get("regions")
        )
    else:
        azure = AzureDescriptors(
            directory_id=descriptors["directory_id"],
            application_id=descriptors["application_id"],
            subscription_ids=descriptors.get("subscription_ids"),
            secret_hint=descriptors["secret_hint"],
            secret_expires_at=item.get("secret_expires_at"),
        )
    return Connection(
        id=item["connection_id"],
        provider=provider,
        name=item["name"],
        status=item["status"],
        version=int(item["version"]),
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        last_verified_at=item.get("last_verified_at"),
        aws=aws,
        azure=azure,
    )


def _expected_version(body_version: int | None, if_match: int | None) -> int:
    if body_version is not None and if_match is not None and body_version != if_match:
        raise BadRequest("The body's version and the If-Match header disagree; send one of them.")
    expected = body_version if body_version is not None else if_match
    if expected is None:
        raise PreconditionRequired(
            'Send the version you read, as "version" in the body or as an If-Match header, '
            "so that concurrent changes are not lost."
        )
    return expected


def _stale(current: int | None) -> PreconditionFailed:
    hint = f" (it is now at version {current})" if current is not None else ""
    return PreconditionFailed(
        f"The connection changed since you read it{hint}. Read it again, reapply your change and retry."
    )


def _refuse_other_provider_fields(patch: ConnectionPatch, provider: str) -> None:
    foreign = _AZURE_ONLY if provider == "aws" else _AWS_ONLY
    sent = [name for name in foreign if getattr(patch, name) is not None]
    if sent:
        raise Unprocessable(
            f"These fields do not apply to an {provider} connection: {', '.join(sent)}.",
            errors=[
                {"field": name, "in": "body", "type": "not_applicable", "message": f"not for {provider}"}
                for name in sent
            ],
        )
