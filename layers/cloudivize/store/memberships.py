"""Organizations' members and users' organizations (docs/architecture.md, "Organizations and roles").

A membership is written twice, in one transaction: ``TENANT#t / MEMBER#u`` (the organization's list of members)
and ``USER#u / ORG#t`` (what the user's requests read: one strongly consistent Query of the user's partition gives
every organization they belong to, their role in each, and their default, ``USER#u / PROFILE``). The
organization's record (``TENANT#t / META``) counts its owners, so the last owner can neither leave nor be
demoted, even by two owners acting at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudivize.repository import (
    MEMBER_PREFIX,
    MEMBERSHIP_PREFIX,
    PROFILE_SORT_KEY,
    Change,
    Put,
    Remove,
    Table,
    TransactionRefused,
    member_key,
    membership_key,
    profile_key,
    tenant_key,
    tenant_partition,
    user_partition,
)
from cloudivize.roles import Role

OWNERS = "owners"  # the organization record's count of owners


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str | None
    role: Role
    joined_at: datetime


@dataclass(frozen=True)
class UserOrganizations:
    """What one Query of a user's partition tells: their role per organization (by id) and their default."""

    roles: dict[str, Role]
    default_organization_id: str | None

    def current(self, requested: str | None) -> str | None:
        """The organization a request acts in: the one named, else the default, else the first joined (None: the
        user belongs to none). A named one the user does not belong to is returned too: the caller refuses it."""
        if requested:
            return requested
        if self.default_organization_id in self.roles:
            return self.default_organization_id
        return next(iter(self.roles), None)


class LastOwner(Exception):
    """The change would leave the organization without an owner."""


class MembershipStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    # --- reads ----------------------------------------------------------------------------------------------
    def of_user(self, user_id: str) -> UserOrganizations:
        joined: list[tuple[str, str, Role]] = []
        default = None
        for sort_key, item in self._table.query_all(user_partition(user_id)):
            if sort_key == PROFILE_SORT_KEY:
                default = item.get("default_organization_id")
            elif sort_key.startswith(MEMBERSHIP_PREFIX):
                joined.append((item["joined_at"], sort_key.removeprefix(MEMBERSHIP_PREFIX), Role(item["role"])))
        # In the order joined, so "the first joined" is stable.
        ordered = {tenant_id: role for _, tenant_id, role in sorted(joined)}
        return UserOrganizations(roles=ordered, default_organization_id=default)

    def members(self, tenant_id: str) -> list[Member]:
        return sorted(
            (self._member(item) for _, item in self._table.query_all(tenant_partition(tenant_id), MEMBER_PREFIX)),
            key=lambda member: (member.joined_at, member.user_id),
        )

    def member(self, tenant_id: str, user_id: str) -> Member | None:
        item = self._table.get(member_key(tenant_id, user_id))
        return self._member(item) if item else None

    @staticmethod
    def _member(item: dict[str, Any]) -> Member:
        return Member(
            user_id=item["user_id"],
            email=item.get("email"),
            role=Role(item["role"]),
            joined_at=datetime.fromisoformat(item["joined_at"]),
        )

    # --- writes (each one transaction) ----------------------------------------------------------------------
    def joining(self, tenant_id: str, member: Member, *, make_default: bool) -> list[Put | Change | Remove]:
        """The operations that add ``member`` (with the organization's record already in, or in the same
        transaction): both membership items, the owner count, and the default organization if asked."""
        joined = member.joined_at.isoformat()
        operations: list[Put | Change | Remove] = [
            Put(
                member_key(tenant_id, member.user_id),
                {"kind": "member", "user_id": member.user_id, "email": member.email, "role": member.role.value,
                 "joined_at": joined},
            ),
            Put(
                membership_key(member.user_id, tenant_id),
                {"kind": "membership", "tenant_id": tenant_id, "role": member.role.value, "joined_at": joined},
            ),
        ]  # fmt: skip
        if make_default:
            operations.append(self.choosing_default(member.user_id, tenant_id))
        return operations

    @staticmethod
    def choosing_default(user_id: str, tenant_id: str) -> Put:
        return Put(profile_key(user_id), {"kind": "profile", "default_organization_id": tenant_id}, replace=True)

    def join(self, tenant_id: str, member: Member, *, make_default: bool = False) -> bool:
        """Add ``member``; False (nothing written) when they are one already or the organization is gone."""
        operations = self.joining(tenant_id, member, make_default=make_default)
        operations.append(self.counting_owners(tenant_id, +1 if member.role is Role.OWNER else 0))
        try:
            self._table.transact(operations)
        except TransactionRefused:
            return False
        return True

    def choose_default(self, user_id: str, tenant_id: str) -> None:
        self._table.transact([self.choosing_default(user_id, tenant_id)])

    def change_role(self, tenant_id: str, member: Member, role: Role) -> bool:
        """Give ``member`` (as read) ``role``; False if they changed or left meanwhile. ``LastOwner`` when the
        organization's last owner would be demoted."""
        owners = (role is Role.OWNER) - (member.role is Role.OWNER)
        same_role = {"condition": "#role = :was", "values": {":was": member.role.value}}
        operations: list[Put | Change | Remove] = [
            Change(member_key(tenant_id, member.user_id), {"role": role.value}, **same_role),
            Change(membership_key(member.user_id, tenant_id), {"role": role.value}, **same_role),
            self.counting_owners(tenant_id, owners),
        ]
        return self._guarding_last_owner(operations, owners)

    def remove(self, tenant_id: str, member: Member) -> bool:
        """Remove ``member`` (as read); False if they changed or left meanwhile; ``LastOwner`` for the last owner."""
        owners = -1 if member.role is Role.OWNER else 0
        operations: list[Put | Change | Remove] = [
            Remove(member_key(tenant_id, member.user_id)),
            Remove(membership_key(member.user_id, tenant_id)),
            self.counting_owners(tenant_id, owners),
        ]
        return self._guarding_last_owner(operations, owners)

    def counting_owners(self, tenant_id: str, change: int) -> Change:
        if change < 0:  # never below one owner
            return Change(
                tenant_key(tenant_id), {}, add={OWNERS: change}, condition=f"#{OWNERS} > :one", values={":one": 1}
            )
        return Change(tenant_key(tenant_id), {}, add={OWNERS: change})

    def remove_for_deletion(self, tenant_id: str, member: Member) -> None:
        """Remove ``member`` from an organization being deleted (no owner count kept: it goes too)."""
        self._table.transact(
            [Remove(member_key(tenant_id, member.user_id)), Remove(membership_key(member.user_id, tenant_id))]
        )

    def remove_last(self, tenant_id: str, user_id: str, organization: Remove) -> None:
        """Remove the last member and the organization's record itself, at once."""
        self._table.transact(
            [Remove(member_key(tenant_id, user_id)), Remove(membership_key(user_id, tenant_id)), organization]
        )

    def _guarding_last_owner(self, operations: list[Put | Change | Remove], owners: int) -> bool:
        try:
            self._table.transact(operations)
        except TransactionRefused as refused:
            if (
                owners < 0
                and refused.reasons[-1] == "ConditionalCheckFailed"
                and "ConditionalCheckFailed" not in (refused.reasons[:-1])
            ):
                raise LastOwner() from None
            return False
        return True
