"""Connections: the use cases of one caller (add, list, read, change, remove, re-verify, open to act).

Whatever differs by cloud is asked of the connection's provider; how records are stored is the store's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cloudivize.errors import (
    BadRequest,
    CloudivizeError,
    DuplicateConnection,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
)
from cloudivize.metrics import count_connection_event
from cloudivize.models.connections import (
    Connection,
    ConnectionPage,
    ConnectionPatch,
    SyncResult,
    SyncSummary,
    Verification,
)
from cloudivize.observability import logger
from cloudivize.organization_members import OrganizationMembers
from cloudivize.providers import Providers
from cloudivize.providers.base import CloudConnection, Document, Provider
from cloudivize.repository import BadPageToken, RecordMissing, StaleVersion
from cloudivize.store.connections import ConnectionStore
from cloudivize.store.records import ConnectionChanges, ConnectionRecord
from cloudivize.store.tenants import TenantStore
from cloudivize.tenancy import Caller

_COMMON_PATCH_FIELDS = frozenset({"version", "name", "verify"})


def _now() -> datetime:
    return datetime.now(UTC)


def _not_found(connection_id: str) -> NotFound:
    # The same answer whether the record is missing or another tenant's: no existence oracle.
    return NotFound(f"No connection {connection_id!r} in your organisation.")


class Connections:
    """The connection use cases of one tenant's caller."""

    def __init__(self, store: ConnectionStore, tenants: TenantStore, providers: Providers, caller: Caller) -> None:
        self._store = store
        self._tenants = tenants
        self._providers = providers
        self._caller = caller

    # --- use cases ------------------------------------------------------------------------------------
    def create(self, request: Any) -> Connection:
        """``request`` is one provider's create body (``models.connections.ConnectionCreate``)."""
        provider = self._providers[request.provider]
        new = provider.new_connection(request)
        # Refused before any live call. Two concurrent first creates of the same connection may both pass this
        # check; that race is accepted: the outcome is two working connections of one tenant to the same role,
        # which the customer sees and can delete, whereas preventing it needs the identity in a clear key or
        # attribute (even hashed, a role ARN or Azure id is guessable), which sealing keeps out of the table.
        # The usual source of concurrent duplicates, a client's retry, is answered by its Idempotency-Key.
        self._refuse_duplicate(provider, new.descriptors)
        connection_id = str(uuid.uuid4())
        now = _now()
        status, verified_at = "unverified", None
        if request.verify:
            connection = self._cloud_connection(
                provider, connection_id, new.descriptors, new.credentials, new.regions, new.secret_expires_at,
                external_id=self._tenants.external_id(self._caller.tenant_id), scope=new.scope,
            )  # fmt: skip
            self._require_verified(provider, connection)
            status, verified_at = "verified", now
        record = ConnectionRecord(
            connection_id=connection_id,
            provider=provider.name,
            name=request.name,
            status=status,
            created_at=now,
            updated_at=now,
            created_by=self._caller.user_id,
            last_verified_at=verified_at,
            regions=new.regions,
            secret_expires_at=new.secret_expires_at,
            descriptors=new.descriptors.to_sealed(),
            scope=new.scope,
        )
        credentials = new.credentials.to_sealed() if new.credentials is not None else None
        self._store.create(record, credentials)
        count_connection_event("ConnectionCreated", provider.name)
        if record.scope == "organization" and status == "verified":
            self._first_sync(connection_id)
            return self.get(connection_id)
        return self._to_api(record)

    def _first_sync(self, connection_id: str) -> None:
        """An organization connection, once stored, connects its accounts. Should that fail (AWS throttling, say),
        the connection stays, as verified as it is: the answer says so, and how to go on."""
        try:
            self.sync(connection_id)
        except CloudivizeError as error:
            logger.info("First sync failed", extra={"connection_id": connection_id, "error": type(error).__name__})
            error.detail += (
                f" The organization connection {connection_id} is stored: sync it "
                f"(POST /connections/{connection_id}/sync) once this is resolved."
            )
            error.extensions["connection_id"] = connection_id
            raise

    def sync(self, connection_id: str) -> SyncResult:
        """Reconcile an organization connection with its organization (``organization_members``)."""
        record, connection = self.open(connection_id, with_members=False)  # the sync reads them itself
        if record.scope != "organization":
            raise Unprocessable(
                "Only an organization connection syncs: this one connects one account.",
                errors=[{"field": "connection_id", "in": "path", "type": "not_an_organization", "message": "sync"}],
            )
        provider = self._providers[record.provider]
        return OrganizationMembers(
            self._store,
            provider,
            user_id=self._caller.user_id,
            cloud_connection=lambda member: self._member_connection(provider, member, connection.external_id),
        ).sync(record, connection)

    def get(self, connection_id: str) -> Connection:
        return self._to_api(self._load(connection_id))

    def list(self, limit: int, next_token: str | None) -> ConnectionPage:
        try:
            records, token = self._store.page(limit, next_token)
        except BadPageToken:
            raise BadRequest("The next_token is not one this listing issued; start again without it.") from None
        return ConnectionPage(items=[self._to_api(record) for record in records], next_token=token)

    def update(self, connection_id: str, patch: ConnectionPatch, if_match: int | None) -> Connection:
        expected = _expected_version(patch.version, if_match)
        current = self._load(connection_id)
        if current.version != expected:
            raise _stale(current.version)
        provider = self._providers[current.provider]
        _refuse_other_provider_fields(patch, provider)

        descriptors = provider.descriptors_type.model_validate(current.descriptors)
        patched = provider.patched(
            descriptors,
            patch,
            secret_expires_at=current.secret_expires_at,
            credentials=lambda: provider.credentials_type.model_validate(self._store.credentials(connection_id)),
        )
        if provider.identity(patched.descriptors) != provider.identity(descriptors):  # e.g. other subscriptions
            self._refuse_duplicate(provider, patched.descriptors)
        changes: dict[str, Any] = {"updated_at": _now(), **patched.changes}
        if patch.name is not None:
            changes["name"] = patch.name
        if patched.credentials is not None:
            if patch.verify and patched.checkable:
                # Verified with the expiry that will be stored: the one sent, or the one kept.
                expires_at = changes.get("secret_expires_at", current.secret_expires_at)
                connection = self._cloud_connection(
                    provider, connection_id, patched.descriptors, patched.credentials, current.regions,
                    expires_at, external_id=self._tenants.external_id(self._caller.tenant_id),
                )  # fmt: skip
                self._require_verified(provider, connection)
                changes.update(status="verified", last_verified_at=_now())
            else:
                changes["status"] = "unverified"
            changes["credentials"] = patched.credentials.to_sealed()
        sealed_descriptors = patched.descriptors.to_sealed()
        if sealed_descriptors != current.descriptors:
            changes["descriptors"] = sealed_descriptors
        try:
            record = self._store.update(current, ConnectionChanges(**changes))
        except StaleVersion:
            raise _stale(None) from None
        except RecordMissing:
            raise _not_found(connection_id) from None
        return self._to_api(record)

    def delete(self, connection_id: str) -> None:
        """An organization connection goes with its member connections (what they connect stays the customer's)."""
        record = self._load(connection_id)
        try:
            if record.scope == "organization":
                members = [member.connection_id for member in self._store.members_of(connection_id)]
                self._store.delete_organization(connection_id, members)
            else:
                self._store.delete(connection_id)
        except RecordMissing:
            raise _not_found(connection_id) from None

    def verify(self, connection_id: str) -> Verification:
        """Re-check a stored connection and record the outcome in its status."""
        record, connection = self.open(connection_id)
        result = self._providers[record.provider].verify(connection)
        count_connection_event("ConnectionVerified" if result.ok else "ConnectionVerificationFailed", record.provider)
        changes = ConnectionChanges(status="verified" if result.ok else "failed", last_verified_at=_now())
        try:
            self._store.update(record, changes)
        except StaleVersion:
            pass  # changed meanwhile: the result stands for this call, the newer record keeps its own status
        except RecordMissing:
            raise _not_found(connection_id) from None
        return result

    def open(self, connection_id: str, *, with_members: bool = True) -> tuple[ConnectionRecord, CloudConnection]:
        """A stored connection, opened (credentials and the tenant's External ID included) to act on the
        customer's cloud for one request: one read of the table (an organization's: and one of its members)."""
        opened = self._store.open_for_use(connection_id)
        if opened is None:
            raise _not_found(connection_id)
        record, provider = opened.record, self._providers[opened.record.provider]
        external_id = opened.tenant.external_id.get_secret_value() if opened.tenant else None
        members: tuple[CloudConnection, ...] = ()
        if record.scope == "organization" and with_members:  # its assets and actions are its active members'
            members = tuple(
                self._member_connection(provider, member, external_id)
                for member in self._store.members_of(connection_id)
                if member.account_state == "active"
            )
        connection = self._cloud_connection(
            provider,
            connection_id,
            provider.descriptors_type.model_validate(record.descriptors),
            provider.credentials_type.model_validate(opened.credentials),
            record.regions,
            record.secret_expires_at,
            external_id=external_id,
            scope=record.scope,
            members=members,
        )
        return record, connection

    # --- helpers --------------------------------------------------------------------------------------
    def _member_connection(
        self, provider: Provider, member: ConnectionRecord, external_id: str | None
    ) -> CloudConnection:
        """A member connection of an organization's, opened to act (it stores no credentials)."""
        descriptors = provider.descriptors_type.model_validate(member.descriptors)
        return self._cloud_connection(
            provider, member.connection_id, descriptors, None, member.regions, None, external_id=external_id
        )

    def _refuse_duplicate(self, provider: Provider, descriptors: Document) -> None:
        """409 if the tenant already has a connection with these descriptors' identity (see
        ``Provider.identity``). The answer names the existing connection by id and name, never by the role ARN
        or Azure ids it holds: those are sealed data."""
        identity = provider.identity(descriptors)
        for record in self._store.of_provider(provider.name):
            if provider.identity(provider.descriptors_type.model_validate(record.descriptors)) == identity:
                raise DuplicateConnection(
                    f"Your organisation already has this connection: {record.connection_id} "
                    f"({record.name!r}). Change that one (PATCH /connections/{record.connection_id}) "
                    "or delete it before adding it again.",
                    existing_connection_id=record.connection_id,
                )

    def _load(self, connection_id: str) -> ConnectionRecord:
        record = self._store.get(connection_id)
        if record is None:
            raise _not_found(connection_id)
        return record

    def _to_api(self, record: ConnectionRecord) -> Connection:
        provider = self._providers[record.provider]
        view = provider.view(
            provider.descriptors_type.model_validate(record.descriptors),
            regions=record.regions,
            secret_expires_at=record.secret_expires_at,
        )
        return Connection(
            id=record.connection_id,
            provider=record.provider,
            name=record.name,
            status=record.status,
            version=record.version,
            created_at=record.created_at,
            updated_at=record.updated_at,
            last_verified_at=record.last_verified_at,
            scope=record.scope,
            organization_connection_id=record.organization_connection_id,
            account_state=record.account_state,
            failed_checks=record.failed_checks,
            last_synced_at=record.last_synced_at,
            last_sync=SyncSummary.model_validate(record.last_sync) if record.last_sync else None,
            **{provider.name: view},
        )

    def _cloud_connection(
        self,
        provider: Provider,
        connection_id: str,
        descriptors: Document,
        credentials: Document | None,
        regions: list[str] | None,
        secret_expires_at: datetime | None,
        *,
        external_id: str | None,
        scope: str = "account",
        members: tuple[CloudConnection, ...] = (),
    ) -> CloudConnection:
        """What a call into the customer's cloud needs: for a stored connection (``open``), or for one not yet
        stored or about to change (verified before writing)."""
        return CloudConnection(
            connection_id=connection_id,
            tenant_id=self._caller.tenant_id,
            user_id=self._caller.user_id,
            provider=provider.name,
            descriptors=descriptors,
            credentials=credentials if credentials is not None else provider.credentials_type(),
            regions=regions,
            secret_expires_at=secret_expires_at,
            external_id=external_id,
            scope=scope,
            members=members,
        )

    @staticmethod
    def _require_verified(provider: Provider, connection: CloudConnection) -> None:
        result = provider.verify(connection)
        if not result.ok:
            count_connection_event("ConnectionVerificationFailed", provider.name)
            failed = "; ".join(
                f"{check.name}: {check.detail}" for check in result.checks if check.required and not check.ok
            )
            raise Unprocessable(
                f"Cloudivize could not verify this connection, so nothing was stored. {failed}",
                checks=[check.model_dump() for check in result.checks],
            )
        count_connection_event("ConnectionVerified", provider.name)


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


def _refuse_other_provider_fields(patch: ConnectionPatch, provider: Provider) -> None:
    accepted = _COMMON_PATCH_FIELDS | provider.patch_fields
    sent = [name for name in ConnectionPatch.model_fields if name not in accepted and getattr(patch, name) is not None]
    if sent:
        raise Unprocessable(
            f"These fields do not apply to an {provider.name} connection: {', '.join(sent)}.",
            errors=[
                {"field": name, "in": "body", "type": "not_applicable", "message": f"not for {provider.name}"}
                for name in sent
            ],
        )
