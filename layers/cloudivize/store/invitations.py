"""Invitations to join an organization (docs/architecture.md, "Invitations").

One invitation is written three times, in one transaction, so each reader needs one key or one Query:
``INVITE#i / META`` (accepting and revoking read it by id), ``TENANT#t / INVITE#i`` (the organization's pending
ones) and ``EMAIL#e / INVITE#i`` (those addressed to an email). The three copies never change; accepting or
revoking removes all three at once, on the condition that each still exists, so an invitation is used at most
once. Each copy carries the TTL attribute ``expires``, so DynamoDB deletes an unused one after it expired (a
few days late at worst: readers compare ``expires_at`` themselves).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudivize.repository import (
    INVITATION_PREFIX,
    Change,
    Put,
    Remove,
    Table,
    TransactionRefused,
    email_invitation_key,
    email_partition,
    invitation_key,
    organization_invitation_key,
    tenant_partition,
)
from cloudivize.roles import Role

TTL_ATTRIBUTE = "expires"  # infrastructure.constants.TABLE_TTL_ATTRIBUTE (a test keeps them equal)
ID_BYTES = 24  # 32 URL-safe characters from the CSPRNG: the invitation's secret


def new_invitation_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


@dataclass(frozen=True)
class Invitation:
    invitation_id: str
    tenant_id: str
    email: str  # lower-cased
    role: Role
    invited_by: str  # the inviting member's user id
    created_at: datetime
    expires_at: datetime

    def pending_at(self, now: datetime) -> bool:
        return now < self.expires_at


class InvitationStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create(self, invitation: Invitation) -> None:
        attributes = _attributes(invitation)
        self._table.transact(
            [
                Put(invitation_key(invitation.invitation_id), {"kind": "invitation", **attributes}),
                Put(
                    organization_invitation_key(invitation.tenant_id, invitation.invitation_id),
                    {"kind": "organization_invitation", **attributes},
                ),
                Put(
                    email_invitation_key(invitation.email, invitation.invitation_id),
                    {"kind": "email_invitation", **attributes},
                ),
            ]
        )

    def get(self, invitation_id: str) -> Invitation | None:
        item = self._table.get(invitation_key(invitation_id))
        return _invitation(item) if item else None

    def of_organization(self, tenant_id: str) -> list[Invitation]:
        return self._listed(self._table.query_all(tenant_partition(tenant_id), INVITATION_PREFIX))

    def for_email(self, email: str) -> list[Invitation]:
        return self._listed(self._table.query_all(email_partition(email), INVITATION_PREFIX))

    def remove(self, invitation: Invitation, *, with_operations: Sequence[Put | Change | Remove] = ()) -> bool:
        """Remove the invitation's three items, with ``with_operations`` (accepting: the membership) in the same
        transaction; False (nothing written) when it is gone already or any of those operations was refused."""
        operations = [
            *with_operations,
            Remove(invitation_key(invitation.invitation_id)),
            Remove(organization_invitation_key(invitation.tenant_id, invitation.invitation_id)),
            Remove(email_invitation_key(invitation.email, invitation.invitation_id)),
        ]
        try:
            self._table.transact(operations)
        except TransactionRefused:
            return False
        return True

    @staticmethod
    def _listed(found: list[tuple[str, dict[str, Any]]]) -> list[Invitation]:
        return sorted((_invitation(item) for _, item in found), key=lambda i: (i.created_at, i.invitation_id))


def _attributes(invitation: Invitation) -> dict[str, Any]:
    return {
        "invitation_id": invitation.invitation_id,
        "tenant_id": invitation.tenant_id,
        "email": invitation.email,
        "role": invitation.role.value,
        "invited_by": invitation.invited_by,
        "created_at": invitation.created_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
        TTL_ATTRIBUTE: int(invitation.expires_at.timestamp()),
    }


def _invitation(item: dict[str, Any]) -> Invitation:
    return Invitation(
        invitation_id=item["invitation_id"],
        tenant_id=item["tenant_id"],
        email=item["email"],
        role=Role(item["role"]),
        invited_by=item["invited_by"],
        created_at=datetime.fromisoformat(item["created_at"]),
        expires_at=datetime.fromisoformat(item["expires_at"]),
    )
