"""GET /connections/{id}/activity: what Cloudivize did in the account, from the customer's CloudTrail."""

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.cloud_assets import activity
from cloudivize.connections import Connections
from cloudivize.models.assets import ActivityPage
from cloudivize.tenancy import current_caller

router = Router()


@router.get("/connections/<connection_id>/activity", summary="Cloudivize's activity in CloudTrail", tags=["assets"])
def get_activity(
    connection_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")],
    start: Annotated[datetime | None, Query(description="From (ISO 8601)")] = None,
    end: Annotated[datetime | None, Query(description="Until (ISO 8601)")] = None,
    region: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> ActivityPage:
    connection = Connections.of(current_caller(router)).for_use(connection_id)
    return activity(connection, region=region, start=start, end=end, limit=limit, next_token=next_token)


lambda_handler = api_handler(router)
