"""Assets and actions of one opened connection, whatever its cloud: the provider does the work, this module
turns the page token into where the listing continues and back (assets are never stored: each page lists live,
continuing each source where the previous page left it) and counts what actions did."""

from __future__ import annotations

from cloudivize.crypto import FieldSealer, page_token_context
from cloudivize.errors import Forbidden
from cloudivize.metrics import count
from cloudivize.models.assets import ActionRequest, ActionResponse, AssetPage
from cloudivize.paging import open_cursor, seal_cursor
from cloudivize.providers.base import CloudConnection, Provider


def list_assets(
    provider: Provider,
    connection: CloudConnection,
    *,
    sealer: FieldSealer,
    types: set[str] | None,
    region: str | None,
    limit: int,
    next_token: str | None,
) -> AssetPage:
    """A page of the connection's assets; its token opens only for this tenant, connection and query."""
    context = page_token_context(connection.tenant_id, connection.connection_id)
    query = (sorted(types or []), region)
    cursor = open_cursor(sealer, context, query=query, token=next_token) if next_token else None
    listing = provider.list_assets(connection, types=types, region=region, limit=limit, cursor=cursor)
    token = seal_cursor(sealer, context, query=query, cursor=listing.next) if listing.next else None
    return AssetPage(items=listing.items, next_token=token, errors=listing.errors)


def run_action(provider: Provider, connection: CloudConnection, request: ActionRequest) -> ActionResponse:
    try:
        response = provider.run_action(connection, request)
    except Forbidden:  # the customer's policy (or Azure role) refuses: the operator watches this one
        count("AssetActionDenied", provider=provider.name)
        raise
    count("AssetActionSucceeded", sum(r.ok for r in response.results), provider=provider.name)
    count("AssetActionFailed", sum(not r.ok for r in response.results), provider=provider.name)
    return response
