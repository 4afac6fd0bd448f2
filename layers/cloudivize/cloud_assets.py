"""Assets and actions of one opened connection, whatever its cloud: the provider does the work, this module
pages what it lists (assets are never stored: each page lists afresh) and counts what actions did."""

from __future__ import annotations

from cloudivize.errors import Forbidden
from cloudivize.metrics import count
from cloudivize.models.assets import ActionRequest, ActionResponse, AssetPage
from cloudivize.paging import page_of
from cloudivize.providers.base import CloudConnection, Provider


def list_assets(
    provider: Provider,
    connection: CloudConnection,
    *,
    types: set[str] | None,
    region: str | None,
    limit: int,
    next_token: str | None,
) -> AssetPage:
    assets, errors = provider.list_assets(connection, types=types, region=region)
    items, token = page_of(assets, limit=limit, token=next_token, query=(sorted(types or []), region))
    return AssetPage(items=items, next_token=token, errors=errors)


def run_action(provider: Provider, connection: CloudConnection, request: ActionRequest) -> ActionResponse:
    try:
        response = provider.run_action(connection, request)
    except Forbidden:  # the customer's policy (or Azure role) refuses: the operator watches this one
        count("AssetActionDenied", provider=provider.name)
        raise
    count("AssetActionSucceeded", sum(r.ok for r in response.results), provider=provider.name)
    count("AssetActionFailed", sum(not r.ok for r in response.results), provider=provider.name)
    return response
