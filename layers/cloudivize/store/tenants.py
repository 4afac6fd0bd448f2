"""Tenant records (``TENANT#t / META``): item shape and the sealed External ID."""

from __future__ import annotations

from typing import Any

from cloudivize.crypto import FieldSealer, external_id_context
from cloudivize.repository import AlreadyExists, Table, tenant_key
from cloudivize.store.records import TenantRecord


class TenantStore:
    def __init__(self, table: Table, sealer: FieldSealer) -> None:
        self._table = table
        self._sealer = sealer

    def create(self, record: TenantRecord) -> bool:
        """Store a new tenant; False (and nothing written) when the tenant exists already."""
        item = {
            "kind": "tenant",
            "tenant_id": record.tenant_id,
            "owner_user_id": record.owner_user_id,
            "external_id_sealed": self._sealer.seal(
                record.external_id.get_secret_value(), external_id_context(record.tenant_id)
            ),
            "created_at": record.created_at.isoformat(),
            "updated_at": record.updated_at.isoformat(),
            "version": record.version,
        }
        try:
            self._table.create(tenant_key(record.tenant_id), item)
        except AlreadyExists:
            return False
        return True

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
            created_at=item["created_at"],
            updated_at=item["updated_at"],
            version=int(item["version"]),
        )
