"""GET /me: who is calling."""

from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudivize.api import build_resolver, handle
from cloudivize.models.me import MeResponse
from cloudivize.observability import logger, tracer
from cloudivize.tenancy import current_caller

router = Router()


@router.get("/me", summary="The signed-in caller", tags=["identity"])
def get_me() -> MeResponse:
    caller = current_caller(router)
    return MeResponse(
        user_id=caller.user_id,
        email=caller.email,
        tenant_id=caller.tenant_id,
        sign_in_mode=caller.sign_in_mode,
    )


app = build_resolver(router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handle(app, event, context)
