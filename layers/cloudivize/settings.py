"""The caller's own user configuration (one record per user, inside the tenant's partition)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cloudivize.models.settings import SettingsResponse, UserSettings
from cloudivize.repository import PARTITION_KEY, SORT_KEY, Table, settings_sort_key, tenant_partition
from cloudivize.tenancy import Caller


def read_settings(table: Table, caller: Caller) -> SettingsResponse:
    item = table.get(tenant_partition(caller.tenant_id), settings_sort_key(caller.user_id))
    if item is None:
        return SettingsResponse()  # defaults until the user saves something
    return SettingsResponse(**json.loads(item["settings_json"]), updated_at=item["updated_at"])


def write_settings(table: Table, caller: Caller, settings: UserSettings) -> SettingsResponse:
    updated_at = datetime.now(UTC).isoformat()
    table.put(
        {
            PARTITION_KEY: tenant_partition(caller.tenant_id),
            SORT_KEY: settings_sort_key(caller.user_id),
            "kind": "user_settings",
            "settings_json": settings.model_dump_json(),
            "updated_at": updated_at,
        }
    )
    return SettingsResponse(**settings.model_dump(), updated_at=updated_at)
