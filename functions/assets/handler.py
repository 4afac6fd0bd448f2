"""GET /connections/{id}/assets: the connection's assets, listed live (never stored)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import ConnectionId, api_handler
from cloudivize.cloud_assets import list_assets
from cloudivize.composition import backend
from cloudivize.models.assets import AssetPage
from cloudivize.models.fields import REGION_NAME_PATTERN
from cloudivize.observability import logger
from cloudivize.openapi import ok, problems
from cloudivize.paging import MAX_TOKEN_CHARS
from cloudivize.tenancy import current_caller

router = Router()


@router.get(
    "/connections/<connection_id>/assets",
    summary="Live assets of a connection",
    tags=["assets"],
    responses={
        **ok("A page of the assets, listed live; parts that could not be listed are in `errors`"),
        **problems(400, 403, 404, 422, 503),
    },
)
def get_assets(
    connection_id: ConnectionId,
    type: Annotated[
        list[str] | None, Query(max_length=20, description='Asset types, e.g. "ec2:instance" (repeatable)')
    ] = None,
    region: Annotated[
        str | None, Query(max_length=64, pattern=REGION_NAME_PATTERN, description="One region (AWS) or location")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    next_token: Annotated[
        str | None, Query(max_length=MAX_TOKEN_CHARS, description="The `next_token` of the previous page")
    ] = None,
) -> AssetPage:
    service = backend()
    record, connection = service.connections(current_caller(router)).open(connection_id)
    page = list_assets(
        service.providers[record.provider],
        connection,
        sealer=service.sealer,
        types=set(type) if type else None,
        region=region,
        limit=limit,
        next_token=next_token,
    )
    logger.info("Assets listed", extra={"connection_id": connection_id, "count": len(page.items)})
    return page


lambda_handler = api_handler(router)
