"""The caller's own user configuration: defaults until the user saves something, then what they saved."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudivize.models.user_settings import SettingsResponse, UserSettings
from cloudivize.store.records import UserSettingsRecord
from cloudivize.store.user_settings import UserSettingsStore


def read_user_settings(store: UserSettingsStore) -> SettingsResponse:
    record = store.get()
    if record is None:
        return SettingsResponse()
    return SettingsResponse(**record.settings.model_dump(), updated_at=record.updated_at)


def write_user_settings(store: UserSettingsStore, settings: UserSettings) -> SettingsResponse:
    record = UserSettingsRecord(settings=settings, updated_at=datetime.now(UTC))
    store.put(record)
    return SettingsResponse(**settings.model_dump(), updated_at=record.updated_at)
