"""Invitation use cases: invite by email with a role, list and revoke the organization's pending ones, see mine,
accept one (docs/architecture.md, "Invitations").

Who may call each route is the route table's (admins invite, list and revoke; anyone signed in sees and accepts
their own); what depends on the invitation is decided here: inviting an owner needs the owner role, and only the
addressee, by a verified email, may accept, once, within seven days. A revoked, expired, used, another
organization's or someone else's invitation answers exactly as a missing one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from cloudivize.errors import Conflict, Forbidden, NotFound, ServiceUnavailable
from cloudivize.invitation_mail import InvitationMail
from cloudivize.models.invitations import InvitationView, MyInvitation
from cloudivize.models.organizations import OrganizationSummary
from cloudivize.observability import logger
from cloudivize.roles import Role, refusal
from cloudivize.store.invitations import Invitation, InvitationStore, new_invitation_id
from cloudivize.store.memberships import Member, MembershipStore
from cloudivize.store.tenants import TenantStore
from cloudivize.tenancy import Caller

LIFETIME = timedelta(days=7)
NO_SUCH_INVITATION = "No such invitation for you: it may have been revoked, accepted or expired."
UNVERIFIED_EMAIL = "Accepting an invitation needs a verified email address: verify yours, sign in again, then accept."

NOT_SENT = "The invitation could not be emailed; nothing was kept. Try again later."


def _now() -> datetime:
    return datetime.now(UTC)


class Invitations:
    def __init__(
        self,
        store: InvitationStore,
        memberships: MembershipStore,
        tenants: TenantStore,
        mail: InvitationMail,
        caller: Caller,
    ) -> None:
        self._store = store
        self._memberships = memberships
        self._tenants = tenants
        self._mail = mail
        self._caller = caller

    # --- the organization's (admins) ------------------------------------------------------------------------
    def invite(self, email: str, role: Role) -> InvitationView:
        tenant_id = self._caller.organization_id
        organization = self._tenants.name(tenant_id) or tenant_id
        held = self._caller.role
        if role is Role.OWNER and held is not Role.OWNER:
            assert held is not None  # noqa: S101 - the route needs the admin role
            raise Forbidden(refusal("Inviting an owner", Role.OWNER, held, organization), role_needed=Role.OWNER)
        now = _now()
        invitation = Invitation(
            invitation_id=new_invitation_id(), tenant_id=tenant_id, email=email.lower(), role=role,
            invited_by=self._caller.user_id, created_at=now, expires_at=now + LIFETIME,
        )  # fmt: skip
        self._store.create(invitation)
        try:
            self._mail.send(invitation, organization=organization, inviter=self._caller.email or "A member")
        except (BotoCoreError, ClientError) as error:
            # An invitation its addressee never hears of would only wait for its TTL: take it back, say so.
            self._store.remove(invitation)
            logger.error("Invitation not sent", extra={"error": type(error).__name__})
            raise ServiceUnavailable(NOT_SENT) from None
        return _view(invitation)

    def pending(self) -> list[InvitationView]:
        now = _now()
        return [_view(i) for i in self._store.of_organization(self._caller.organization_id) if i.pending_at(now)]

    def revoke(self, invitation_id: str) -> None:
        invitation = self._store.get(invitation_id)
        if invitation is None or invitation.tenant_id != self._caller.organization_id:
            raise NotFound(NO_SUCH_INVITATION)
        if not invitation.pending_at(_now()) or not self._store.remove(invitation):
            raise NotFound(NO_SUCH_INVITATION)

    # --- mine (any signed-in user) --------------------------------------------------------------------------
    def mine(self) -> list[MyInvitation]:
        email = self._verified_email()
        if email is None:  # nothing is addressed to an email its holder has not proved
            return []
        now = _now()
        found = [i for i in self._store.for_email(email) if i.pending_at(now)]
        names = self._tenants.names(list({i.tenant_id for i in found}))
        return [
            MyInvitation(
                invitation_id=i.invitation_id,
                organization_id=i.tenant_id,
                organization_name=names[i.tenant_id],
                role=i.role,
                expires_at=i.expires_at,
            )  # fmt: skip
            for i in found
            if i.tenant_id in names  # an organization deleted meanwhile invites to nothing
        ]

    def accept(self, invitation_id: str) -> OrganizationSummary:
        """Join the invitation's organization with its role, bound to the caller's user id, and use it up: the
        membership and the removal of the invitation are one transaction, so two accepts make one member."""
        email = self._verified_email()
        if email is None:  # refused before the invitation is read: this answer tells nothing about it
            raise Forbidden(UNVERIFIED_EMAIL)
        invitation = self._store.get(invitation_id)
        if invitation is None or invitation.email != email or not invitation.pending_at(_now()):
            raise NotFound(NO_SUCH_INVITATION)
        tenant_id = invitation.tenant_id
        name = self._tenants.name(tenant_id) or tenant_id
        if self._memberships.member(tenant_id, self._caller.user_id) is not None:
            raise Conflict(f"You are a member of {name} already.")
        member = Member(user_id=self._caller.user_id, email=self._caller.email, role=invitation.role, joined_at=_now())
        joining = [
            *self._memberships.joining(tenant_id, member, make_default=False),
            self._memberships.counting_owners(tenant_id, +1 if invitation.role is Role.OWNER else 0),
        ]
        if not self._store.remove(invitation, with_operations=joining):  # used meanwhile, or the organization gone
            raise NotFound(NO_SUCH_INVITATION)
        logger.info("Invitation accepted", extra={"organization_id": tenant_id, "role": invitation.role.value})
        return OrganizationSummary(organization_id=tenant_id, name=name, role=invitation.role, default=False)

    def _verified_email(self) -> str | None:
        if not self._caller.email_verified or not self._caller.email:
            return None
        return self._caller.email.lower()


def _view(invitation: Invitation) -> InvitationView:
    return InvitationView(
        invitation_id=invitation.invitation_id, email=invitation.email, role=invitation.role,
        invited_by=invitation.invited_by, created_at=invitation.created_at, expires_at=invitation.expires_at,
    )  # fmt: skip
