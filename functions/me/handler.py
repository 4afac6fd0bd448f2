"""GET /me: who is calling, the organization the request acts in, their role there, and all their organizations."""

from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.composition import backend
from cloudivize.models.me import CurrentOrganization, MeResponse
from cloudivize.openapi import ok
from cloudivize.tenancy import current_caller

router = Router()


@router.get("/me", summary="The signed-in caller", tags=["identity"], responses=ok("Who is calling, and where"))
def get_me() -> MeResponse:
    caller = current_caller(router)
    organizations = backend().organizations(caller).mine()
    current = next((o for o in organizations if o.organization_id == caller.tenant_id), None)
    return MeResponse(
        user_id=caller.user_id,
        email=caller.email,
        sign_in_mode=caller.sign_in_mode,
        tenant_id=current.organization_id if current else None,
        organization=CurrentOrganization(organization_id=current.organization_id, name=current.name)
        if current
        else None,
        role=caller.role if current else None,
        organizations=organizations,
    )


lambda_handler = api_handler(router)
