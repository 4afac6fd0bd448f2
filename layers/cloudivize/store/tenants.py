"""Organization records (``TENANT#t / META``): item shape, the sealed External ID, the name, the owner count."""

from __future__ import annotations

from typing import Any

from cloudivize.crypto import FieldSealer, external_id_context
from cloudivize.repository import Change, Put, Remove, Table, TransactionRefused, tenant_key
from cloudivize.store.memberships import OWNERS
from cloudivize.store.records import TenantRecord


class TenantStore:
    def __init__(self, table: Table, sealer: FieldSealer) -> None:
        self._table = table
        self._sealer = sealer

    def create(self, record: TenantRecord, *, with_operations: list[Put | Change | Remove] | None = None) -> bool:
        """Store a new organization, and ``with_operations`` (its first owner's membership) in the same
        transaction; False (and nothing written) when it exists already."""
        try:
            self._table.transact([self.creating(record), *(with_operations or [])])
        except TransactionRefused as refused:
            if refused.reasons[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    def creating(self, record: TenantRecord) -> Put:
        """The create of ``record``, for a transaction with its first owner's joining: one owner."""
        return Put(tenant_key(record.tenant_id), self._item(record) | {OWNERS: 1})

    def _item(self, record: TenantRecord) -> dict[str, Any]:
        return {
            "kind": "tenant",
            "tenant_id": record.tenant_id,
            "owner_user_id": record.owner_user_id,
            "external_id_sealed": self._sealer.seal(
                record.external_id.get_secret_value(), external_id_context(record.tenant_id)
            ),
            "name": record.name,
            "created_at": record.created_at.isoformat(),
            "updated_at": record.updated_at.isoformat(),
            "version": record.version,
        }

    def name(self, tenant_id: str) -> str | None:
        item = self._table.get(tenant_key(tenant_id))
        return item.get("name") or None if item else None

    def names(self, tenant_ids: list[str]) -> dict[str, str]:
        """The names of the organizations that exist among ``tenant_ids`` (one BatchGetItem per 100)."""
        found: dict[str, str] = {}
        for start in range(0, len(tenant_ids), 100):
            batch = tenant_ids[start : start + 100]
            for tenant_id, item in zip(batch, self._table.get_many(*map(tenant_key, batch)), strict=True):
                if item is not None:
                    found[tenant_id] = item.get("name") or tenant_id
        return found

    def rename(self, tenant_id: str, name: str, updated_at: str) -> None:
        self._table.transact([Change(tenant_key(tenant_id), {"name": name, "updated_at": updated_at})])

    def removing(self, tenant_id: str) -> Remove:
        return Remove(tenant_key(tenant_id))

    def get(self, tenant_id: str) -> TenantRecord | None:
        item = self._table.get(tenant_key(tenant_id))
        return self.from_item(tenant_id, item) if item is not None else None

    def external_id(self, tenant_id: str) -> str | None:
        record = self.get(tenant_id)
        return record.external_id.get_secret_value() if record else None

    def from_item(self, tenant_id: str, item: dict[str, Any]) -> TenantRecord:
        external_id = self._sealer.open(item["external_id_sealed"], external_id_context(tenant_id))
        return TenantRecord(
            tenant_id=tenant_id,
            owner_user_id=item["owner_user_id"],
            external_id=external_id,
            name=item.get("name", ""),
            created_at=item["created_at"],
            updated_at=item["updated_at"],
            version=int(item["version"]),
        )
