"""POST /connections/{id}/actions: operate on assets with what the customer's role allows."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.cloud_assets import run_action
from cloudivize.connections import Connections
from cloudivize.models.assets import ActionRequest, ActionResponse
from cloudivize.observability import logger
from cloudivize.tenancy import current_caller

router = Router()


@router.post("/connections/<connection_id>/actions", summary="Operate on assets", tags=["assets"])
def post_action(
    connection_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")],
    body: Annotated[ActionRequest, Body()],
) -> ActionResponse:
    connection = Connections.of(current_caller(router)).for_use(connection_id)
    response = run_action(connection, body)
    logger.info(
        "Action run",
        extra={
            "connection_id": connection_id,
            "action": body.action,
            "succeeded": sum(r.ok for r in response.results),
            "failed": sum(not r.ok for r in response.results),
        },
    )
    return response


lambda_handler = api_handler(router)
