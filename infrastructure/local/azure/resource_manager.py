"""Azure Resource Manager: subscriptions, resource groups, resources (paged), virtual machines with their power
state and power operations, tags, and the caller's permissions, enforcing RBAC from the permissions each
subscription gives the application (with a deliberately simple matcher of actions)."""

from __future__ import annotations

import json
import re
import uuid
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlencode

from .answers import Answer, json_answer, service_error
from .directory import AzureState, FakeSubscription, FakeVm, IssuedToken

_ROUTES: list[tuple[str, str, str]] = [  # method, path regex (after /subscriptions/{id}), RBAC action
    ("GET", r"/providers/Microsoft\.Authorization/permissions", "Microsoft.Authorization/permissions/read"),
    ("GET", r"/resourcegroups", "Microsoft.Resources/subscriptions/resourceGroups/read"),
    ("GET", r"/resources", "Microsoft.Resources/subscriptions/resources/read"),
    ("GET", r"/providers/Microsoft\.Compute/virtualMachines", "Microsoft.Compute/virtualMachines/read"),
    ("POST", r"/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/[^/]+/(?P<op>\w+)",
     "Microsoft.Compute/virtualMachines/{op}/action"),
    ("GET", r"(?P<scope>(/.*)?)/providers/Microsoft\.Resources/tags/default", "Microsoft.Resources/tags/read"),
    ("PATCH", r"(?P<scope>(/.*)?)/providers/Microsoft\.Resources/tags/default", "Microsoft.Resources/tags/write"),
]  # fmt: skip
_NEXT_POWER_STATE = {"start": "running", "deallocate": "deallocated", "restart": "running", "powerOff": "stopped"}


class ResourceManager:
    """The answers of Resource Manager for the subscriptions in ``state``."""

    def __init__(self, state: AzureState) -> None:
        self.state = state

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes, authorization: str) -> Answer:
        self.state.calls.append((method, path))
        token = self.state.tokens.get(authorization.removeprefix("Bearer "))
        if token is None:
            return service_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is "
                                 "missing or invalid.")  # fmt: skip
        if token.scope != self.state.arm_scope:
            return service_error(401, "InvalidAuthenticationToken", "The access token has been obtained for wrong "
                                 "audience or resource.")  # fmt: skip
        if "api-version" not in query:
            return service_error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
        if path == "/subscriptions" and method == "GET":
            visible = [s for s in self.state.subscriptions.values() if s.permissions]
            return json_answer(200, {"value": [self._subscription_body(s, token) for s in visible]})
        found = re.match(r"^/subscriptions/([^/]+)(/.*)?$", path, re.IGNORECASE)
        if not found:
            return service_error(404, "NotFound", f"No route for {path}.")  # also what "//subscriptions/..." gets
        subscription = self.state.subscriptions.get(found[1])
        if subscription is None:
            return service_error(404, "SubscriptionNotFound", f"The subscription '{found[1]}' could not be found.")
        if subscription.throttled:
            subscription.throttled -= 1
            return service_error(429, "TooManyRequests", "Too many requests.", {"retry-after-ms": "1"})
        if subscription.failure:
            status, code = subscription.failure
            return service_error(status, code, f"{code} (played by the fake).")
        return self._in_subscription(subscription, token, method, found[2] or "", query, body)

    def _in_subscription(
        self, sub: FakeSubscription, token: IssuedToken, method: str, rest: str, query: dict[str, str], body: bytes
    ) -> Answer:
        for verb, pattern, action in _ROUTES:
            matched = re.fullmatch(pattern, rest, re.IGNORECASE)
            if verb != method or not matched:
                continue
            action = action.format(**matched.groupdict())
            if not _allowed(sub, action):
                target = rest.rsplit("/", 1)[0] if verb == "POST" else matched.groupdict().get("scope") or ""
                return _denied(token, action, sub.scope + target)
            if "permissions" in pattern:
                return json_answer(200, {"value": [{"actions": p["actions"], "notActions": p.get("notActions", []),
                                                    "dataActions": [], "notDataActions": []}
                                                   for p in sub.permissions]})  # fmt: skip
            if pattern == r"/resourcegroups":
                return json_answer(200, {"value": [_group_body(sub, name, loc)
                                                   for name, loc in sub.resource_groups.items()]})  # fmt: skip
            if pattern == r"/resources":
                return self._resources_page(sub, query)
            if "virtualMachines" in pattern and verb == "GET":
                return json_answer(200, {"value": [_vm_body(sub, vm, query.get("statusOnly") == "true")
                                                   for vm in sub.vms]})  # fmt: skip
            if verb == "POST":
                return self._power(sub, sub.scope + rest.rsplit("/", 1)[0], matched["op"])
            return self._tags(sub, sub.scope + matched["scope"], verb, body)
        return service_error(404, "NotFound", f"No route for {method} {rest}.")

    def _subscription_body(self, sub: FakeSubscription, token: IssuedToken) -> dict[str, Any]:
        return {"id": sub.scope, "subscriptionId": sub.subscription_id,
                "tenantId": sub.directory_id or token.directory_id, "displayName": sub.display_name,
                "state": "Enabled", "authorizationSource": "RoleBased"}  # fmt: skip

    def _resources_page(self, sub: FakeSubscription, query: dict[str, str]) -> Answer:
        items = _all_resources(sub)
        start = int(query.get("$skiptoken", "0"))
        size = self.state.page_size
        page: dict[str, Any] = {"value": items[start : start + size]}
        if start + size < len(items):
            page["nextLink"] = f"{self.state.arm_url}{sub.scope}/resources?" + urlencode(
                {"api-version": query["api-version"], "$skiptoken": start + size}
            )
        return json_answer(200, page)

    def _power(self, sub: FakeSubscription, vm_id: str, op: str) -> Answer:
        vm = next((vm for vm in sub.vms if sub.vm_id(vm).lower() == vm_id.lower()), None)
        if vm is None:
            return service_error(404, "ResourceNotFound", f"The Resource '{vm_id}' was not found.")
        if op not in _NEXT_POWER_STATE:
            return service_error(404, "NotFound", f"No operation {op}.")
        vm.power = _NEXT_POWER_STATE[op]
        operation = f"{self.state.arm_url}/providers/Microsoft.Compute/operations/{uuid.uuid4()}?api-version=2024-07-01"
        return 202, {"Azure-AsyncOperation": operation, "Location": operation, "Content-Length": "0"}, b""

    def _tags(self, sub: FakeSubscription, scope: str, method: str, body: bytes) -> Answer:
        tags = _tags_of(sub, scope)
        if tags is None:
            return service_error(404, "ResourceNotFound", f"The Resource '{scope}' was not found.")
        if method == "PATCH":
            patch = json.loads(body)
            self.state.tag_bodies.append({"scope": scope, **patch})
            given = patch["properties"]["tags"]
            if patch["operation"] == "Merge":
                tags.update(given)
            elif patch["operation"] == "Delete":  # removes the given name/value pairs
                for key, value in given.items():
                    if tags.get(key) == value:
                        del tags[key]
            else:
                tags.clear()
                tags.update(given)
        return json_answer(200, {"id": f"{scope}/providers/Microsoft.Resources/tags/default", "name": "default",
                                 "type": "Microsoft.Resources/tags", "properties": {"tags": dict(tags)}})  # fmt: skip


def _allowed(subscription: FakeSubscription, action: str) -> bool:
    return any(
        any(fnmatchcase(action.lower(), a.lower()) for a in entry["actions"])
        and not any(fnmatchcase(action.lower(), n.lower()) for n in entry.get("notActions", []))
        for entry in subscription.permissions
    )


def _denied(token: IssuedToken, action: str, scope: str) -> Answer:
    return service_error(403, "AuthorizationFailed", f"The client '{token.application_id}' with object id "
                         f"'{uuid.UUID(int=7)}' does not have authorization to perform action '{action}' over scope "
                         f"'{scope}' or the scope is invalid. If access was recently granted, please refresh your "
                         "credentials.")  # fmt: skip


def _group_body(sub: FakeSubscription, name: str, location: str) -> dict[str, Any]:
    return {"id": f"{sub.scope}/resourceGroups/{name}", "name": name, "type": "Microsoft.Resources/resourceGroups",
            "location": location, "tags": {}, "properties": {"provisioningState": "Succeeded"}}  # fmt: skip


def _all_resources(sub: FakeSubscription) -> list[dict[str, Any]]:
    vms = [{"id": sub.vm_id(vm), "name": vm.name, "type": "Microsoft.Compute/virtualMachines",
            "location": vm.location, "tags": vm.tags} for vm in sub.vms]  # fmt: skip
    others = [{"id": sub.resource_id(r), "name": r.name, "type": r.type, "location": r.location, "tags": r.tags}
              for r in sub.resources]  # fmt: skip
    return vms + others


def _vm_body(sub: FakeSubscription, vm: FakeVm, status_only: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": sub.vm_id(vm), "name": vm.name, "type": "Microsoft.Compute/virtualMachines",
                            "location": vm.location, "properties": {}}  # fmt: skip
    if status_only:
        body["properties"]["instanceView"] = {
            "statuses": [
                {"code": "ProvisioningState/succeeded", "level": "Info"},
                {"code": f"PowerState/{vm.power}", "level": "Info", "displayStatus": f"VM {vm.power}"},
            ]
        }
    else:
        body["tags"] = vm.tags
    return body


def _tags_of(sub: FakeSubscription, scope: str) -> dict[str, str] | None:
    if scope.lower() == sub.scope.lower():
        return {}
    for vm in sub.vms:
        if sub.vm_id(vm).lower() == scope.lower():
            return vm.tags
    for resource in sub.resources:
        if sub.resource_id(resource).lower() == scope.lower():
            return resource.tags
    return None
