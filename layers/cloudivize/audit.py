"""The audit trail: one event per state-changing request, with its actor, in the organization it acted in.

``cloudivize.api.handle`` calls ``record_request`` once the response is known. A route is audited when the route
table gives it an audit action (``RouteRule.audit``); every answer of such a route is recorded once the caller and
the organization are known: ``succeeded`` (2xx/3xx), ``refused`` (403: the role too low, or the customer's cloud
refusing), ``failed`` (any other problem). A caller refused before the organization resolved (no token, not a
member: 404) writes nothing into any organization.

An event holds the actor (user id, email, sign-in mode), the action, the target, the outcome and status, the
request id and the organization. The target is the path's ids, the id a create made, and of the request body only
the fields in ``RECORDED_BODY_FIELDS`` (what was asked of which assets, the role given, the organization chosen):
never a secret, a name or another attribute of a body or of an asset.

Events go to their own table, which the functions may only add to (``dynamodb:PutItem``, always conditional on
the key being new; docs/architecture.md, "Audit trail"), and expire after the stack's retention (TTL). A failed
write does not turn the answer into an error: the change it records has happened already, so the request is
answered as it was, and the failure is logged and counted (``AuditWriteFailed``) for the operator.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudivize import json_body
from cloudivize.errors import BadRequest, CloudivizeError
from cloudivize.metrics import count
from cloudivize.models.audit import AuditActor, AuditEvent, AuditPage, Outcome
from cloudivize.observability import logger
from cloudivize.repository import Table, audit_event_key, audit_partition
from cloudivize.tenancy import Caller, route_policy

EVENT_KIND = "audit_event"
# Of a request body, only these are recorded: ids and choices the user sent, never a free-form value or a secret.
RECORDED_BODY_FIELDS = ("action", "asset_ids", "role", "organization_id")
# Where a create's answer names what it made (a connection's id, an organization's id).
CREATED_ID_FIELDS = ("id", "organization_id")
# What a sync's answer says it did: member connection ids (never an account id, which the members hold sealed).
SYNC_OUTCOME_FIELDS = ("added", "left", "suspended", "rejoined")
MAX_RECORDED_CHARS = 2048  # an asset id's limit (ActionRequest)
MAX_RECORDED_ITEMS = 50  # asset ids per action (ActionRequest)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: sort keys sort as their times
MAX_READ_CHARS = 64 * 1024  # cloudivize.api.MAX_BODY_BYTES: a larger body was refused unread
BAD_TOKEN = "This next_token was not issued by this organization's audit trail: start from the first page."  # noqa: S105


@dataclass(frozen=True)
class Entry:
    """What one event says, before it is written."""

    organization_id: str
    actor: Caller
    action: str
    target: dict[str, str | list[str]]
    status: int
    request_id: str

    @property
    def outcome(self) -> Outcome:
        if self.status < 400:
            return "succeeded"
        return "refused" if self.status == 403 else "failed"


class AuditTrail:
    """One organization's events in the audit table: added once each, read newest first."""

    def __init__(self, table: Table, retention_days: int, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._table = table
        self._retention = timedelta(days=retention_days)
        self._now = now

    def add(self, entry: Entry) -> None:
        at = self._now()
        attributes: dict[str, Any] = {
            "kind": EVENT_KIND,
            "time": at.strftime(TIME_FORMAT),
            "organization_id": entry.organization_id,
            "actor_user_id": entry.actor.user_id,
            "sign_in_mode": entry.actor.sign_in_mode,
            "action": entry.action,
            "target": entry.target,
            "outcome": entry.outcome,
            "status": entry.status,
            "request_id": entry.request_id,
            "expires_at": int((at + self._retention).timestamp()),  # DynamoDB TTL: epoch seconds
        }
        if entry.actor.email:
            attributes["actor_email"] = entry.actor.email
        # 64 random bits: no two events share a key, and none can be guessed (to be overwritten) by a writer that
        # cannot read the table.
        key = audit_event_key(entry.organization_id, attributes["time"], secrets.token_hex(8))
        self._table.create(key, attributes)  # PutItem only where no item is: events are never replaced

    def page(
        self, organization_id: str, *, limit: int, next_token: str | None, actor: str | None, action: str | None
    ) -> AuditPage:
        before = _position(next_token, organization_id) if next_token else None
        equal = {name: value for name, value in (("actor_user_id", actor), ("action", action)) if value}
        found, last = self._table.newest_first(audit_partition(organization_id), limit, before=before, equal=equal)
        return AuditPage(
            items=[_event(sort_key, attributes) for sort_key, attributes in found],
            next_token=_token(organization_id, last) if last else None,
        )


def _event(sort_key: str, attributes: Mapping[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=sort_key,
        time=datetime.strptime(attributes["time"], TIME_FORMAT).replace(tzinfo=UTC),
        actor=AuditActor(
            user_id=attributes["actor_user_id"],
            email=attributes.get("actor_email"),
            sign_in_mode=attributes["sign_in_mode"],
        ),
        action=attributes["action"],
        target=attributes.get("target") or {},
        outcome=attributes["outcome"],
        status=int(attributes["status"]),
        request_id=attributes["request_id"],
        organization_id=attributes["organization_id"],
    )


# The token says where the next page starts (the last sort key shown) and whose trail it pages: the partition
# read always comes from the caller's organization, so a token edited to name another one only draws a 400.
def _token(organization_id: str, last_sort_key: str) -> str:
    payload = json.dumps({"organization": organization_id, "before": last_sort_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _position(token: str, organization_id: str) -> str:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        organization, before = decoded["organization"], decoded["before"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise BadRequest(BAD_TOKEN) from None
    if organization != organization_id or not isinstance(before, str) or not before:
        raise BadRequest(BAD_TOKEN)
    return before


# --- what a request's event says --------------------------------------------------------------------------------


def _json_object(text: str | None, *, base64_encoded: bool = False) -> dict[str, Any]:
    """The JSON object in a body, read with the request bodies' own limits (depth, numbers); {} for anything else."""
    if not text or len(text) > MAX_READ_CHARS:
        return {}
    try:
        value = json_body.parse(base64.b64decode(text).decode() if base64_encoded else text)
    except (CloudivizeError, ValueError, binascii.Error):
        return {}
    return value if isinstance(value, dict) else {}


def _recorded(value: Any) -> str | list[str] | None:
    if isinstance(value, str):
        return value[:MAX_RECORDED_CHARS]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return [item[:MAX_RECORDED_CHARS] for item in value[:MAX_RECORDED_ITEMS]]
    return None


def target_of(event: Mapping[str, Any], response: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """The path's ids, the recorded fields of the request body, and the id a create (201) made."""
    target: dict[str, str | list[str]] = {
        name: str(value) for name, value in (event.get("pathParameters") or {}).items()
    }
    sent = _json_object(event.get("body"), base64_encoded=bool(event.get("isBase64Encoded")))
    for name in RECORDED_BODY_FIELDS:
        value = _recorded(sent.get(name))
        if value is not None:
            target[name] = value
    if response.get("statusCode") == 200 and event.get("resource", "").endswith("/sync"):
        target |= sync_target(_json_object(response.get("body")))
    if response.get("statusCode") == 201:
        made = _json_object(response.get("body"))
        created = next((made[name] for name in CREATED_ID_FIELDS if isinstance(made.get(name), str)), None)
        if created is not None:
            target["created_id"] = created[:MAX_RECORDED_CHARS]
    return target


def sync_target(outcome: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """Of a sync's outcome, what the audit trail records: the member connections it added or changed."""
    recorded = {name: _recorded(outcome.get(name)) for name in SYNC_OUTCOME_FIELDS}
    return {name: value for name, value in recorded.items() if value is not None}


def _organization_of(caller: Caller, response: Mapping[str, Any]) -> str | None:
    """Where the event goes: the organization the request acted in; for one it answers (a new organization, an
    invitation accepted, a default chosen), that one."""
    if 200 <= int(response.get("statusCode") or 0) < 300:
        made = _json_object(response.get("body"))
        if isinstance(made.get("organization_id"), str):
            return made["organization_id"]
    return caller.tenant_id


def record_request(
    event: Mapping[str, Any],
    response: Mapping[str, Any],
    caller: Caller | None,
    request_id: str,
    trail: Callable[[], AuditTrail | None],
) -> None:
    """Add the request's event to the trail if its route is audited and its organization is known."""
    rule = route_policy().get(f"{event.get('httpMethod', '')} {event.get('resource', '')}")
    if rule is None or rule.audit is None or caller is None:
        return
    organization_id = _organization_of(caller, response)
    if organization_id is None:
        return
    entry = Entry(
        organization_id=organization_id,
        actor=caller,
        action=rule.audit,
        target=target_of(event, response),
        status=int(response.get("statusCode", 500)),
        request_id=request_id,
    )
    try:
        destination = trail()
        if destination is None:
            raise LookupError("no audit table is configured for this function")
        destination.add(entry)
    except Exception as error:  # noqa: BLE001 - the answer stands (the change happened): tell the operator
        logger.error(
            "Audit event not written",
            extra={"action": entry.action, "status": entry.status, "error": type(error).__name__},
        )
        count("AuditWriteFailed")
