"""Organization use cases: create one, list mine, rename, delete; members, their roles, removal and leaving.

Who may call each route is the route table's (``cloudivize.tenancy`` enforced it before the route ran); what
depends on the target rather than the route is decided here: granting or removing the owner role, and removing
an owner, needs the owner role; removing someone else needs the admin role; anyone may leave; the last owner
can neither leave nor be demoted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cloudivize.errors import Conflict, Forbidden, NotFound
from cloudivize.models.organizations import MemberView, Organization, OrganizationSummary
from cloudivize.repository import CONNECTION_PREFIX, Table, tenant_partition
from cloudivize.roles import Role, refusal
from cloudivize.store.memberships import LastOwner, Member, MembershipStore
from cloudivize.store.records import TenantRecord
from cloudivize.store.tenants import TenantStore
from cloudivize.tenancy import Caller
from cloudivize.tenants import generate_external_id, tenant_id_for_first_user

LAST_OWNER = "An organization keeps at least one owner: make another member owner first."


def create_organization(
    tenants: TenantStore,
    memberships: MembershipStore,
    *,
    tenant_id: str,
    name: str,
    owner_id: str,
    owner_email: str | None,
    make_default: bool,
) -> bool:
    """An organization with a fresh External ID and its first owner, in one transaction; False (nothing
    written) when it exists already."""
    now = datetime.now(UTC)
    record = TenantRecord(
        tenant_id=tenant_id, owner_user_id=owner_id, external_id=generate_external_id(), name=name,
        created_at=now, updated_at=now,
    )  # fmt: skip
    owner = Member(user_id=owner_id, email=owner_email, role=Role.OWNER, joined_at=now)
    joining = memberships.joining(tenant_id, owner, make_default=make_default)
    return tenants.create(record, with_operations=joining)


def ensure_personal_organization(
    tenants: TenantStore, memberships: MembershipStore, *, user_pool_id: str, user_id: str, email: str | None
) -> tuple[str, bool]:
    """A newly confirmed user's own organization, with them as owner, and whether this call made it (a retried
    trigger finds it made)."""
    tenant_id = tenant_id_for_first_user(user_pool_id, user_id)
    created = create_organization(
        tenants, memberships, tenant_id=tenant_id, name=personal_name(email), owner_id=user_id, owner_email=email,
        make_default=True,
    )  # fmt: skip
    return tenant_id, created


def personal_name(email: str | None) -> str:
    """The name of the organization a new user gets, e.g. "ana's organization"."""
    return f"{(email or 'My').split('@', 1)[0][:80]}'s organization"


class Organizations:
    def __init__(self, table: Table, tenants: TenantStore, memberships: MembershipStore, caller: Caller) -> None:
        self._table = table
        self._tenants = tenants
        self._memberships = memberships
        self._caller = caller

    # --- the caller's organizations -------------------------------------------------------------------------
    def mine(self) -> list[OrganizationSummary]:
        """The caller's organizations as authorization read them for this request (no second read)."""
        names = self._tenants.names(list(self._caller.organizations))
        default = self._caller.default_organization_id
        return [
            OrganizationSummary(
                organization_id=tenant_id, name=names[tenant_id], role=role, default=tenant_id == default
            )
            for tenant_id, role in self._caller.organizations.items()
            if tenant_id in names
        ]

    def create(self, name: str) -> Organization:
        tenant_id = str(uuid.uuid4())
        create_organization(
            self._tenants, self._memberships, tenant_id=tenant_id, name=name, owner_id=self._caller.user_id,
            owner_email=self._caller.email, make_default=True,
        )  # fmt: skip
        return self._organization(tenant_id, Role.OWNER)

    def choose_default(self, tenant_id: str) -> OrganizationSummary:
        role = self._caller.organizations.get(tenant_id)
        if role is None:
            raise NotFound("No such organization, or you are not a member of it.")
        self._memberships.choose_default(self._caller.user_id, tenant_id)
        name = self._tenants.name(tenant_id) or tenant_id
        return OrganizationSummary(organization_id=tenant_id, name=name, role=role, default=True)

    # --- the current organization ---------------------------------------------------------------------------
    def current(self) -> Organization:
        return self._organization(self._caller.organization_id, self._role)

    def rename(self, name: str) -> Organization:
        self._tenants.rename(self._caller.organization_id, name, datetime.now(UTC).isoformat())
        return self.current()

    def delete(self) -> None:
        """Refused while it has connections: removing them is each an act of its own, audited as such, and
        what deleting them means for the customer (their role stays theirs to delete) is theirs to see."""
        tenant_id = self._caller.organization_id
        if self._table.page(tenant_partition(tenant_id), CONNECTION_PREFIX, 1, None).items:
            raise Conflict("The organization still has connections: delete them first (DELETE /connections/{id}).")
        members = self._memberships.members(tenant_id)
        for member in members:  # everyone but the caller leaves first, so nobody keeps a way in to a half-deletion
            if member.user_id != self._caller.user_id:
                self._memberships.remove_for_deletion(tenant_id, member)
        self._memberships.remove_last(tenant_id, self._caller.user_id, self._tenants.removing(tenant_id))

    # --- members --------------------------------------------------------------------------------------------
    def members(self) -> list[MemberView]:
        return [MemberView(**vars(member)) for member in self._memberships.members(self._caller.organization_id)]

    def change_role(self, user_id: str, role: Role) -> MemberView:
        member = self._member(user_id)
        if Role.OWNER in (role, member.role) and self._role is not Role.OWNER:
            raise Forbidden(self._refusal("Granting or removing the owner role", Role.OWNER), role_needed=Role.OWNER)
        if member.role is role:
            return MemberView(**vars(member))
        try:
            changed = self._memberships.change_role(self._caller.organization_id, member, role)
        except LastOwner:
            raise Conflict(LAST_OWNER) from None
        if not changed:
            raise Conflict("The member changed or left meanwhile; read the members again.")
        return MemberView(**(vars(member) | {"role": role}))

    def remove(self, user_id: str) -> None:
        leaving = user_id == self._caller.user_id  # leaving needs no role; removing someone else does
        if not leaving and not self._role.at_least(Role.ADMIN):
            raise Forbidden(self._refusal("Removing members", Role.ADMIN), role_needed=Role.ADMIN)
        member = self._member(user_id)
        if not leaving:
            if member.role is Role.OWNER and self._role is not Role.OWNER:
                raise Forbidden(self._refusal("Removing an owner", Role.OWNER), role_needed=Role.OWNER)
        try:
            removed = self._memberships.remove(self._caller.organization_id, member)
        except LastOwner:
            raise Conflict(LAST_OWNER) from None
        if not removed:
            raise Conflict("The member changed or left meanwhile; read the members again.")

    # --- helpers --------------------------------------------------------------------------------------------
    @property
    def _role(self) -> Role:
        assert self._caller.role is not None  # noqa: S101 - organization routes are authorized with a role
        return self._caller.role

    def _member(self, user_id: str) -> Member:
        member = self._memberships.member(self._caller.organization_id, user_id)
        if member is None:
            raise NotFound(f"No member '{user_id}' in this organization.")
        return member

    def _refusal(self, doing: str, needed: Role) -> str:
        tenant_id = self._caller.organization_id
        return refusal(doing, needed, self._role, self._tenants.name(tenant_id) or tenant_id)

    def _organization(self, tenant_id: str, role: Role) -> Organization:
        record = self._tenants.get(tenant_id)
        if record is None:
            raise NotFound("No such organization, or you are not a member of it.")
        return Organization(
            organization_id=tenant_id, name=record.name or tenant_id, role=role, created_at=record.created_at,
            members=len(self._memberships.members(tenant_id)),
        )  # fmt: skip
