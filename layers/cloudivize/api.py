"""The HTTP layer every API function shares: one resolver factory, one error mapping, the request id.

Handlers declare routes on a Powertools ``Router``; ``build_resolver`` turns routers into an
``APIGatewayRestResolver`` with OpenAPI validation and the problem+json mapping below, and ``handle`` is the
body of every API ``lambda_handler``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import CORSConfig, ResponseBuilder
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.event_handler.util import extract_origin_header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudivize.audit import record_request
from cloudivize.composition import backend
from cloudivize.config import CorsSettings, cors_settings
from cloudivize.errors import PROBLEM_CONTENT_TYPE, CloudivizeError, PayloadTooLarge, problem_body
from cloudivize.json_body import read_json_body
from cloudivize.models.connections import PROVIDERS
from cloudivize.observability import logger, metrics, tracer
from cloudivize.openapi import published_document
from cloudivize.tenancy import Caller, RoleRefused, acting_as, authorize

REQUEST_ID_HEADER = "X-Request-Id"
# Far above any valid request (a connection or settings document is a few KiB), far below API Gateway's 10 MB.
MAX_BODY_BYTES = 64 * 1024
API_TITLE = "Cloudivize API"
# The path parameter of every /connections/{connection_id}/... route.
ConnectionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
API_VERSION = "1"


def problem_response(problem: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    # Powertools only serializes bodies whose type is exactly application/json, so serialize here.
    return Response(
        status_code=problem["status"],
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(problem),
        headers=headers,
    )


def _message(error: Any) -> str:
    return str(error.get("msg", "Invalid value")).removeprefix("Value error, ")


def validation_problem(errors: Sequence[Any]) -> dict[str, Any]:
    """422 naming each bad field; never echoes the input (it may hold a secret)."""
    fields = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        where, path = (location[0], location[1:]) if location else ("body", [])
        # A discriminated union puts the provider tag into the location; the customer's field has no such level.
        path = [part for part in path if part not in PROVIDERS]
        if str(error.get("type", "")).startswith("union_tag_"):
            # The discriminator itself is missing or unknown: name it.
            path = [*path, str((error.get("ctx") or {}).get("discriminator", "provider")).strip("'")]
        fields.append(
            {
                "field": ".".join(path) or where,
                "in": where,
                "type": error.get("type", "invalid"),
                "message": _message(error),
            }
        )
    names = ", ".join(sorted({field["field"] for field in fields}))
    return problem_body(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "Validation failed",
        f"Fix these fields and retry: {names}.",
        slug="validation",
        errors=fields,
    )


def _on_validation_error(error: RequestValidationError) -> Response:
    errors = error.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            problem_body(
                HTTPStatus.BAD_REQUEST,
                "Malformed JSON",
                "The request body is not valid JSON.",
                slug="malformed-json",
                errors=[{"field": "body", "in": "body", "type": "json_invalid", "message": "JSON decode error"}],
            )
        )
    return problem_response(validation_problem(errors))


def _on_domain_error(error: CloudivizeError) -> Response:
    if error.status >= 500:
        logger.error("Request failed", extra={"problem": error.slug})
    else:
        logger.info("Request refused", extra={"status": error.status, "problem": error.slug})
    return problem_response(error.to_problem())


def _on_not_found(_: NotFoundError) -> Response:
    return problem_response(problem_body(HTTPStatus.NOT_FOUND, "Not found", "No such route.", slug="not-found"))


def _on_unexpected(_: Exception) -> Response:
    # The traceback goes to the log (for us); the caller gets the request id to quote, nothing more.
    logger.exception("Unhandled error")
    return problem_response(
        problem_body(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "Internal error",
            "Something went wrong on our side. Quote the X-Request-Id header if you contact support.",
            slug="internal",
        )
    )


def cors_config(settings: CorsSettings | None = None) -> CORSConfig | None:
    """Powertools' CORS headers for the configured origins (``CORS_ALLOWED_ORIGINS``), or None when there are none.

    Powertools adds them to a response only when the request's Origin is one of them, and to the responses of the
    exception handlers too (the problem+json a page must read); the preflight is API Gateway's (a mock integration).
    """
    settings = settings or cors_settings()
    if not settings.allowed_origins:
        return None
    first, *others = settings.allowed_origins
    return CORSConfig(
        allow_origin=first,
        extra_origins=others,
        allow_headers=list(settings.allow_headers),
        expose_headers=list(settings.expose_headers),
        max_age=settings.max_age_seconds,
        allow_credentials=False,  # bearer tokens, never cookies
    )


def _with_cors(response: Response, event: dict[str, Any]) -> Response:
    """``response`` with the CORS headers Powertools adds, for a request refused without resolving it."""
    cors = cors_config()
    if cors is not None:
        origin = extract_origin_header(APIGatewayProxyEvent(event).resolved_headers_field)
        response.headers.update(cors.to_dict(cors.allowed_origin(origin)))  # nothing for a disallowed origin
    return response


def build_resolver(*routers: Router) -> APIGatewayRestResolver:
    """A REST resolver with OpenAPI validation, CORS, the given routes and Cloudivize's error mapping."""
    app = APIGatewayRestResolver(enable_validation=True, cors=cors_config())
    for router in routers:
        app.include_router(router)
    app.exception_handler(RequestValidationError)(_on_validation_error)
    app.exception_handler(CloudivizeError)(_on_domain_error)
    app.not_found(_on_not_found)
    app.exception_handler(Exception)(_on_unexpected)
    return app


def openapi_json(*routers: Router) -> str:
    """The published OpenAPI 3 document of the routes: generated, then completed by ``cloudivize.openapi``."""
    return published_document(build_resolver(*routers), title=API_TITLE, version=API_VERSION)


def api_handler(
    *routers: Router, on_invoke: Callable[[LambdaContext], None] | None = None
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The ``lambda_handler`` of an API function serving ``routers``: logging context, tracing, request id."""
    app = build_resolver(*routers)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if on_invoke is not None:
            on_invoke(context)
        return handle(app, event, context)

    return lambda_handler


def _readable(event: dict[str, Any]) -> dict[str, Any]:
    """The event if its body may be resolved: not too large (413), JSON (415), decodable (400)."""
    if len(event.get("body") or "") > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    return read_json_body(event)


def _authorized(event: dict[str, Any]) -> Caller:
    """The caller, allowed by the route's rule in the organization the request acts in (``cloudivize.tenancy``)."""
    service = backend()
    return authorize(event, roles_of=service.memberships.of_user, organization_name=service.tenants.name)


def handle(app: APIGatewayRestResolver, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Authorize and resolve one API Gateway event, stamp the response with the request id, and add the request to
    the audit trail when its route is audited (``cloudivize.audit``)."""
    caller: Caller | None = None
    try:
        caller = _authorized(event)
        readable = _readable(event)
    except CloudivizeError as refused:
        # Refused before resolving, through the one error mapping: no route runs for a caller without the role,
        # nor sees a body it cannot trust.
        if isinstance(refused, RoleRefused):
            caller = refused.caller  # a member, refused in their organization: that is audited
        result = ResponseBuilder(_with_cors(_on_domain_error(refused), event)).build(APIGatewayProxyEvent(event))
    else:
        with acting_as(caller):
            result = app.resolve(readable, context)
    request_id = (event.get("requestContext") or {}).get("requestId") or getattr(context, "aws_request_id", "")
    if "multiValueHeaders" in result:
        result["multiValueHeaders"][REQUEST_ID_HEADER] = [request_id]
    else:
        result.setdefault("headers", {})[REQUEST_ID_HEADER] = request_id
    record_request(event, result, caller, request_id, lambda: backend().audit_trail)
    return result
