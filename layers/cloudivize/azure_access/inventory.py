"""Live inventory of a customer's Azure subscriptions: subscriptions, resource groups, resources (type, location,
tags) and virtual machines with their power state, in the one Asset shape, paged.

The listing's sources, in this order (the documented order of the pages): subscription by subscription (by
id), the subscription itself, its resource groups, then its resources (virtual machines among them), each in
the order Resource Manager lists them; a source continues from its ``nextLink``. The power state of the
virtual machines a page shows is read for that page: one ``statusOnly`` listing of their subscription, read
until each of them is found.

Sources are read concurrently (``paging.FanOut``); a subscription that fails is reported with its error while
the others answer. Nothing is cached or stored: each page lists live (``cloudivize.paging``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from azure.core.exceptions import AzureError

from cloudivize.azure_access.clients import AzureSession
from cloudivize.azure_access.failures import (
    is_sign_in_failure,
    is_throttled,
    is_unreachable,
    subscription_problem,
    throttled,
    translate,
    unreachable,
)
from cloudivize.azure_access.subscriptions import Subscription, select, visible_subscriptions
from cloudivize.errors import BadRequest
from cloudivize.models.assets import Asset, RegionError
from cloudivize.paging import (
    NOT_ISSUED,
    SCOPE_CHANGED,
    Cursor,
    FanOut,
    Position,
    Read,
    Source,
    SourceFailed,
    Walked,
    walk,
)

SUBSCRIPTION = "Microsoft.Resources/subscriptions"
RESOURCE_GROUP = "Microsoft.Resources/resourceGroups"
VIRTUAL_MACHINE = "Microsoft.Compute/virtualMachines"
# One application's Resource Manager calls in flight at once, across the container's requests. A request reads
# each (listing, subscription) one call after the other; Resource Manager's limits are per subscription.
MAX_CALLS_IN_FLIGHT_PER_APPLICATION = 32
INVENTORY_THREADS = 64
MAX_PAGE_SIZE = 1000  # $top: Resource Manager answers at most 1000 per page
POWER_STATE_PREFIX = "PowerState/"


def inventory_fan_out() -> FanOut:
    return FanOut(threads=INVENTORY_THREADS, per_account=MAX_CALLS_IN_FLIGHT_PER_APPLICATION, name="azure-inventory")


def _tags(value: Any) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in (value or {}).items()}


def _location(value: str | None) -> str | None:
    return value.lower() if value else value


def _subscription_asset(subscription: Subscription) -> Asset:
    return Asset(
        provider="azure",
        id=subscription.resource_id,
        arn=subscription.resource_id,
        name=subscription.display_name,
        type=SUBSCRIPTION,
        state=subscription.state,
    )


def _arm_asset(resource: Any, asset_type: str, state: str | None = None) -> Asset:
    """An ARM resource (group, resource, VM) in the normalized shape: its resource id is its id."""
    return Asset(
        provider="azure",
        id=resource.id,
        arn=resource.id,
        name=resource.name,
        type=asset_type,
        region=_location(resource.location),
        state=state,
        tags=_tags(resource.tags),
    )


def power_state(vm: Any) -> str | None:
    """ "running", "deallocated", "stopped"... from a VM's instance view (``PowerState/<state>``)."""
    statuses = getattr(getattr(vm, "instance_view", None), "statuses", None) or []
    for status in statuses:
        code = status.code or ""
        if code.startswith(POWER_STATE_PREFIX):
            return code[len(POWER_STATE_PREFIX) :]
    return None


def _group_asset(group: Any) -> Asset:
    return _arm_asset(group, RESOURCE_GROUP, state=getattr(group.properties, "provisioning_state", None))


def _resource_asset(resource: Any) -> Asset:
    return _arm_asset(resource, resource.type)


def _subscription_failure(session: AzureSession, error: AzureError, subscription_id: str, listing: str) -> RegionError:
    """What a failure within one subscription reports; a refused credential ends the whole request instead."""
    if is_sign_in_failure(error) and not is_unreachable(error):
        raise translate(error, **session.refusal_context) from None
    code, detail = subscription_problem(error, subscription_id, session.directory_id)
    return RegionError(region=subscription_id, service=listing, error=code, detail=detail)


def _wanted(types: set[str] | None, location: str | None) -> Callable[[Asset], bool]:
    kinds = {t.lower() for t in types} if types else None
    place = location.lower() if location else None
    return lambda asset: (kinds is None or asset.type.lower() in kinds) and (place is None or asset.region == place)


def _one_page(paged: Any, position: Position) -> tuple[list[Any], str | None]:
    """One page of an SDK listing from ``position`` (its nextLink, or the first page), and the next link."""
    pages = paged.by_page(continuation_token=position.token)
    return list(next(pages, [])), pages.continuation_token


def _arm_source(
    session: AzureSession,
    subscription: Subscription,
    listing: str,
    list_page: Callable[[int], Any],
    asset: Callable[[Any], Asset],
    shown: Callable[[Asset], bool],
) -> Source[Asset]:
    def read(position: Position, wanted: int) -> Read[Asset]:
        if position.token and not position.token.startswith(session.cloud.resource_manager_url):
            raise BadRequest(NOT_ISSUED)  # only Resource Manager's own links are followed
        try:
            found, next_link = _one_page(list_page(min(MAX_PAGE_SIZE, position.skip + wanted)), position)
        except AzureError as error:
            if is_sign_in_failure(error) and not is_unreachable(error):  # the credential itself: ends the request
                raise translate(error, **session.refusal_context) from None
            code, detail = subscription_problem(error, subscription.subscription_id, session.directory_id)
            failed = RegionError(region=subscription.subscription_id, service=listing, error=code, detail=detail)
            raise SourceFailed(failed, error) from None
        entries = [item if shown(item) else None for item in map(asset, found)][position.skip :]
        return Read(entries=entries, next=Position(next_link) if next_link else None)

    return Source(name=f"{subscription.subscription_id}/{listing}", read=read)


def _subscription_source(subscription: Subscription, shown: Callable[[Asset], bool]) -> Source[Asset]:
    def read(position: Position, wanted: int) -> Read[Asset]:
        listed = _subscription_asset(subscription)
        return Read(entries=[listed if shown(listed) else None], next=None)

    return Source(name=f"{subscription.subscription_id}/subscription", read=read, local=True)


def sources(
    session: AzureSession, targets: Sequence[Subscription], *, types: set[str] | None, location: str | None
) -> list[Source[Asset]]:
    """The listing's sources, in the documented order (see the module's docstring)."""
    shown = _wanted(types, location)
    kinds = {t.lower() for t in types} if types else None
    listed: list[Source[Asset]] = []
    for subscription in targets:
        arm = session.resources(subscription.subscription_id)
        if kinds is None or SUBSCRIPTION.lower() in kinds:
            listed.append(_subscription_source(subscription, shown))
        if kinds is None or RESOURCE_GROUP.lower() in kinds:
            groups = lambda top, arm=arm: arm.resource_groups.list(top=top)  # noqa: E731
            listed.append(_arm_source(session, subscription, "resourceGroups", groups, _group_asset, shown))
        if kinds is None or kinds - {RESOURCE_GROUP.lower(), SUBSCRIPTION.lower()}:
            resources = lambda top, arm=arm: arm.resources.list(top=top)  # noqa: E731
            listed.append(_arm_source(session, subscription, "resources", resources, _resource_asset, shown))
    return listed


def _with_power_states(
    session: AzureSession, items: list[Asset], run: Callable[[Sequence[Callable[[], Any]]], list[Any]]
) -> tuple[list[Asset], list[RegionError]]:
    """The page's virtual machines with their power state: per subscription of the page, its ``statusOnly``
    listing (one call answers a page of VMs' instance views), read until each of the page's VMs is found."""
    wanted: dict[str, set[str]] = {}
    for asset in items:
        if asset.type.lower() == VIRTUAL_MACHINE.lower():
            wanted.setdefault(asset.id.split("/")[2], set()).add(asset.id.lower())

    def states_of(subscription_id: str, ids: set[str]) -> dict[str, str | None] | RegionError:
        found: dict[str, str | None] = {}
        try:
            listing = session.compute(subscription_id).virtual_machines.list_all(status_only="true")
            for page in listing.by_page():
                found.update({vm.id.lower(): power_state(vm) for vm in page if vm.id.lower() in ids})
                if len(found) == len(ids):
                    break
        except AzureError as error:
            if is_sign_in_failure(error) and not is_unreachable(error):
                raise translate(error, **session.refusal_context) from None
            code, detail = subscription_problem(error, subscription_id, session.directory_id)
            return RegionError(region=subscription_id, service="virtualMachines", error=code, detail=detail)
        return found

    states: dict[str, str | None] = {}
    errors: list[RegionError] = []
    calls = [lambda s=subscription, ids=ids: states_of(s, ids) for subscription, ids in sorted(wanted.items())]
    for answer in run(calls):
        if isinstance(answer, RegionError):
            errors.append(answer)
        else:
            states.update(answer)
    shown = [
        asset.model_copy(update={"state": states[asset.id.lower()]}) if asset.id.lower() in states else asset
        for asset in items
    ]
    return shown, errors


def _merged(assets: list[Asset]) -> list[Asset]:
    """One asset per resource id on a page (ids compare case-insensitively: Resource Manager echoes the casing a
    resource was created with, and a resource listed twice in two casings is one)."""
    merged: dict[str, Asset] = {}
    for asset in assets:
        key = asset.id.lower()
        known = merged.get(key)
        if known is None:
            merged[key] = asset
        else:
            merged[key] = known.model_copy(
                update={"state": known.state or asset.state, "tags": {**asset.tags, **known.tags},
                        "region": known.region or asset.region, "name": known.name or asset.name}
            )  # fmt: skip
    return list(merged.values())


def _scope(targets: Sequence[Subscription]) -> tuple[str, ...]:
    """What a token remembers of the subscriptions (a digest: a connection may span hundreds of them)."""
    ids = ",".join(subscription.subscription_id.lower() for subscription in targets)
    return (hashlib.sha256(ids.encode()).hexdigest()[:16],)


def list_page(
    session: AzureSession,
    *,
    fan_out: FanOut,
    subscription_ids: list[str] | None,
    types: set[str] | None,
    location: str | None,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[Asset], list[RegionError], Walked[Asset], tuple[str, ...]]:
    """One page of the connection's assets (of ``types``, at ``location``) in the documented order; what failed;
    the walk (where each source continues); and the scope a token of it must name."""
    targets, invisible = select(visible_subscriptions(session), subscription_ids)
    targets = sorted(targets, key=lambda s: s.subscription_id.lower())
    scope = _scope(targets)
    if cursor is not None and cursor.scope != scope:
        raise BadRequest(SCOPE_CHANGED)
    errors = [
        RegionError(
            region=sub,
            service="subscriptions",
            error="SubscriptionNotVisible",
            detail="The application cannot see this subscription: assign it Reader on the subscription.",
        )
        for sub in invisible
    ]

    def run(calls: Sequence[Callable[[], Any]]) -> list[Any]:
        return fan_out.run(f"{session.directory_id}/{session.application_id}", calls)

    listing = sources(session, targets, types=types, location=location)
    walked = walk(listing, None if cursor is None else cursor.marks, limit=limit, fan_out=run)
    if walked.all_failed(is_throttled):
        raise throttled()
    if walked.all_failed(is_unreachable):
        raise unreachable(walked.failures[0].cause)
    items, state_errors = _with_power_states(session, _merged(walked.items), run)
    return items, (errors if cursor is None else []) + walked.errors + state_errors, walked, scope
