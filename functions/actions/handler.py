"""POST /connections/{id}/actions: operate on assets with what the customer's role allows."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import ConnectionId, api_handler
from cloudivize.cloud_assets import run_action
from cloudivize.composition import backend
from cloudivize.models.assets import ActionRequest, ActionResponse
from cloudivize.observability import logger
from cloudivize.openapi import ok, problems
from cloudivize.tenancy import current_caller

router = Router()


@router.post(
    "/connections/<connection_id>/actions",
    summary="Operate on assets",
    tags=["assets"],
    responses={
        **ok("What happened to each asset: an asset the cloud refused or does not know is `ok: false`"),
        **problems(403, 404, 422, 503),
    },
)
def post_action(connection_id: ConnectionId, body: Annotated[ActionRequest, Body()]) -> ActionResponse:
    service = backend()
    record, connection = service.connections(current_caller(router)).open(connection_id)
    response = run_action(service.providers[record.provider], connection, body)
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
