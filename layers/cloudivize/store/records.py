"""The records Cloudivize stores, typed (docs/architecture.md, "Data model"). Keys are not part of a record:
``cloudivize.repository`` derives them; sealed fields appear here opened, and only in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from cloudivize.models.user_settings import UserSettings

ConnectionStatus = Literal["unverified", "verified", "failed"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class TenantRecord(_Record):
    """``TENANT#t / META``: the customer organization, its name and its External ID (sealed at rest)."""

    tenant_id: str
    owner_user_id: str  # who created it
    external_id: SecretStr
    name: str = ""
    created_at: datetime
    updated_at: datetime
    version: int = 1


class ConnectionRecord(_Record):
    """``TENANT#t / CONN#c``: one connected AWS account or Azure application.

    ``descriptors`` is the provider's descriptors document (sealed at rest); the credentials document (sealed
    too, Azure only) is opened only to act, see ``ConnectionStore.open_for_use``.
    """

    connection_id: str
    provider: str
    name: str
    status: ConnectionStatus
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int = 1
    last_verified_at: datetime | None = None
    regions: list[str] | None = None  # the AWS regions chosen; None = every enabled region
    secret_expires_at: AwareDatetime | None = None  # when the stored credential expires, when known
    descriptors: dict[str, Any] = Field(default_factory=dict, repr=False)


class ConnectionChanges(_Record):
    """What an update writes; only the fields set (even to None) are written."""

    name: str | None = None
    regions: list[str] | None = None
    descriptors: dict[str, Any] | None = Field(default=None, repr=False)
    credentials: dict[str, Any] | None = Field(default=None, repr=False)
    secret_expires_at: datetime | None = None
    status: ConnectionStatus | None = None
    last_verified_at: datetime | None = None
    updated_at: datetime | None = None


class UserSettingsRecord(_Record):
    """``TENANT#t / USER#u#SETTINGS``: one user's own configuration."""

    settings: UserSettings
    updated_at: datetime
