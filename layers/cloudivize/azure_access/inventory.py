"""Live inventory of a customer's Azure subscriptions: subscriptions, resource groups, resources (type, location,
tags) and virtual machines with their power state, in the one Asset shape.

Subscriptions (and the listings within each) are queried concurrently; a subscription that fails is reported
with its error while the others answer. Nothing is cached or stored: each request lists afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.core.exceptions import AzureError

from cloudivize.azure_access.clients import AzureSession
from cloudivize.azure_access.failures import (
    THROTTLED_CODES,
    is_sign_in_failure,
    is_unreachable,
    subscription_problem,
    throttled,
    translate,
    unreachable,
)
from cloudivize.azure_access.subscriptions import Subscription, select, visible_subscriptions
from cloudivize.models.assets import Asset, RegionError

SUBSCRIPTION = "Microsoft.Resources/subscriptions"
RESOURCE_GROUP = "Microsoft.Resources/resourceGroups"
VIRTUAL_MACHINE = "Microsoft.Compute/virtualMachines"
MAX_WORKERS = 8
POWER_STATE_PREFIX = "PowerState/"
Lister = Callable[[AzureSession, Subscription], list[Asset]]


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


def _resource_groups(session: AzureSession, subscription: Subscription) -> list[Asset]:
    return [
        _arm_asset(group, RESOURCE_GROUP, state=getattr(group.properties, "provisioning_state", None))
        for group in session.resources(subscription.subscription_id).resource_groups.list()
    ]


def _resources(session: AzureSession, subscription: Subscription) -> list[Asset]:
    return [
        _arm_asset(resource, resource.type)
        for resource in session.resources(subscription.subscription_id).resources.list()
    ]


def power_state(vm: Any) -> str | None:
    """ "running", "deallocated", "stopped"... from a VM's instance view (``PowerState/<state>``)."""
    statuses = getattr(getattr(vm, "instance_view", None), "statuses", None) or []
    for status in statuses:
        code = status.code or ""
        if code.startswith(POWER_STATE_PREFIX):
            return code[len(POWER_STATE_PREFIX) :]
    return None


def _virtual_machines(session: AzureSession, subscription: Subscription) -> list[Asset]:
    # statusOnly=true: one call answers every VM's instance view (power state) in the subscription.
    return [
        _arm_asset(vm, VIRTUAL_MACHINE, state=power_state(vm))
        for vm in session.compute(subscription.subscription_id).virtual_machines.list_all(status_only="true")
    ]


LISTERS: dict[str, Lister] = {
    "resourceGroups": _resource_groups,
    "resources": _resources,
    "virtualMachines": _virtual_machines,
}


def _listings(types: set[str] | None) -> list[str]:
    """Which listings can produce the wanted types (all of them when no type is asked for)."""
    if types is None:
        return list(LISTERS)
    wanted = {t.lower() for t in types}
    names = []
    if RESOURCE_GROUP.lower() in wanted:
        names.append("resourceGroups")
    if wanted - {RESOURCE_GROUP.lower(), SUBSCRIPTION.lower()}:
        names.append("resources")
    if VIRTUAL_MACHINE.lower() in wanted:
        names.append("virtualMachines")
    return names


def _run(
    session: AzureSession, subscription: Subscription, name: str
) -> tuple[list[Asset], RegionError | None, AzureError | None]:
    try:
        return LISTERS[name](session, subscription), None, None
    except AzureError as error:
        if is_sign_in_failure(error) and not is_unreachable(error):
            return [], None, error  # the credential itself failed: that ends the request, below
        code, detail = subscription_problem(error, subscription.subscription_id, session.directory_id)
        return [], RegionError(region=subscription.subscription_id, service=name, error=code, detail=detail), error


def _merge(assets: list[Asset]) -> list[Asset]:
    """One asset per resource id (ids compare case-insensitively): a VM's power state joins its resource entry."""
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


def list_assets(
    session: AzureSession,
    *,
    subscription_ids: list[str] | None,
    types: set[str] | None,
    location: str | None,
) -> tuple[list[Asset], list[RegionError]]:
    """Every asset of the connection's subscriptions (of ``types``, at ``location``), sorted; plus what failed."""
    targets, invisible = select(visible_subscriptions(session), subscription_ids)
    errors = [
        RegionError(
            region=sub,
            service="subscriptions",
            error="SubscriptionNotVisible",
            detail="The application cannot see this subscription: assign it Reader on the subscription.",
        )
        for sub in invisible
    ]
    jobs = [(subscription, name) for subscription in targets for name in _listings(types)]
    outcomes = []
    if jobs:
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(jobs))) as pool:
            outcomes = list(pool.map(lambda job: _run(session, *job), jobs))
    for _, region_error, error in outcomes:
        if error is not None and region_error is None:
            raise translate(error, directory_id=session.directory_id, application_id=session.application_id)
    failed = [(region_error, error) for _, region_error, error in outcomes if region_error is not None]
    if failed and len(failed) == len(jobs):
        first = failed[0][1]
        if all(e.error in THROTTLED_CODES or e.error == "HTTP429" for e, _ in failed):
            raise throttled()
        if first is not None and all(is_unreachable(error) for _, error in failed if error is not None):
            raise unreachable(first)
    errors += [region_error for region_error, _ in failed]

    found = [_subscription_asset(subscription) for subscription in targets]
    found += [asset for assets, _, _ in outcomes for asset in assets]
    wanted = {t.lower() for t in types} if types else None
    place = location.lower() if location else None
    assets = [
        asset
        for asset in _merge(found)
        if (wanted is None or asset.type.lower() in wanted) and (place is None or asset.region == place)
    ]
    return sorted(assets, key=lambda a: (a.type.lower(), a.region or "", a.id.lower())), errors
