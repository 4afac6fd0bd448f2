"""The local gateway's CORS, as deployed: the preflight of a routed path is answered without a token and names
only an allowed origin; the responses the gateway makes itself carry what the deployed gateway responses carry;
the functions' responses are left as the functions made them."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

import pytest

from infrastructure.local.gateway.authorizer import Unauthorized
from infrastructure.local.gateway.proxy import LocalApiGateway
from infrastructure.local.gateway.proxy_event import ApiStage, HttpRequest
from infrastructure.resources import DEFAULT_ALLOWED_ORIGINS, NO_CORS, CorsPolicy
from infrastructure.routes import ROUTES

GOOD = "Bearer good-token"
CONSOLE = "http://localhost:5173"
STRANGER = "https://elsewhere.example.com"
ALLOW_HEADERS = "Authorization,Content-Type,Idempotency-Key,If-Match,X-Cloudivize-Organization"
EXPOSED = "ETag,Location,X-Request-Id,WWW-Authenticate"
DEV = CorsPolicy(allowed_origins=DEFAULT_ALLOWED_ORIGINS)


class Authorizer:
    def claims(self, authorization: str | None) -> dict[str, Any]:
        if authorization != GOOD:
            raise Unauthorized("The token is not a valid ID token of this user pool.")
        return {"sub": "user-1", "custom:tenant_id": "t1"}


class Functions:
    def __init__(self, result: Any = None) -> None:
        self.result = result if result is not None else {"statusCode": 200, "headers": {"X-Own": "1"}, "body": "{}"}
        self.calls: list[str] = []

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        self.calls.append(function)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def gateway(functions: Functions, cors: CorsPolicy = DEV) -> LocalApiGateway:
    return LocalApiGateway(
        authorizer=Authorizer(),
        invoke=functions.invoke,
        stage=ApiStage(account_id="123456789012", api_id="local", stage="v1"),
        openapi=lambda: json.dumps({"openapi": "3.1.0"}),
        cors=cors,
    )


def request(method: str, path: str, *, origin: str | None = CONSOLE, authorization: str | None = GOOD, **more: str):
    headers = {"Origin": origin, "Authorization": authorization, **more}
    present = tuple((name, value) for name, value in headers.items() if value is not None)
    return HttpRequest(method=method, raw_path=path, query="", headers=present, body=b"", source_ip="127.0.0.1")


def cors_headers(response) -> dict[str, str]:
    return {name: value for name, value in response.headers if name.startswith("Access-Control-") or name == "Vary"}


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "c-1", path)


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_the_preflight_of_every_route_needs_no_token_and_names_the_allowed_origin(route):
    functions = Functions()
    methods = sorted({other.method for other in ROUTES if other.path == route.path})

    response = gateway(functions).handle(
        request("OPTIONS", concrete(route.path), authorization=None, **{"Access-Control-Request-Method": route.method})
    )

    assert response.status == 204
    assert response.body == b""
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": CONSOLE,
        "Access-Control-Allow-Methods": ",".join([*methods, "OPTIONS"]),
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }
    assert response.header("X-Request-Id")
    assert functions.calls == []


@pytest.mark.parametrize("origin", [STRANGER, "null", None])
def test_a_preflight_from_another_origin_or_none_names_no_origin(origin):
    response = gateway(Functions()).handle(request("OPTIONS", "/connections", origin=origin, authorization=None))

    assert response.status == 204
    assert response.header("Access-Control-Allow-Origin") is None
    assert response.header("Access-Control-Allow-Methods") == "GET,POST,OPTIONS"  # as the deployed mock answers


def _answers(functions: Functions, api: LocalApiGateway) -> dict[int, Any]:
    """One response of each kind the gateway makes itself."""
    return {
        401: api.handle(request("GET", "/me", authorization=None)),
        404: api.handle(request("GET", "/nowhere")),
        405: api.handle(request("PUT", "/me")),
        413: api.refuse(request("POST", "/connections"), HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Too large", "", "big"),
    }


def test_the_gateways_own_responses_echo_the_origin_with_vary_and_expose_the_headers():
    functions = Functions()
    responses = _answers(functions, gateway(functions))
    functions.result = RuntimeError("crashed")
    responses[500] = gateway(functions).handle(request("GET", "/me"))
    functions.result = {"statusCode": "not a number"}
    responses[502] = gateway(functions).handle(request("GET", "/me"))

    for status, response in responses.items():
        assert response.status == status
        assert cors_headers(response) == {
            "Access-Control-Allow-Origin": CONSOLE,
            "Access-Control-Expose-Headers": EXPOSED,
            "Vary": "Origin",
        }, status


def test_with_several_origins_the_gateways_own_responses_echo_any_origin_as_deployed():
    response = gateway(Functions()).handle(request("GET", "/me", origin=STRANGER, authorization=None))

    assert response.status == 401
    assert response.header("Access-Control-Allow-Origin") == STRANGER
    no_origin = gateway(Functions()).handle(request("GET", "/me", origin=None, authorization=None))
    assert no_origin.header("Access-Control-Allow-Origin") is None
    assert no_origin.header("Access-Control-Expose-Headers") == EXPOSED


def test_with_one_origin_the_gateways_own_responses_name_it_whatever_the_request():
    one = CorsPolicy(allowed_origins=("https://console.example.com",))
    for origin in (STRANGER, None):
        response = gateway(Functions(), one).handle(request("GET", "/me", origin=origin, authorization=None))
        assert cors_headers(response) == {
            "Access-Control-Allow-Origin": "https://console.example.com",
            "Access-Control-Expose-Headers": EXPOSED,
        }


def test_a_functions_response_is_passed_on_without_gateway_headers():
    functions = Functions({"statusCode": 200, "headers": {"Access-Control-Allow-Origin": CONSOLE}, "body": "{}"})

    response = gateway(functions).handle(request("GET", "/me", origin=STRANGER))

    assert functions.calls == ["me"]
    assert cors_headers(response) == {"Access-Control-Allow-Origin": CONSOLE}  # the function's own, unchanged


def test_without_origins_there_is_no_preflight_and_no_cors_header():
    functions = Functions()
    api = gateway(functions, NO_CORS)

    preflight = api.handle(request("OPTIONS", "/connections", authorization=None))
    assert preflight.status == 405
    for response in (preflight, *_answers(functions, api).values()):
        assert cors_headers(response) == {}


def test_run_takes_the_allowed_origins_from_a_repeatable_flag_else_the_default(monkeypatch):
    from infrastructure.local import cli

    started: list[tuple[str, ...]] = []
    monkeypatch.setattr(cli, "detach_from_real_aws", lambda: None)
    monkeypatch.setattr(cli, "run_local_stack", lambda options: started.append(options.allowed_origins) or 0)

    assert cli.run_cli(["run", "--allowed-origin", "https://a.example.com", "--allowed-origin", "http://b:8080"]) == 0
    assert cli.run_cli(["run"]) == 0

    assert started == [("https://a.example.com", "http://b:8080"), ()]  # none given: run_local_stack's default
