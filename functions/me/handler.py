"""GET /me: who is calling."""

from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.models.me import MeResponse
from cloudivize.openapi import ok
from cloudivize.tenancy import current_caller

router = Router()


@router.get("/me", summary="The signed-in caller", tags=["identity"], responses=ok("Who is calling, from the token"))
def get_me() -> MeResponse:
    caller = current_caller(router)
    return MeResponse(
        user_id=caller.user_id,
        email=caller.email,
        tenant_id=caller.tenant_id,
        sign_in_mode=caller.sign_in_mode,
    )


lambda_handler = api_handler(router)
