"""Assets, actions and activity of one connection, whatever its provider (the provider SDK loads on use)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloudivize.connections import ConnectionInUse
from cloudivize.errors import Unprocessable
from cloudivize.models.assets import ActionRequest, ActionResponse, ActivityPage, Asset, AssetPage, RegionError
from cloudivize.paging import page_of


def _aws_session(connection: ConnectionInUse) -> tuple[Any, str]:
    """A session through the customer's role, and the account's home region."""
    from cloudivize.aws_access.access import home_region, open_session

    role_arn = connection.descriptors["role_arn"]
    session = open_session(tenant_id=connection.tenant_id, user_id=connection.user_id, role_arn=role_arn)
    return session, home_region(role_arn)


def _azure_session(connection: ConnectionInUse) -> Any:
    from cloudivize.azure_access.clients import open_session

    return open_session(connection.descriptors, connection.credentials)


def _list_azure_assets(
    connection: ConnectionInUse, *, types: set[str] | None, location: str | None
) -> tuple[list[Asset], list[RegionError]]:
    from cloudivize.azure_access.inventory import list_assets as list_azure_assets

    return list_azure_assets(
        _azure_session(connection),
        subscription_ids=connection.descriptors.get("subscription_ids"),
        types=types,
        location=location,
    )


def _list_aws_assets(
    connection: ConnectionInUse, *, types: set[str] | None, region: str | None
) -> tuple[list[Asset], list[RegionError]]:
    from cloudivize.aws_access.inventory import enabled_regions
    from cloudivize.aws_access.inventory import list_assets as list_aws_assets

    session, home = _aws_session(connection)
    regions = connection.regions or enabled_regions(session, home)
    if region is not None:
        if region not in regions:
            raise Unprocessable(
                f"Region {region} is not one of this connection's regions ({', '.join(regions)}).",
                errors=[{"field": "region", "in": "query", "type": "not_in_connection", "message": "unknown region"}],
            )
        regions = [region]
    return list_aws_assets(session, regions=regions, home_region=home, types=types)


def list_assets(
    connection: ConnectionInUse, *, types: set[str] | None, region: str | None, limit: int, next_token: str | None
) -> AssetPage:
    if connection.provider == "azure":
        assets, errors = _list_azure_assets(connection, types=types, location=region)
    else:
        assets, errors = _list_aws_assets(connection, types=types, region=region)
    items, token = page_of(assets, limit=limit, token=next_token, query=(sorted(types or []), region))
    return AssetPage(items=items, next_token=token, errors=errors)


def run_action(connection: ConnectionInUse, request: ActionRequest) -> ActionResponse:
    if connection.provider == "azure":
        from cloudivize.azure_access.operations import run_action as run_azure_action

        return run_azure_action(_azure_session(connection), request, connection.descriptors.get("subscription_ids"))
    from cloudivize.aws_access.operations import run_action as run_aws_action

    session, home = _aws_session(connection)
    return run_aws_action(session, request, home)


def activity(
    connection: ConnectionInUse,
    *,
    region: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    next_token: str | None,
) -> ActivityPage:
    if connection.provider != "aws":
        raise Unprocessable("Activity is read from AWS CloudTrail: it is available for AWS connections.")
    from cloudivize.aws_access.activity import cloudivize_activity

    session, home = _aws_session(connection)
    where = region or (connection.regions or [home])[0]
    return cloudivize_activity(session, region=where, start=start, end=end, limit=limit, next_token=next_token)
