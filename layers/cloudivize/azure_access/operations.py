"""Operating on a customer's Azure resources: VM start / deallocate / restart and tags, with a result per asset.

Cloudivize acts with exactly what the application's role allows: a refused action answers 403 naming the
Azure permission to grant, and works as soon as the customer grants it. Power operations are long-running in
Azure: Cloudivize asks for them and answers once Azure has accepted (it does not wait for the VM).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from azure.core.exceptions import AzureError, HttpResponseError

from cloudivize.azure_access.clients import AzureSession
from cloudivize.azure_access.failures import (
    arm_code,
    denied,
    is_denied,
    is_not_found,
    raise_if_transient,
    translate,
)
from cloudivize.errors import CloudivizeError, Unprocessable
from cloudivize.models.assets import ActionRequest, ActionResponse, ActionResult

VM_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<group>[^/]+)"
    r"/providers/Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
SCOPE_ID = re.compile(r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})(?:/[^/]+/[^/]+)*$", re.IGNORECASE)
MAX_WORKERS = 8


@dataclass(frozen=True)
class PowerAction:
    method: str  # of ComputeManagementClient.virtual_machines
    permission: str  # the Azure RBAC action it needs
    state: str  # what the VM is doing once Azure accepted
    note: str | None = None


_DEALLOCATE = PowerAction("begin_deallocate", "Microsoft.Compute/virtualMachines/deallocate/action", "deallocating")
_RESTART = PowerAction("begin_restart", "Microsoft.Compute/virtualMachines/restart/action", "restarting")
POWER_ACTIONS = {
    "start": PowerAction("begin_start", "Microsoft.Compute/virtualMachines/start/action", "starting"),
    "deallocate": _DEALLOCATE,
    # On Azure a VM that is only powered off is still billed; "stop" means deallocate, and says so.
    "stop": PowerAction(
        _DEALLOCATE.method,
        _DEALLOCATE.permission,
        _DEALLOCATE.state,
        "On Azure, stop deallocates the VM (its compute is no longer billed).",
    ),
    "restart": _RESTART,
    "reboot": _RESTART,
}
TAG_WRITE = "Microsoft.Resources/tags/write"
TAG_READ = "Microsoft.Resources/tags/read"


def _subscription_of(asset_id: str) -> str | None:
    found = SCOPE_ID.match(asset_id)
    return found["subscription"].lower() if found else None


def run_action(session: AzureSession, request: ActionRequest, subscription_ids: list[str] | None) -> ActionResponse:
    if request.action in ("tag", "untag") and not request.tags:
        raise Unprocessable(
            f'"{request.action}" needs "tags".',
            errors=[{"field": "tags", "in": "body", "type": "missing", "message": "required for tagging"}],
        )
    try:
        session.sign_in()  # once, before acting in parallel: a refused secret is one clear answer
    except AzureError as error:
        raise translate(error, **session.refusal_context) from None
    allowed = {s.lower() for s in subscription_ids} if subscription_ids else None
    act = _power if request.action in POWER_ACTIONS else _tagging

    def one(asset_id: str) -> ActionResult | CloudivizeError:
        subscription = _subscription_of(asset_id)
        if subscription is None:
            return ActionResult(asset_id=asset_id, ok=False, detail="Not an Azure resource id (/subscriptions/...).")
        if allowed is not None and subscription not in allowed:
            return ActionResult(asset_id=asset_id, ok=False, detail="Not in this connection's subscriptions.")
        try:
            return act(session, request, asset_id, subscription)
        except CloudivizeError as refusal:  # denied, throttled, unreachable: the request's answer, below
            return refusal

    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(request.asset_ids))) as pool:
        outcomes = list(pool.map(one, request.asset_ids))
    for outcome in outcomes:  # the first refusal, in the order asked, answers for the request (like AWS)
        if isinstance(outcome, CloudivizeError):
            raise outcome
    return ActionResponse(action=request.action, results=[o for o in outcomes if isinstance(o, ActionResult)])


def _end_request_if_needed(session: AzureSession, error: AzureError, permission: str, scope: str) -> None:
    """Raise what answers for the whole request (403 naming the permission, 503, a refused sign-in)."""
    raise_if_transient(error)
    if isinstance(error, HttpResponseError) and is_denied(error):
        raise denied(permission, scope, session.application_id, error) from None
    if not isinstance(error, HttpResponseError) or error.response is None:
        raise translate(error, **session.refusal_context) from None


def _failed(asset_id: str, error: HttpResponseError) -> ActionResult:
    code = arm_code(error)
    detail = f"Azure has no such resource ({code})." if is_not_found(error) else f"Azure refused: {code}."
    return ActionResult(asset_id=asset_id, ok=False, detail=detail)


def _power(session: AzureSession, request: ActionRequest, asset_id: str, subscription: str) -> ActionResult:
    found = VM_ID.match(asset_id)
    if not found:
        detail = "Not a virtual machine (Microsoft.Compute/virtualMachines)."
        return ActionResult(asset_id=asset_id, ok=False, detail=detail)
    action = POWER_ACTIONS[request.action]
    operations = session.compute(subscription).virtual_machines
    try:
        # polling=False: Azure has accepted once the call returns; the VM finishes on its own.
        getattr(operations, action.method)(found["group"], found["name"], polling=False)
    except HttpResponseError as error:
        _end_request_if_needed(session, error, action.permission, asset_id)
        return _failed(asset_id, error)
    except AzureError as error:
        _end_request_if_needed(session, error, action.permission, asset_id)
        raise
    return ActionResult(asset_id=asset_id, ok=True, state=action.state, detail=action.note)


def _tagging(session: AzureSession, request: ActionRequest, asset_id: str, subscription: str) -> ActionResult:
    tags = session.resources(subscription).tags
    scope = asset_id.lstrip("/")  # the Tags API takes the scope without its leading slash
    given = request.tags or {}
    permission = TAG_WRITE
    try:
        if request.action == "tag":
            body = {"operation": "Merge", "properties": {"tags": given}}
        else:
            # Delete removes name/value pairs: send the values the resource has now, so any value goes.
            permission = TAG_READ
            current = tags.get_at_scope(scope).properties.tags or {}
            present = {key: current[key] for key in given if key in current}
            if not present:
                return ActionResult(asset_id=asset_id, ok=True, detail="None of these tags were set.")
            body = {"operation": "Delete", "properties": {"tags": present}}
            permission = TAG_WRITE
        tags.begin_update_at_scope(scope, body, polling=False).result()
    except HttpResponseError as error:
        _end_request_if_needed(session, error, permission, asset_id)
        return _failed(asset_id, error)
    except AzureError as error:
        _end_request_if_needed(session, error, permission, asset_id)
        raise
    return ActionResult(asset_id=asset_id, ok=True)
