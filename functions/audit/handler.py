"""GET /audit: the organization's audit trail, newest first (admin)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.composition import backend
from cloudivize.errors import ServiceUnavailable
from cloudivize.models.audit import AuditPage
from cloudivize.openapi import ok, problems
from cloudivize.tenancy import current_caller

router = Router()


@router.get(
    "/audit",
    summary="The audit trail: who did what, newest first (admin)",
    tags=["organizations"],
    responses={**ok("A page of the organization's audit events, newest first"), **problems(400)},
)
def get_audit(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=1024)] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$",
                                       description="Only this user's events (their user id)")] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[a-z_]+\.[a-z_]+$",
                                        description='Only this action, e.g. "connection.created"')] = None,
) -> AuditPage:  # fmt: skip
    caller = current_caller(router)
    trail = backend().audit_trail
    if trail is None:
        raise ServiceUnavailable("The audit trail is not configured on this deployment.")
    return trail.page(caller.organization_id, limit=limit, next_token=next_token, actor=actor, action=action)


lambda_handler = api_handler(router)
