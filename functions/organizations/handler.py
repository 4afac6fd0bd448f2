"""Organizations and members: mine, create, the current one (rename, delete), its members (roles, removal,
leaving), and the default organization of requests that name none."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.composition import backend
from cloudivize.models.organizations import (
    DefaultOrganization,
    MemberList,
    MemberPatch,
    MemberView,
    Organization,
    OrganizationCreate,
    OrganizationList,
    OrganizationPatch,
    OrganizationSummary,
)
from cloudivize.observability import logger
from cloudivize.openapi import created, no_content, ok, problems
from cloudivize.organizations import Organizations
from cloudivize.tenancy import current_caller

router = Router()
UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]  # a Cognito sub


def _organizations() -> Organizations:
    return backend().organizations(current_caller(router))


@router.get("/organizations", summary="My organizations", tags=["organizations"], responses=ok("With my role in each"))
def list_organizations() -> OrganizationList:
    return OrganizationList(items=_organizations().mine())


@router.post(
    "/organizations",
    summary="Create an organization (you become its owner, and it becomes your default)",
    tags=["organizations"],
    responses={**created("The new organization")},
)
def create_organization(body: Annotated[OrganizationCreate, Body()]) -> Response[Organization]:
    organization = _organizations().create(body.name)
    logger.info("Organization created", extra={"organization_id": organization.organization_id})
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=organization,
        headers={"Location": "/organization", "ETag": '"1"'},
    )


@router.put(
    "/me/organization",
    summary="Choose the organization requests act in when they name none",
    tags=["organizations"],
    responses=ok("Your default organization"),
)
def choose_default(body: Annotated[DefaultOrganization, Body()]) -> OrganizationSummary:
    return _organizations().choose_default(body.organization_id)


@router.get("/organization", summary="The organization this request acts in", tags=["organizations"],
            responses=ok("The organization, with your role"))  # fmt: skip
def get_organization() -> Organization:
    return _organizations().current()


@router.patch("/organization", summary="Rename the organization (owner)", tags=["organizations"],
              responses=ok("The organization as renamed"))  # fmt: skip
def rename_organization(body: Annotated[OrganizationPatch, Body()]) -> Organization:
    return _organizations().rename(body.name)


@router.delete(
    "/organization",
    summary="Delete the organization (owner; refused while it has connections)",
    tags=["organizations"],
    responses={**no_content("Deleted, with its memberships"), **problems(409)},
)
def delete_organization() -> Response[None]:
    _organizations().delete()
    return Response(status_code=204)


@router.get("/members", summary="The organization's members", tags=["organizations"], responses=ok("Every member"))
def list_members() -> MemberList:
    return MemberList(items=_organizations().members())


@router.patch(
    "/members/<user_id>",
    summary="Change a member's role (admin; owner to grant or remove owner)",
    tags=["organizations"],
    responses={**ok("The member with the new role"), **problems(409)},
)
def change_role(user_id: UserId, body: Annotated[MemberPatch, Body()]) -> MemberView:
    return _organizations().change_role(user_id, body.role)


@router.delete(
    "/members/<user_id>",
    summary="Remove a member (admin; owner for an owner), or leave (your own user id)",
    tags=["organizations"],
    responses={**no_content("Removed"), **problems(409)},
)
def remove_member(user_id: UserId) -> Response[None]:
    _organizations().remove(user_id)
    return Response(status_code=204)


lambda_handler = api_handler(router)
