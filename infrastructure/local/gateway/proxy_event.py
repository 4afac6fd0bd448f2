"""The REST API proxy event, built the way API Gateway builds it from an HTTP request and the authorizer's claims.

Handlers are written against this shape; keeping them faithful (nulls where AWS sends null, every claim
a string) is what makes a handler that passes locally behave the same behind the real API Gateway.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from infrastructure.routes import Route

# Claims that API Gateway's Cognito authorizer renders as dates (Java's Date.toString, always in UTC).
_DATE_CLAIMS = frozenset({"exp", "iat"})


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as it reached the gateway."""

    method: str
    raw_path: str  # as sent, still percent-encoded, without the query string
    query: str
    headers: tuple[tuple[str, str], ...]  # in order, repeated names kept
    body: bytes
    source_ip: str

    def header(self, name: str) -> str | None:
        """The last value of a header (names are case-insensitive), as API Gateway's `headers` keeps it."""
        found = None
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found


@dataclass(frozen=True)
class ApiStage:
    """Where the API is "deployed": what API Gateway puts in the request context."""

    account_id: str
    api_id: str
    stage: str


def api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """The token's claims as API Gateway's Cognito authorizer passes them on: a flat map of strings."""
    return {name: _claim_as_string(name, value) for name, value in claims.items()}


def _claim_as_string(name: str, value: Any) -> str:
    if name in _DATE_CLAIMS and isinstance(value, int | float):
        return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)  # e.g. cognito:groups arrives as "admins,readers"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))  # e.g. identities
    return str(value)


def rest_proxy_event(
    request: HttpRequest,
    route: Route,
    path_parameters: Mapping[str, str],
    claims: Mapping[str, str] | None,
    *,
    stage: ApiStage,
    request_id: str,
    received_at: float,
) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy integration event for ``request`` matched to ``route``."""
    headers = {name: value for name, value in request.headers}  # later values win, as in API Gateway
    multi_headers = _grouped(request.headers)
    query_pairs = parse_qsl(request.query, keep_blank_values=True)
    body, is_base64 = _event_body(request.body)
    domain_name = request.header("Host") or "localhost"  # the name the client called, as in API Gateway
    request_context: dict[str, Any] = {
        "accountId": stage.account_id,
        "apiId": stage.api_id,
        "resourceId": _resource_id(route.path),
        "resourcePath": route.path,
        "httpMethod": request.method,
        "path": f"/{stage.stage}{request.raw_path}",
        "stage": stage.stage,
        "protocol": "HTTP/1.1",
        "domainName": domain_name,
        "domainPrefix": stage.api_id,
        "requestId": request_id,
        "extendedRequestId": request_id,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(received_at)),
        "requestTimeEpoch": int(received_at * 1000),
        "identity": _caller_identity(request),
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": dict(claims)}
    return {
        "resource": route.path,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {name: value for name, value in query_pairs} or None,
        "multiValueQueryStringParameters": _grouped(query_pairs) or None,
        # The route matched the raw path segment by segment; API Gateway decodes each parameter.
        "pathParameters": {name: unquote(value) for name, value in path_parameters.items()} or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _grouped(pairs: Any) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _event_body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def _resource_id(resource_path: str) -> str:
    # API Gateway gives every resource a stable short id; derive one so it is stable across restarts too.
    return hashlib.sha256(resource_path.encode()).hexdigest()[:6]


def _caller_identity(request: HttpRequest) -> dict[str, Any]:
    unused = (
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "principalOrgId",
        "accessKey",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "user",
    )
    identity: dict[str, Any] = dict.fromkeys(unused)
    identity.update(sourceIp=request.source_ip, userAgent=request.header("User-Agent"))
    return identity
