"""Connection records (``TENANT#t / CONN#c``): item shape, and the two sealed documents of each.

Stored per connection: id, provider, name, status, regions, times, version, and two sealed blobs:
``descriptors_sealed`` (role ARN and account id, or Azure directory/application/subscription ids and a secret
hint; shown to the tenant) and ``credentials_sealed`` (the Azure application secret; opened only to act).
Nothing else: no asset, no credential from a customer's cloud.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudivize.crypto import CONNECTION_CREDENTIALS, CONNECTION_DESCRIPTORS, FieldSealer, connection_context
from cloudivize.repository import (
    CONNECTION_PREFIX,
    Put,
    Remove,
    Table,
    connection_key,
    scheduled_sync_key,
    tenant_key,
    tenant_partition,
)
from cloudivize.store.records import ConnectionChanges, ConnectionRecord, TenantRecord
from cloudivize.store.tenants import TenantStore

_SEALED_ATTRIBUTE = {CONNECTION_DESCRIPTORS: "descriptors_sealed", CONNECTION_CREDENTIALS: "credentials_sealed"}
_CLEAR_CHANGES = ("name", "regions", "status", "account_state", "failed_checks")
_TIME_CHANGES = ("secret_expires_at", "last_verified_at", "updated_at")
_SCAN_PAGE = 100  # records per query when reading all of a tenant's connections
_SYNC_LEASE = "sync_lease"  # epoch seconds until which one sync of an organization connection holds it
_MAX_TRANSACTION = 100  # TransactWriteItems' limit


@dataclass(frozen=True)
class ConnectionInUse:
    """A connection opened to act on the customer's cloud, read with its tenant in one round trip."""

    record: ConnectionRecord
    tenant: TenantRecord | None
    credentials: dict[str, Any] = field(repr=False)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class ConnectionStore:
    """One tenant's connection records."""

    def __init__(self, table: Table, sealer: FieldSealer, tenant_id: str) -> None:
        self._table = table
        self._sealer = sealer
        self._tenant_id = tenant_id

    # --- sealing ----------------------------------------------------------------------------------------
    def _seal(self, connection_id: str, purpose: str, document: Mapping[str, Any]) -> str:
        return self._sealer.seal(json.dumps(document), connection_context(self._tenant_id, connection_id, purpose))

    def _open(self, item: Mapping[str, Any], purpose: str) -> dict[str, Any]:
        sealed = item.get(_SEALED_ATTRIBUTE[purpose])
        if sealed is None:
            return {}
        context = connection_context(self._tenant_id, item["connection_id"], purpose)
        return json.loads(self._sealer.open(sealed, context))

    # --- item <-> record ----------------------------------------------------------------------------------
    def _record(self, item: Mapping[str, Any], descriptors: dict[str, Any] | None = None) -> ConnectionRecord:
        return ConnectionRecord(
            connection_id=item["connection_id"],
            provider=item["provider"],
            name=item["name"],
            status=item["status"],
            created_at=item["created_at"],
            updated_at=item["updated_at"],
            created_by=item["created_by"],
            version=int(item["version"]),
            last_verified_at=item.get("last_verified_at"),
            regions=item.get("regions"),
            secret_expires_at=item.get("secret_expires_at"),
            descriptors=descriptors if descriptors is not None else self._open(item, CONNECTION_DESCRIPTORS),
            scope=item.get("scope", "account"),
            organization_connection_id=item.get("organization_connection_id"),
            account_state=item.get("account_state"),
            failed_checks=item.get("failed_checks") or None,
            last_synced_at=item.get("last_synced_at"),
            last_sync=json.loads(item["last_sync"]) if item.get("last_sync") else None,
        )

    def _item(self, record: ConnectionRecord, credentials: Mapping[str, Any] | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "kind": "connection",
            "connection_id": record.connection_id,
            "provider": record.provider,
            "name": record.name,
            "status": record.status,
            "created_at": record.created_at.isoformat(),
            "updated_at": record.updated_at.isoformat(),
            "created_by": record.created_by,
            "version": record.version,
            "descriptors_sealed": self._seal(record.connection_id, CONNECTION_DESCRIPTORS, record.descriptors),
        }
        optional = {
            "last_verified_at": _time(record.last_verified_at),
            "regions": record.regions or None,
            "secret_expires_at": _time(record.secret_expires_at),
            "scope": record.scope if record.scope != "account" else None,
            "organization_connection_id": record.organization_connection_id,
            "account_state": record.account_state,
            "failed_checks": record.failed_checks or None,
        }
        item.update({name: value for name, value in optional.items() if value is not None})
        if credentials is not None:
            item["credentials_sealed"] = self._seal(record.connection_id, CONNECTION_CREDENTIALS, credentials)
        return item

    def _attributes_of(self, connection_id: str, changes: ConnectionChanges) -> dict[str, Any]:
        written = changes.model_fields_set
        attributes: dict[str, Any] = {name: getattr(changes, name) for name in _CLEAR_CHANGES if name in written}
        attributes |= {name: _time(getattr(changes, name)) for name in _TIME_CHANGES if name in written}
        if changes.descriptors is not None:
            attributes["descriptors_sealed"] = self._seal(connection_id, CONNECTION_DESCRIPTORS, changes.descriptors)
        if changes.credentials is not None:
            attributes["credentials_sealed"] = self._seal(connection_id, CONNECTION_CREDENTIALS, changes.credentials)
        return attributes

    # --- reads and writes ---------------------------------------------------------------------------------
    def create(self, record: ConnectionRecord, credentials: Mapping[str, Any] | None) -> None:
        key, item = connection_key(self._tenant_id, record.connection_id), self._item(record, credentials)
        if record.scope != "organization":
            self._table.create(key, item)
            return
        # An organization connection is created with its entry in the schedule's list, or not at all.
        entry = {"kind": "scheduled_sync"}
        self._table.transact([Put(key, item), Put(scheduled_sync_key(self._tenant_id, record.connection_id), entry)])

    def create_member(self, record: ConnectionRecord) -> None:
        self._table.create(connection_key(self._tenant_id, record.connection_id), self._item(record, None))

    def members_of(self, organization_connection_id: str) -> list[ConnectionRecord]:
        """The member connections of an organization connection, descriptors opened (cached data keys: no KMS call
        once warm), in the order of their account ids."""
        members = self._where(lambda item: item.get("organization_connection_id") == organization_connection_id)
        return sorted(members, key=lambda record: record.descriptors.get("account_id", ""))

    def _where(self, wanted: Callable[[Mapping[str, Any]], bool]) -> list[ConnectionRecord]:
        """Every connection of the tenant whose item is ``wanted``, descriptors opened (only theirs: the others
        stay sealed)."""
        records, token = [], None
        while True:
            page = self._table.page(tenant_partition(self._tenant_id), CONNECTION_PREFIX, _SCAN_PAGE, token)
            records += [self._record(item) for item in page.items if wanted(item)]
            if (token := page.next_token) is None:
                return records

    def take_sync(self, connection_id: str, *, until: int, now: int) -> bool:
        """Whether this caller may sync the organization connection now (no other sync holds it)."""
        return self._table.lease(connection_key(self._tenant_id, connection_id), _SYNC_LEASE, until=until, now=now)

    def finish_sync(
        self, connection_id: str, *, held: int, at: datetime | None, outcome: dict[str, Any] | None
    ) -> None:
        """Release the sync, recording when it ended and what it did (``at``/``outcome`` None: it failed, nothing
        recorded)."""
        changes = {} if at is None else {"last_synced_at": at.isoformat(), "last_sync": json.dumps(outcome)}
        self._table.release(connection_key(self._tenant_id, connection_id), _SYNC_LEASE, held=held, changes=changes)

    def delete_organization(self, connection_id: str, member_ids: list[str]) -> None:
        """The organization connection, its schedule entry and its members: the members first (in transactions of
        up to 100), so that an interrupted delete leaves an organization connection, never orphaned members."""
        keys = [connection_key(self._tenant_id, member) for member in member_ids]
        last = [connection_key(self._tenant_id, connection_id), scheduled_sync_key(self._tenant_id, connection_id)]
        while len(keys) > _MAX_TRANSACTION - len(last):
            chunk, keys = keys[:_MAX_TRANSACTION], keys[_MAX_TRANSACTION:]
            self._table.transact([Remove(key) for key in chunk])
        self._table.transact([Remove(key) for key in keys] + [Remove(last[0]), Remove(last[1])])

    def get(self, connection_id: str) -> ConnectionRecord | None:
        item = self._table.get(connection_key(self._tenant_id, connection_id))
        return self._record(item) if item is not None else None

    def credentials(self, connection_id: str) -> dict[str, Any]:
        """The connection's credentials, opened (empty when it has none or is gone)."""
        item = self._table.get(connection_key(self._tenant_id, connection_id))
        return self._open(item, CONNECTION_CREDENTIALS) if item is not None else {}

    def page(self, limit: int, token: str | None) -> tuple[list[ConnectionRecord], str | None]:
        """Raises ``repository.BadPageToken`` for a token this listing did not issue."""
        page = self._table.page(tenant_partition(self._tenant_id), CONNECTION_PREFIX, limit, token)
        return [self._record(item) for item in page.items], page.next_token

    def of_provider(self, provider: str) -> list[ConnectionRecord]:
        """Every connection of ``provider`` in the tenant, descriptors opened (only those: the others stay
        sealed). Each record's data key costs one KMS call the first time a container opens it, none after."""
        return self._where(lambda item: item["provider"] == provider)

    def update(self, current: ConnectionRecord, changes: ConnectionChanges) -> ConnectionRecord:
        """Write ``changes`` if the record is still at ``current.version``; raises ``StaleVersion`` or
        ``RecordMissing`` otherwise."""
        item = self._table.update(
            connection_key(self._tenant_id, current.connection_id),
            self._attributes_of(current.connection_id, changes),
            expected_version=current.version,
        )
        descriptors = changes.descriptors if changes.descriptors is not None else current.descriptors
        return self._record(item, descriptors)

    def delete(self, connection_id: str) -> None:
        self._table.delete(connection_key(self._tenant_id, connection_id))

    def open_for_use(self, connection_id: str) -> ConnectionInUse | None:
        """The connection with its credentials, and its tenant: one read, as they share the partition."""
        tenant_item, item = self._table.get_many(
            tenant_key(self._tenant_id), connection_key(self._tenant_id, connection_id)
        )
        if item is None:
            return None
        tenant = TenantStore(self._table, self._sealer).from_item(self._tenant_id, tenant_item) if tenant_item else None
        return ConnectionInUse(
            record=self._record(item), tenant=tenant, credentials=self._open(item, CONNECTION_CREDENTIALS)
        )
