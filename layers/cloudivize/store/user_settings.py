"""User settings records (``USER#u / SETTINGS``): one JSON document per user, whatever the organization they act
in, no concurrency contract."""

from __future__ import annotations

import json

from cloudivize.repository import Table, user_settings_key
from cloudivize.store.records import UserSettingsRecord


class UserSettingsStore:
    def __init__(self, table: Table, user_id: str) -> None:
        self._table = table
        self._key = user_settings_key(user_id)

    def get(self) -> UserSettingsRecord | None:
        item = self._table.get(self._key)
        if item is None:
            return None
        return UserSettingsRecord(settings=json.loads(item["settings_json"]), updated_at=item["updated_at"])

    def put(self, record: UserSettingsRecord) -> None:
        self._table.put(
            self._key,
            {
                "kind": "user_settings",
                "settings_json": record.settings.model_dump_json(),
                "updated_at": record.updated_at.isoformat(),
            },
        )
