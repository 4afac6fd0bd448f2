"""The records Cloudivize stores, typed (docs/architecture.md, "Data model"). Keys are not part of a record:
``cloudivize.repository`` derives them; sealed fields appear here opened, and only in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from cloudivize.models.user_settings import UserSettings

ConnectionStatus = Literal["unverified", "verified", "failed"]
# A connection is of one account (or Azure application), or of a whole organization whose accounts are its members.
ConnectionScope = Literal["account", "organization"]
# Where a member's account stands in its organization, as the last sync saw it.
AccountState = Literal["active", "suspended", "left"]


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
    scope: ConnectionScope = "account"
    # A member of an organization connection: which one, and where its account stands there.
    organization_connection_id: str | None = None
    account_state: AccountState | None = None
    # The names (never the details) of the checks its last verification failed, to say what is missing.
    failed_checks: list[str] | None = None
    # An organization connection: when it was last reconciled with its organization, and the outcome (ids, counts).
    last_synced_at: datetime | None = None
    last_sync: dict[str, Any] | None = None


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
    account_state: AccountState | None = None
    failed_checks: list[str] | None = None


class UserSettingsRecord(_Record):
    """``TENANT#t / USER#u#SETTINGS``: one user's own configuration."""

    settings: UserSettings
    updated_at: datetime
