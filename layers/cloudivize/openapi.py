"""The published OpenAPI document: every status an operation answers, with its real media type and headers.

Powertools generates the paths, parameters and pydantic schemas from the handlers. What it cannot see is added
here, each fact in one place:

* next to each route, in its decorator's ``responses=``: the success it answers (``ok``, ``created``,
  ``no_content``) and the problems its use case raises (``problems(404, 412, 428)``);
* here: the statuses every operation can answer whatever its code (API Gateway's and the local gateway's own
  answers, ``GATEWAY_STATUSES``), those of every operation with a body or with parameters, the one RFC 9457
  ``Problem`` schema, one shared response per problem status, the headers, and the bearer security scheme.

Problem responses declared inline by ``problems()`` are replaced by ``$ref``s to the shared ones, and Powertools'
own 422 (FastAPI's ``HTTPValidationError``, which this API never answers) is removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cloudivize.errors import PROBLEM_CONTENT_TYPE
from cloudivize.json_body import BODY_METHODS
from cloudivize.tenancy import ORGANIZATION_HEADER

JSON_CONTENT_TYPE = "application/json"
BEARER_SCHEME = "CognitoIdToken"
PROBLEM_SCHEMA = "Problem"
FIELD_ERROR_SCHEMA = "FieldError"
_SCHEMAS = "#/components/schemas/"
_RESPONSES = "#/components/responses/"
_HEADERS = "#/components/headers/"

REQUEST_ID_HEADER = "X-Request-Id"  # the same name as cloudivize.api.REQUEST_ID_HEADER (a test keeps them equal)
MAX_BODY_KIB = 64  # cloudivize.api.MAX_BODY_BYTES, in the words of the 413's description


@dataclass(frozen=True)
class ProblemStatus:
    component: str  # the name of its shared response, #/components/responses/<component>
    description: str
    headers: tuple[str, ...] = ()  # besides X-Request-Id, which every response carries


PROBLEM_STATUSES: dict[int, ProblemStatus] = {
    400: ProblemStatus(
        "BadRequest",
        "The request cannot be read: its body is not valid JSON, or a value contradicts the request (a next_token "
        "this listing did not issue, a body version and an If-Match that disagree, a time range CloudTrail "
        "refuses). `errors` names the field when there is one.",
    ),
    401: ProblemStatus(
        "Unauthorized",
        "No ID token, or one that is not valid for this API (signature, issuer, audience, expiry, token use): "
        "sign in again and send `Authorization: Bearer <ID token>`.",
        ("WWW-Authenticate",),
    ),
    403: ProblemStatus(
        "Forbidden",
        "Refused: the caller's organisation is still being set up (sign in again in a moment), API Gateway or its "
        "firewall refused the request, or the customer's cloud refused what was asked (`missing_permission` names "
        "the permission to grant).",
    ),
    404: ProblemStatus(
        "NotFound",
        "No such connection in your organisation (one of another organisation answers the same).",
    ),
    405: ProblemStatus(
        "MethodNotAllowed",
        "The path does not answer this method; `Allow` lists the methods it does.",
        ("Allow",),
    ),
    409: ProblemStatus(
        "Conflict",
        "Conflicts with the current state: a request with the same Idempotency-Key is still in progress "
        "(retry shortly), or the connection exists already.",
    ),
    412: ProblemStatus(
        "PreconditionFailed",
        "The connection changed since you read it: read it again, reapply your change and retry.",
    ),
    413: ProblemStatus("PayloadTooLarge", f"The request body is larger than {MAX_BODY_KIB} KiB."),
    414: ProblemStatus("UriTooLong", "The request line is too long: send fewer or shorter query parameters."),
    415: ProblemStatus("UnsupportedMediaType", f"The request body is not `{JSON_CONTENT_TYPE}`."),
    422: ProblemStatus(
        "Unprocessable",
        "A parameter or body field is invalid (`errors` names each, without echoing the value), or the request is "
        "well formed but cannot be carried out: the connection could not be verified live (`checks` says why; "
        "nothing was stored), the action or field does not apply to this provider, or an Idempotency-Key was "
        "reused with another body.",
    ),
    428: ProblemStatus(
        "PreconditionRequired",
        'Send the version you read, as "version" in the body or as an If-Match header.',
    ),
    429: ProblemStatus("TooManyRequests", "Throttled by API Gateway (stage limits or quota): retry with backoff."),
    500: ProblemStatus(
        "InternalError",
        f"Something went wrong on Cloudivize's side: quote the {REQUEST_ID_HEADER} header if you report it.",
    ),
    502: ProblemStatus("BadGateway", "The function behind the route returned a response the gateway cannot send."),
    503: ProblemStatus(
        "ServiceUnavailable",
        "Something Cloudivize depends on cannot be reached right now or is throttling (the customer's cloud, Azure, "
        "the keys that verify tokens), or the feature is not configured on this deployment: nothing was changed; "
        "retry later.",
    ),
    504: ProblemStatus("GatewayTimeout", "The function did not answer within API Gateway's integration timeout."),
}

# What any operation can answer before or around its function: the authorizer (401), API Gateway's refusals and
# firewall (403), a method the path does not serve (405, local gateway), a request line too long (414), throttling
# (429), the function failing,
# answering malformed or not in time (500, 502, 504), and signing keys out of reach (503, local gateway).
# infrastructure/api.py (GATEWAY_PROBLEMS) and infrastructure/local/gateway/proxy.py answer these; a test keeps
# GATEWAY_PROBLEMS covered.
GATEWAY_STATUSES: tuple[int, ...] = (401, 403, 405, 414, 429, 500, 502, 503, 504)
# What any operation with a request body can answer: not JSON (400), too large (413, the function's limit and
# API Gateway's), not declared as JSON (415), a field invalid (422).
BODY_STATUSES: tuple[int, ...] = (400, 413, 415, 422)
# What any operation with path, query or header parameters can answer: a parameter invalid.
PARAMETER_STATUSES: tuple[int, ...] = (422,)


@dataclass(frozen=True)
class HeaderComponent:
    component: str
    definition: dict[str, Any]


HEADERS: dict[str, HeaderComponent] = {
    REQUEST_ID_HEADER: HeaderComponent(
        "RequestId",
        {
            "description": "The id of this request (API Gateway's request id): quote it when you report a problem.",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        },
    ),
    "ETag": HeaderComponent(
        "ETag",
        {
            "description": 'The connection\'s version as an entity tag, e.g. `"3"`: send it back as If-Match '
            '(or as "version") to change the connection.',
            "required": True,
            "schema": {"type": "string", "pattern": r'^"[0-9]+"$'},
        },
    ),
    "Location": HeaderComponent(
        "Location",
        {
            "description": "The path of what was created: `/connections/{connection_id}`, or `/organization` (the "
            "new organization, with `X-Cloudivize-Organization` naming it).",
            "required": True,
            "schema": {"type": "string", "pattern": "^/(connections/[A-Za-z0-9-]+|organization)$"},
        },
    ),
    "WWW-Authenticate": HeaderComponent(
        "WWWAuthenticate",
        {
            "description": 'The bearer challenge (RFC 6750): `Bearer`, or `Bearer error="invalid_token"` when the '
            "token sent was refused.",
            "required": False,
            "schema": {"type": "string"},
        },
    ),
    "Allow": HeaderComponent(
        "Allow",
        {
            "description": "The methods the path answers, e.g. `DELETE, GET, PATCH`.",
            "required": True,
            "schema": {"type": "string"},
        },
    ),
}

FIELD_ERROR: dict[str, Any] = {
    "type": "object",
    "title": FIELD_ERROR_SCHEMA,
    "description": "One invalid field. The value sent is never echoed (it may be a secret).",
    "required": ["field", "in", "type", "message"],
    "properties": {
        "field": {"type": "string", "description": "The field's dotted path, e.g. `regions.0`, or its location."},
        "in": {"type": "string", "enum": ["body", "query", "path", "header"], "description": "Where the field is."},
        "type": {"type": "string", "description": "What is wrong, as a stable code, e.g. `missing`, `json_invalid`."},
        "message": {"type": "string", "description": "What is wrong, for a person."},
    },
    "examples": [
        {"field": "regions.0", "in": "body", "type": "value_error", "message": "'mars-1' is not an AWS region"}
    ],
}

PROBLEM: dict[str, Any] = {
    "type": "object",
    "title": PROBLEM_SCHEMA,
    "description": "An RFC 9457 problem document: what went wrong and what to do about it, never a secret.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": "What kind of problem: `https://cloudivize.com/problems/<kind>`, or `about:blank`.",
        },
        "title": {"type": "string", "description": "The kind of problem, for a person."},
        "status": {"type": "integer", "minimum": 100, "maximum": 599, "description": "The HTTP status."},
        "detail": {"type": "string", "description": "What went wrong in this request and what to change."},
        "errors": {
            "type": "array",
            "items": {"$ref": _SCHEMAS + FIELD_ERROR_SCHEMA},
            "description": "The invalid fields (422, and 400 for an unreadable body).",
        },
        "checks": {
            "type": "array",
            "items": {"$ref": _SCHEMAS + "Check"},
            "description": "Verification that failed (422): every check and its outcome.",
        },
        "missing_permission": {"type": "string", "description": "The permission the customer's cloud refused (403)."},
        "role_needed": {
            "type": "string",
            "enum": ["viewer", "operator", "admin", "owner"],
            "description": "The role in the organization the request needs (403 from Cloudivize).",
        },
        "aws_error": {"type": "string", "description": "The error code AWS answered."},
        "azure_error": {"type": "string", "description": "The error code Microsoft Entra ID or Azure answered."},
        "azure_endpoint": {"type": "string", "description": "The Azure host that could not be reached (503)."},
    },
    "examples": [
        {
            "type": "https://cloudivize.com/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "No connection '6f1c2d3e-0000-4000-8000-000000000000' in your organisation.",
        }
    ],
}

SECURITY_SCHEME: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "The ID token (not the access token) Cognito issues when a Cloudivize user signs in. "
    "Locally, `python -m infrastructure.local token` prints one for the demo user.",
}

SERVERS: list[dict[str, str]] = [
    {
        "url": "/",
        "description": "The host that serves this document: the deployed API's stage URL (…/v1) or the local stack",
    }
]

API_DESCRIPTION = (
    "Cloudivize's REST API. Every operation needs a Cognito ID token as a bearer token. Errors are RFC 9457 "
    "`application/problem+json` documents; every response carries `X-Request-Id`."
)


# --- what a route declares in its decorator's responses= ---------------------------------------------------------
def _header_refs(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: {"$ref": _HEADERS + HEADERS[name].component} for name in (REQUEST_ID_HEADER, *names)}


def ok(description: str, *, headers: tuple[str, ...] = ()) -> dict[int, dict[str, Any]]:
    """200 with the handler's return model as JSON (Powertools fills in the schema)."""
    return {200: {"description": description, "headers": _header_refs(headers)}}


def created(description: str, *, headers: tuple[str, ...] = ("Location", "ETag")) -> dict[int, dict[str, Any]]:
    """201 with the new resource as JSON, where it lives (Location) and its version (ETag); ``headers=()`` for
    one that has neither (an invitation: read by nobody at its own path, never changed)."""
    return {201: {"description": description, "headers": _header_refs(headers)}}


def no_content(description: str) -> dict[int, dict[str, Any]]:
    """204: no body."""
    return {204: {"description": description, "headers": _header_refs(()), "content": {}}}


def problems(*statuses: int) -> dict[int, dict[str, Any]]:
    """The problem+json answers a route's use case raises, beyond those every operation can answer."""
    return {status: _problem_response(status) for status in statuses}


def _problem_response(status: int) -> dict[str, Any]:
    known = PROBLEM_STATUSES[status]
    return {
        "description": known.description,
        "headers": _header_refs(known.headers),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": _SCHEMAS + PROBLEM_SCHEMA}}},
    }


# --- the document ---------------------------------------------------------------------------------------------------
def published_document(resolver: Any, *, title: str, version: str) -> str:
    """The OpenAPI 3.1 JSON of ``resolver``'s routes (a Powertools resolver), stable from run to run."""
    generated = json.loads(resolver.get_openapi_json_schema(title=title, version=version))
    return json.dumps(complete(generated), indent=2, ensure_ascii=False) + "\n"


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools' document with what it cannot see (see the module's docstring)."""
    document["info"]["description"] = API_DESCRIPTION
    document["servers"] = SERVERS
    document["security"] = [{BEARER_SCHEME: []}]
    components = document.setdefault("components", {})
    for _, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            parameter["schema"] = _without_null(parameter["schema"])
        operation["responses"] = _responses(operation, method)
        # Read before any route runs (cloudivize.tenancy), so every operation takes it.
        operation.setdefault("parameters", []).append(ORGANIZATION_PARAMETER)
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)  # FastAPI's 422 shape: this API answers problem+json instead
    schemas[PROBLEM_SCHEMA] = PROBLEM
    schemas[FIELD_ERROR_SCHEMA] = FIELD_ERROR
    components["schemas"] = dict(sorted(schemas.items()))
    components["responses"] = {
        known.component: _problem_response(status) for status, known in sorted(PROBLEM_STATUSES.items())
    }
    components["headers"] = {header.component: header.definition for header in HEADERS.values()}
    components["securitySchemes"] = {BEARER_SCHEME: SECURITY_SCHEME}
    return document


# The organization a request acts in (cloudivize.tenancy): every operation takes it, and answers 404 when it names
# one the caller is not a member of (exactly as one that does not exist), or, for an operation acting in an
# organization, when the caller belongs to none they name.
ORGANIZATION_PARAMETER: dict[str, Any] = {
    "name": ORGANIZATION_HEADER,
    "in": "header",
    "required": False,
    "description": "The organization the request acts in (`organization_id`); without it, your default one",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"},
}
ORGANIZATION_STATUSES: tuple[int, ...] = (404,)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's schema without pydantic's ``null`` alternative: a parameter left out is how a
    query or header says "none" (a client sending the text ``null`` would be refused)."""
    variants = [variant for variant in schema.get("anyOf", ()) if variant != {"type": "null"}]
    if len(variants) != 1 or len(variants) == len(schema.get("anyOf", ())):
        return schema
    kept = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**variants[0], **kept}


def _responses(operation: dict[str, Any], method: str) -> dict[str, Any]:
    declared: dict[str, Any] = operation["responses"]
    statuses = {int(status): response for status, response in declared.items() if not _is_powertools_422(response)}
    implied = list(GATEWAY_STATUSES) + list(ORGANIZATION_STATUSES)
    # A body sent with any POST, PUT or PATCH is read as JSON first (cloudivize.json_body), even where the
    # operation takes none (POST .../verify): the same refusals apply.
    if "requestBody" in operation or method.upper() in BODY_METHODS:
        implied += BODY_STATUSES
    if operation.get("parameters"):
        implied += PARAMETER_STATUSES
    for status in implied:
        statuses.setdefault(status, _problem_response(status))
    answered: dict[str, Any] = {}
    for status, response in sorted(statuses.items()):
        if PROBLEM_CONTENT_TYPE in response.get("content", {}):
            answered[str(status)] = {"$ref": _RESPONSES + PROBLEM_STATUSES[status].component}
        else:
            if not response.get("content"):
                response.pop("content", None)  # 204: no body, not an empty JSON one
            response.setdefault("headers", {}).update(_header_refs(()))
            answered[str(status)] = response
    return answered


def _is_powertools_422(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get(JSON_CONTENT_TYPE, {}).get("schema", {})
    return schema.get("$ref") == _SCHEMAS + "HTTPValidationError"
