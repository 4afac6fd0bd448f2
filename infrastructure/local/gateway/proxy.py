"""The local API Gateway: route, authorize, build the proxy event, invoke, translate the result.

Request in, response out, no sockets (``api_server`` moves the bytes). Everything the gateway answers
itself is problem+json, and every response carries the request id that the event carried. CORS as deployed
(``resources.CorsPolicy``): routed paths answer their preflight without a token, and the gateway's own responses
carry the headers the deployed gateway responses carry; the functions' responses carry Powertools' own.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from http import HTTPStatus
from typing import Any, Protocol

from cloudivize.errors import PROBLEM_CONTENT_TYPE, problem_body
from infrastructure.local.gateway.authorizer import SigningKeysUnavailable, Unauthorized
from infrastructure.local.gateway.docs import DOCS_PATH, OPENAPI_PATH, SWAGGER_UI_PAGE
from infrastructure.local.gateway.proxy_event import ApiStage, HttpRequest, api_gateway_claims, rest_proxy_event
from infrastructure.resources import NO_CORS, PREFLIGHT_STATUS, CorsPolicy, FromRequestHeader
from infrastructure.routes import allowed_methods, match_route

# docs/architecture.md. The same name as cloudivize.api.REQUEST_ID_HEADER, which cannot be imported here: it loads
# Powertools, which must first see the handler environment (a unit test keeps the two equal).
REQUEST_ID_HEADER = "X-Request-Id"

log = logging.getLogger(__name__)

# The methods API Gateway routes (its ANY). Methods are case-sensitive (RFC 9110): `get` is not one of them.
GATEWAY_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})

Invoke = Callable[[str, dict[str, Any]], Any]


class Authorizer(Protocol):
    def claims(self, authorization: str | None) -> dict[str, Any]:
        """The verified token's claims; raises ``Unauthorized`` or ``SigningKeysUnavailable``."""
        ...


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # Made by the gateway itself (deployed: a gateway response), not by a method's integration.
    made_by_gateway: bool = True

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def with_header(self, name: str, value: str) -> HttpResponse:
        kept = tuple((key, old) for key, old in self.headers if key.lower() != name.lower())
        return replace(self, headers=(*kept, (name, value)))


class MalformedProxyResult(Exception):
    """The function returned something API Gateway could not turn into a response."""


class LocalApiGateway:
    def __init__(
        self,
        *,
        authorizer: Authorizer,
        invoke: Invoke,
        stage: ApiStage,
        openapi: Callable[[], str],
        cors: CorsPolicy = NO_CORS,
    ) -> None:
        self._authorizer = authorizer
        self._invoke = invoke
        self._stage = stage
        self._openapi = cache(openapi)  # the handlers do not change while the stack runs
        self._cors = cors

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        started = time.time()
        try:
            response = self._respond(request, request_id, started)
        except Exception:  # noqa: BLE001 - the server's boundary: log it, answer 500, keep serving
            log.exception("Request %s failed", request_id)
            response = _internal_error()
        return self._sent(request, response, request_id, started)

    def refuse(self, request: HttpRequest, status: HTTPStatus, title: str, detail: str, slug: str) -> HttpResponse:
        """Answer a request the HTTP layer cannot hand on (e.g. an oversized body), with a request id too."""
        request_id = str(uuid.uuid4())
        return self._sent(request, _problem(status, title, detail, slug=slug), request_id, time.time())

    def _sent(self, request: HttpRequest, response: HttpResponse, request_id: str, started: float) -> HttpResponse:
        elapsed_ms = (time.time() - started) * 1000
        # The path only: the query string or a header could carry a secret.
        log.info(
            "%s %s -> %d (%.0f ms) request_id=%s",
            request.method,
            request.raw_path,
            response.status,
            elapsed_ms,
            request_id,
        )
        if response.made_by_gateway:
            response = self._with_gateway_response_cors(request, response)
        return response.with_header(REQUEST_ID_HEADER, request_id)

    def _with_gateway_response_cors(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        for name, value in self._cors.gateway_response_headers().items():
            if isinstance(value, FromRequestHeader):
                value = request.header(value.name)
            if value:
                response = response.with_header(name, value)
        return response

    def _preflight(self, request: HttpRequest) -> HttpResponse:
        """What the deployed OPTIONS mock integration answers: no token needed, no function invoked."""
        headers = self._cors.preflight_headers(request.raw_path)
        origin = self._cors.allow_origin(request.header("Origin"))
        if origin is not None:
            headers["Access-Control-Allow-Origin"] = origin
        return HttpResponse(PREFLIGHT_STATUS, tuple(headers.items()), b"", made_by_gateway=False)

    def _respond(self, request: HttpRequest, request_id: str, received_at: float) -> HttpResponse:
        if request.method not in GATEWAY_METHODS:
            return _unknown_method(request)
        if request.method == "GET" and request.raw_path == OPENAPI_PATH:
            return _content(HTTPStatus.OK, "application/json", self._openapi().encode())
        if request.method == "GET" and request.raw_path == DOCS_PATH:
            return _content(HTTPStatus.OK, "text/html; charset=utf-8", SWAGGER_UI_PAGE.encode())

        if request.method == "OPTIONS" and self._cors.enabled and allowed_methods(request.raw_path):
            return self._preflight(request)
        found = match_route(request.method, request.raw_path)
        if found is None:
            return _no_route(request)
        route, path_parameters = found

        try:
            claims = self._authorizer.claims(request.header("Authorization"))
        except Unauthorized as refusal:
            return _unauthorized(str(refusal), token_sent=bool(request.header("Authorization")))
        except SigningKeysUnavailable:
            log.exception("The user pool's signing keys could not be fetched")
            return _problem(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "Service unavailable",
                "Tokens cannot be verified right now: retry shortly.",
                slug="unavailable",
            )

        event = rest_proxy_event(
            request,
            route,
            path_parameters,
            api_gateway_claims(claims),
            stage=self._stage,
            request_id=request_id,
            received_at=received_at,
        )
        try:
            result = self._invoke(route.function, event)
        except Exception:  # noqa: BLE001 - a crashing function is a 500 to the caller, as in AWS
            log.exception("Function %s failed on request %s", route.function, request_id)
            return _internal_error()
        try:
            return response_from_proxy_result(result)
        except MalformedProxyResult as error:
            log.error("Function %s returned a malformed result on request %s: %s", route.function, request_id, error)
            return _problem(
                HTTPStatus.BAD_GATEWAY, "Bad gateway", "The function returned an invalid response.", slug="bad-gateway"
            )


def response_from_proxy_result(result: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a Lambda proxy integration result."""
    if not isinstance(result, Mapping):
        raise MalformedProxyResult(f"expected an object, got {type(result).__name__}")
    try:
        status = int(result["statusCode"])
    except (KeyError, TypeError, ValueError):
        raise MalformedProxyResult("statusCode is missing or not a number") from None
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise MalformedProxyResult("body must be a string")
    try:
        payload = base64.b64decode(body, validate=True) if result.get("isBase64Encoded") else body.encode()
    except binascii.Error:
        raise MalformedProxyResult("isBase64Encoded is set but the body is not base64") from None
    return HttpResponse(status, _merged_headers(result), payload, made_by_gateway=False)


def _merged_headers(result: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    # API Gateway merges both maps; for a name in both, only multiValueHeaders' values are sent.
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    merged = [(name, str(value)) for name, values in multi.items() for value in values]
    overridden = {name.lower() for name in multi}
    merged += [(name, str(value)) for name, value in single.items() if name.lower() not in overridden]
    return tuple(merged)


def _no_route(request: HttpRequest) -> HttpResponse:
    allowed = allowed_methods(request.raw_path)
    if not allowed:
        return _problem(HTTPStatus.NOT_FOUND, "Not found", f"No route serves {request.raw_path}.", slug="not-found")
    response = _problem(
        HTTPStatus.METHOD_NOT_ALLOWED,
        "Method not allowed",
        f"{request.raw_path} answers {', '.join(allowed)}, not {request.method}.",
        slug="method-not-allowed",
    )
    return response.with_header("Allow", ", ".join(allowed))


def _unknown_method(request: HttpRequest) -> HttpResponse:
    # Answered like a known method the path does not serve, whatever the path (CONNECT's target is none).
    allowed = allowed_methods(request.raw_path)
    served = f"; {request.raw_path} answers {', '.join(allowed)}" if allowed else ""
    response = _problem(
        HTTPStatus.METHOD_NOT_ALLOWED,
        "Method not allowed",
        f"{request.method} is not a method this API answers{served}.",
        slug="method-not-allowed",
    )
    return response.with_header("Allow", ", ".join(allowed))


def _unauthorized(detail: str, *, token_sent: bool) -> HttpResponse:
    # RFC 6750: name the error only when a token was presented.
    challenge = 'Bearer error="invalid_token"' if token_sent else "Bearer"
    response = _problem(HTTPStatus.UNAUTHORIZED, "Unauthorized", detail, slug="unauthorized")
    return response.with_header("WWW-Authenticate", challenge)


def _internal_error() -> HttpResponse:
    return _problem(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "Internal error",
        f"Something went wrong on our side. Quote the {REQUEST_ID_HEADER} header if you report it.",
        slug="internal",
    )


def _problem(status: HTTPStatus, title: str, detail: str, *, slug: str | None = None) -> HttpResponse:
    body = json.dumps(problem_body(int(status), title, detail, slug=slug))
    return _content(status, PROBLEM_CONTENT_TYPE, body.encode())


def _content(status: HTTPStatus, content_type: str, body: bytes) -> HttpResponse:
    return HttpResponse(int(status), (("Content-Type", content_type),), body)
