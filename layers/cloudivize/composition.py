"""The composition root: what a warm container builds once, and what one request is given.

A handler asks ``backend()`` for the use cases of the calling tenant; logic below receives its dependencies
(table, sealer, stores, providers, configuration) and never looks them up itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from cloudivize.audit import AuditTrail
from cloudivize.config import FunctionConfig, function_config, invitation_settings
from cloudivize.connections import Connections
from cloudivize.crypto import FieldSealer, sealer_for
from cloudivize.invitation_mail import InvitationMail
from cloudivize.invitations import Invitations
from cloudivize.organizations import Organizations
from cloudivize.providers import Providers
from cloudivize.repository import Table
from cloudivize.store.connections import ConnectionStore
from cloudivize.store.invitations import InvitationStore
from cloudivize.store.memberships import MembershipStore
from cloudivize.store.tenants import TenantStore
from cloudivize.store.user_settings import UserSettingsStore
from cloudivize.tenancy import Caller


@dataclass(frozen=True)
class Backend:
    """One warm container's dependencies (clients, key cache, provider sessions are reused across requests)."""

    config: FunctionConfig
    table: Table
    sealer: FieldSealer
    providers: Providers

    @classmethod
    def from_config(cls, config: FunctionConfig) -> Backend:
        return cls(config, Table(config.table_name), sealer_for(config.field_key_arn), Providers(config))

    @property
    def tenants(self) -> TenantStore:
        return TenantStore(self.table, self.sealer)

    @property
    def memberships(self) -> MembershipStore:
        return MembershipStore(self.table)

    def organizations(self, caller: Caller) -> Organizations:
        return Organizations(self.table, self.tenants, self.memberships, caller)

    def invitations(self, caller: Caller) -> Invitations:
        mail = InvitationMail(invitation_settings().sender, self.config.region)
        return Invitations(InvitationStore(self.table), self.memberships, self.tenants, mail, caller)

    def connections(self, caller: Caller) -> Connections:
        store = ConnectionStore(self.table, self.sealer, caller.organization_id)
        return Connections(store, self.tenants, self.providers, caller)

    @property
    def audit_trail(self) -> AuditTrail | None:
        """The audit trail, or None in a function given no audit table (the sign-up trigger)."""
        if self.config.audit_table_name is None:
            return None
        return AuditTrail(Table(self.config.audit_table_name), self.config.audit_retention_days)

    def user_settings(self, caller: Caller) -> UserSettingsStore:
        return UserSettingsStore(self.table, caller.user_id)


@cache
def backend() -> Backend:
    """The container's backend, configured from the environment the stack gave the function."""
    return Backend.from_config(function_config())
