"""GET /connections/{id}/activity: what Cloudivize did in the account, from the customer's CloudTrail."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import ConnectionId, api_handler
from cloudivize.composition import backend
from cloudivize.models.assets import ActivityPage
from cloudivize.models.fields import REGION_NAME_PATTERN, Timestamp
from cloudivize.tenancy import current_caller

router = Router()


@router.get("/connections/<connection_id>/activity", summary="Cloudivize's activity in CloudTrail", tags=["assets"])
def get_activity(
    connection_id: ConnectionId,
    start: Annotated[Timestamp | None, Query(description="From (ISO 8601; UTC when no offset is given)")] = None,
    end: Annotated[Timestamp | None, Query(description="Until (ISO 8601; UTC when no offset is given)")] = None,
    region: Annotated[str | None, Query(max_length=32, pattern=REGION_NAME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> ActivityPage:
    service = backend()
    record, connection = service.connections(current_caller(router)).open(connection_id)
    return service.providers[record.provider].activity(
        connection,
        region=region,
        start=start,
        end=end,
        limit=limit,
        next_token=next_token,
    )


lambda_handler = api_handler(router)
