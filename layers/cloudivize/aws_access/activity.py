"""What Cloudivize did in a customer's account, from their own CloudTrail (GET .../activity)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from cloudivize.aws_access import SESSION_NAME
from cloudivize.aws_access.failures import THROTTLED_CODES, denied, error_code, is_denied, throttled
from cloudivize.aws_access.sessions import CustomerSession
from cloudivize.errors import BadRequest
from cloudivize.models.assets import ActivityEvent, ActivityPage


def _event(raw: dict[str, Any]) -> ActivityEvent:
    detail = json.loads(raw.get("CloudTrailEvent") or "{}")
    session_context = (detail.get("userIdentity") or {}).get("sessionContext") or {}
    return ActivityEvent(
        id=raw["EventId"],
        time=raw["EventTime"],
        name=raw["EventName"],
        source=raw.get("EventSource"),
        username=raw.get("Username"),
        source_identity=session_context.get("sourceIdentity"),
        read_only=str(raw.get("ReadOnly", "")).lower() == "true" if raw.get("ReadOnly") is not None else None,
        error_code=detail.get("errorCode"),
        resources=[
            {"type": r.get("ResourceType", ""), "name": r.get("ResourceName", "")} for r in raw.get("Resources", [])
        ],
    )


def cloudivize_activity(
    session: CustomerSession,
    *,
    region: str,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    next_token: str | None,
) -> ActivityPage:
    query: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": SESSION_NAME}],
        "MaxResults": limit,
    }
    if start:
        query["StartTime"] = start
    if end:
        query["EndTime"] = end
    if next_token:
        query["NextToken"] = next_token
    try:
        response = session.client("cloudtrail", region).lookup_events(**query)
    except ClientError as error:
        if is_denied(error):
            raise denied("cloudtrail:LookupEvents", session.role_arn, error) from None
        if error_code(error) in THROTTLED_CODES:
            raise throttled() from None
        if error_code(error) in ("InvalidNextTokenException", "InvalidTimeRangeException"):
            raise BadRequest("The time range or next_token is not valid for this account's CloudTrail.") from None
        raise
    return ActivityPage(items=[_event(e) for e in response.get("Events", [])], next_token=response.get("NextToken"))
