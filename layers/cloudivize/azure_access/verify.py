"""Verification of an Azure connection: does Entra ID accept the application, which subscriptions can it see,
what may it read and change on each, and when does its secret expire.

Read and write rights come from what the application itself can read about its roles at each subscription
(``Microsoft.Authorization/permissions``): nothing is changed to find out.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.core.rest import HttpRequest

from cloudivize.azure_access.clients import AzureSession
from cloudivize.azure_access.failures import (
    credential_detail,
    is_denied,
    raise_if_transient,
    subscription_problem,
    translate,
)
from cloudivize.azure_access.permissions import missing
from cloudivize.azure_access.subscriptions import Subscription, select, visible_subscriptions
from cloudivize.models.connections import Check, Verification

PERMISSIONS_API_VERSION = "2022-04-01"
READ_ACTIONS = (
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Resources/subscriptions/resources/read",
    "Microsoft.Compute/virtualMachines/read",
)
WRITE_ACTIONS = (
    "Microsoft.Compute/virtualMachines/start/action",
    "Microsoft.Compute/virtualMachines/deallocate/action",
    "Microsoft.Compute/virtualMachines/restart/action",
    "Microsoft.Resources/tags/write",
)
EXPIRY_WARNING = timedelta(days=30)
MAX_SUBSCRIPTION_WORKERS = 8


@dataclass(frozen=True)
class Expiring:
    """How a credential type that expires is named and renewed (a federated credential does not expire)."""

    check: str
    noun: str
    rotate: str
    unknown: str | None  # what to do when the date is not known (Cloudivize knows its certificates' dates)


EXPIRING = {
    "secret": Expiring(
        check="secret_expiry",
        noun="The application secret",
        rotate="create a new client secret in Azure and send it with PATCH /connections/{id} (application_secret)",
        unknown="Cloudivize does not know when the application secret expires. Send secret_expires_at "
        "(PATCH /connections/{id}) to be warned 30 days before.",
    ),
    "certificate": Expiring(
        check="certificate_expiry",
        noun="The certificate Cloudivize issued",
        rotate="PATCH /connections/{id} with rotate_certificate: true and add the new certificate to the application",
        unknown=None,
    ),
}


def verify_azure(
    session: AzureSession,
    *,
    subscription_ids: list[str] | None,
    expires_at: datetime | None,
    now: datetime | None = None,
) -> Verification:
    kind = session.sign_in_kind.kind
    expiry = [expiry_check(kind, expires_at, now or datetime.now(UTC))] if kind in EXPIRING else []
    try:
        session.sign_in()
    except ClientAuthenticationError as refused:
        raise_if_transient(refused)  # Azure unreachable: 503, and nothing is stored
        _, detail = credential_detail(refused, **session.refusal_context)
        return _result([Check(name="credential_accepted", ok=False, detail=detail), *expiry])

    accepted = Check(
        name="credential_accepted",
        ok=True,
        detail=f"Microsoft Entra ID signed Cloudivize in as application {session.application_id} "
        f"(directory {session.directory_id}) {session.accepted()}.",
    )
    visible = visible_subscriptions(session)
    targets, invisible = select(visible, subscription_ids)
    checks = [accepted, _reachable(visible, targets, invisible)]
    workers = max(1, min(MAX_SUBSCRIPTION_WORKERS, len(targets)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for role_checks in pool.map(lambda subscription: _role_checks(session, subscription), targets):
            checks += role_checks
    return _result([*checks, *expiry])


def _result(checks: list[Check]) -> Verification:
    return Verification(ok=all(check.ok for check in checks if check.required), checks=checks)


def _reachable(visible: list[Subscription], targets: list[Subscription], invisible: list[str]) -> Check:
    if invisible:
        return Check(
            name="subscriptions_reachable",
            ok=False,
            detail=f"The application cannot see subscription(s) {', '.join(invisible)}: it has no role on them. "
            "Assign it Reader on each (GET /onboarding/azure shows how), or leave them out of subscription_ids.",
        )
    if not targets:
        return Check(
            name="subscriptions_reachable",
            ok=False,
            detail="The application has no role on any subscription. Assign it Reader on each subscription "
            "Cloudivize should see (GET /onboarding/azure shows how).",
        )
    described = [s.label + (f", {s.state}" if s.state and s.state != "Enabled" else "") for s in targets]
    others = len(visible) - len(targets)
    return Check(
        name="subscriptions_reachable",
        ok=True,
        detail=f"Cloudivize can reach {len(targets)} subscription(s): {'; '.join(described)}."
        + (f" The application sees {others} more, not part of this connection." if others else ""),
    )


def read_permissions(session: AzureSession, subscription_id: str) -> list[dict[str, Any]]:
    """What the application may do at the subscription's scope: one entry per role it holds there."""
    client = session.resources(subscription_id)
    url: str | None = f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/permissions"
    params: dict[str, str] | None = {"api-version": PERMISSIONS_API_VERSION}
    entries: list[dict[str, Any]] = []
    while url:
        response = client.send_request(HttpRequest("GET", url, params=params))
        response.raise_for_status()
        page = response.json()
        entries += page.get("value", [])
        url, params = page.get("nextLink"), None  # the next link carries its own query
    return entries


def _role_checks(session: AzureSession, subscription: Subscription) -> list[Check]:
    sub = subscription.subscription_id
    try:
        permissions = read_permissions(session, sub)
    except AzureError as error:
        raise_if_transient(error)
        if isinstance(error, ClientAuthenticationError) and error.response is None:
            raise translate(error, **session.refusal_context) from None
        code, detail = subscription_problem(error, sub, session.directory_id)
        if is_denied(error):
            detail = (
                f"The application cannot read its permissions on subscription {subscription.label} ({code}). "
                "Assign it Reader on the subscription."
            )
        return [
            Check(name=f"can_read:{sub}", ok=False, detail=detail),
            Check(name=f"can_write:{sub}", ok=False, required=False, detail="Unknown until it can read."),
        ]
    cannot_read = missing(permissions, READ_ACTIONS)
    cannot_write = missing(permissions, WRITE_ACTIONS)
    read = Check(
        name=f"can_read:{sub}",
        ok=not cannot_read,
        detail=f"Cloudivize can view subscription {subscription.label}."
        if not cannot_read
        else f"On subscription {subscription.label} the application lacks {', '.join(cannot_read)}. "
        "Assign it Reader on the subscription.",
    )
    write = Check(
        name=f"can_write:{sub}",
        ok=not cannot_write,
        required=False,
        detail=f"Cloudivize may start, deallocate and restart VMs and change tags on {subscription.label}."
        if not cannot_write
        else f"Read-only on {subscription.label} for {', '.join(cannot_write)} (roles at the subscription scope). "
        "To operate from Cloudivize, assign Virtual Machine Contributor and Tag Contributor, or a custom role "
        "with these actions.",
    )
    return [read, write]


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def expiry_check(kind: str, expires_at: datetime | str | None, now: datetime) -> Check:
    """Fails once the credential has expired; warns (still ok) in the 30 days before."""
    expiring = EXPIRING[kind]
    when = _as_datetime(expires_at)
    if when is None:
        return Check(
            name=expiring.check,
            ok=True,
            required=False,
            detail=expiring.unknown or f"{expiring.noun} has no known expiry.",
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    day = when.date().isoformat()
    noun = expiring.noun
    if when <= now:
        return Check(name=expiring.check, ok=False, detail=f"{noun} expired on {day}: {expiring.rotate}.")
    left = when - now
    if left <= EXPIRY_WARNING:
        days = max(1, left.days)
        return Check(
            name=expiring.check,
            ok=True,
            detail=f"Warning: {noun[0].lower()}{noun[1:]} expires in {days} day(s), on {day}. Before then, "
            f"{expiring.rotate}.",
        )
    return Check(name=expiring.check, ok=True, detail=f"{noun} is valid until {day}.")
