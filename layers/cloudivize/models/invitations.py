"""Invitations to join an organization, as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cloudivize.roles import Role

_ADDRESS_PART = r"[^@\s\x00-\x1f\x7f]+"
EMAIL_PATTERN = rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}$"  # no control characters: it goes in a mail
# Addresses are compared lower-cased (what Cognito and SES treat alike), so they are kept lower-cased.
InvitedEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254, pattern=EMAIL_PATTERN),
    AfterValidator(str.lower),
    Field(description="Whom to invite: the email they sign in with (compared without regard to case)",
          examples=["bo@example.com"]),
]  # fmt: skip
InvitationId = Annotated[str, Field(description="The invitation's id (its secret: only its addressee and the "
                                    "organization's admins see it)")]  # fmt: skip


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: InvitedEmail
    role: Role = Field(description="The role they get on accepting (inviting an owner needs the owner role)")


class InvitationView(BaseModel):
    """A pending invitation, as the organization's admins see it (to revoke it)."""

    invitation_id: InvitationId
    email: str
    role: Role
    invited_by: str = Field(description="The inviting member's user id")
    created_at: datetime
    expires_at: datetime


class InvitationList(BaseModel):
    items: list[InvitationView]


class MyInvitation(BaseModel):
    """A pending invitation addressed to the caller's verified email."""

    invitation_id: InvitationId
    organization_id: str
    organization_name: str
    role: Role = Field(description="The role accepting gives you")
    expires_at: datetime


class MyInvitationList(BaseModel):
    items: list[MyInvitation]
