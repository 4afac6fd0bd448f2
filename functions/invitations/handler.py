"""Invitations: an organization's admins invite by email with a role, list and revoke the pending ones; the
addressee sees theirs and accepts one."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.composition import backend
from cloudivize.invitations import Invitations
from cloudivize.models.invitations import InvitationCreate, InvitationList, InvitationView, MyInvitationList
from cloudivize.models.organizations import OrganizationSummary
from cloudivize.observability import logger
from cloudivize.openapi import created, no_content, ok, problems
from cloudivize.tenancy import current_caller

router = Router()
# What new_invitation_id makes (secrets.token_urlsafe), with room to spare.
InvitationId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _invitations() -> Invitations:
    return backend().invitations(current_caller(router))


@router.post(
    "/invitations",
    summary="Invite someone by email with a role (admin; owner to invite an owner); emailed, or logged locally",
    tags=["invitations"],
    responses=created("The pending invitation", headers=()),
)
def invite(body: Annotated[InvitationCreate, Body()]) -> Response[InvitationView]:
    invitation = _invitations().invite(body.email, body.role)
    logger.info("Member invited", extra={"role": invitation.role.value})
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=invitation)


@router.get("/invitations", summary="The organization's pending invitations (admin)", tags=["invitations"],
            responses=ok("Pending, oldest first"))  # fmt: skip
def list_invitations() -> InvitationList:
    return InvitationList(items=_invitations().pending())


@router.delete(
    "/invitations/<invitation_id>",
    summary="Revoke a pending invitation (admin)",
    tags=["invitations"],
    responses={**no_content("Revoked: it can no longer be accepted"), **problems(404)},
)
def revoke_invitation(invitation_id: InvitationId) -> Response[None]:
    _invitations().revoke(invitation_id)
    return Response(status_code=204)


@router.get(
    "/me/invitations",
    summary="Pending invitations addressed to my verified email",
    tags=["invitations"],
    responses=ok("Pending, oldest first (none while your email is not verified)"),
)
def my_invitations() -> MyInvitationList:
    return MyInvitationList(items=_invitations().mine())


@router.post(
    "/invitations/<invitation_id>/accept",
    summary="Accept an invitation addressed to my verified email: join its organization with its role",
    tags=["invitations"],
    responses={**ok("The organization joined, with your role"), **problems(404, 409)},
)
def accept_invitation(invitation_id: InvitationId) -> OrganizationSummary:
    return _invitations().accept(invitation_id)


lambda_handler = api_handler(router)
