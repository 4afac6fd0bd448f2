"""The local API Gateway: what it answers itself, and what it hands to the functions."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from cloudivize.api import REQUEST_ID_HEADER as FUNCTIONS_REQUEST_ID_HEADER
from cloudivize.errors import PROBLEM_CONTENT_TYPE
from infrastructure.local.gateway.authorizer import SigningKeysUnavailable, Unauthorized
from infrastructure.local.gateway.proxy import REQUEST_ID_HEADER, LocalApiGateway
from infrastructure.local.gateway.proxy_event import ApiStage, HttpRequest

GOOD = "Bearer good-token"
CLAIMS = {"sub": "user-1", "email_verified": True, "custom:tenant_id": "t1"}


class FakeAuthorizer:
    def __init__(self, *, keys_reachable: bool = True) -> None:
        self.keys_reachable = keys_reachable

    def claims(self, authorization: str | None) -> dict[str, Any]:
        if not self.keys_reachable:
            raise SigningKeysUnavailable("down")
        if authorization != GOOD:
            raise Unauthorized("The token is not a valid ID token of this user pool.")
        return dict(CLAIMS)


class Functions:
    """Records what would have been invoked and answers with a canned proxy result (or raises it)."""

    def __init__(self, result: Any = None) -> None:
        self.result = result if result is not None else {"statusCode": 200, "headers": {}, "body": "{}"}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        self.calls.append((function, event))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def gateway(functions: Functions, authorizer: FakeAuthorizer | None = None) -> LocalApiGateway:
    return LocalApiGateway(
        authorizer=authorizer or FakeAuthorizer(),
        invoke=functions.invoke,
        stage=ApiStage(account_id="123456789012", api_id="local", stage="v1"),
        openapi=lambda: json.dumps({"openapi": "3.1.0", "paths": {"/me": {}}}),
    )


def request(method: str = "GET", path: str = "/me", authorization: str | None = GOOD) -> HttpRequest:
    headers = (("Authorization", authorization),) if authorization is not None else ()
    return HttpRequest(method=method, raw_path=path, query="", headers=headers, body=b"", source_ip="127.0.0.1")


def problem(response) -> dict[str, Any]:
    assert response.header("Content-Type") == PROBLEM_CONTENT_TYPE
    return json.loads(response.body)


def test_the_request_id_header_is_the_one_the_functions_stamp():
    assert REQUEST_ID_HEADER == FUNCTIONS_REQUEST_ID_HEADER


def test_an_authorized_request_invokes_the_routes_function_with_the_claims_as_strings():
    functions = Functions()

    response = gateway(functions).handle(request())

    assert response.status == 200
    [(function, event)] = functions.calls
    assert function == "me"
    assert event["requestContext"]["authorizer"]["claims"] == {
        "sub": "user-1",
        "email_verified": "true",
        "custom:tenant_id": "t1",
    }
    assert response.header(REQUEST_ID_HEADER) == event["requestContext"]["requestId"]


def test_every_request_gets_its_own_request_id():
    functions = Functions()
    api = gateway(functions)

    ids = {api.handle(request()).header(REQUEST_ID_HEADER) for _ in range(3)}

    assert len(ids) == 3


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [(None, "Bearer"), ("Bearer forged", 'Bearer error="invalid_token"')],
)
def test_an_unauthorized_request_is_401_and_never_reaches_a_function(authorization, challenge):
    functions = Functions()

    response = gateway(functions).handle(request(authorization=authorization))

    assert response.status == 401
    assert problem(response)["status"] == 401
    assert response.header("WWW-Authenticate") == challenge
    assert response.header(REQUEST_ID_HEADER)
    assert functions.calls == []


def test_unreachable_signing_keys_are_503_and_never_reach_a_function():
    functions = Functions()

    response = gateway(functions, FakeAuthorizer(keys_reachable=False)).handle(request())

    assert response.status == 503
    assert problem(response)["status"] == 503
    assert functions.calls == []


def test_an_unknown_path_is_404():
    response = gateway(Functions()).handle(request(path="/nowhere"))

    assert response.status == 404
    assert problem(response)["status"] == 404
    assert response.header(REQUEST_ID_HEADER)


def test_a_known_path_with_another_method_is_405_naming_the_allowed_ones():
    response = gateway(Functions()).handle(request(method="DELETE", path="/me"))

    assert response.status == 405
    assert problem(response)["status"] == 405
    assert response.header("Allow") == "GET"


def test_a_crashing_function_is_a_500_problem_and_the_gateway_keeps_serving():
    api = gateway(Functions(RuntimeError("boom with a secret")))

    response = api.handle(request())

    assert response.status == 500
    body = problem(response)
    assert body["status"] == 500
    assert "secret" not in response.body.decode()
    assert REQUEST_ID_HEADER in body["detail"]  # the caller is told what to quote, not what failed
    assert api.handle(request(path="/nowhere")).status == 404


@pytest.mark.parametrize("result", [None, "text", {"body": "{}"}, {"statusCode": 200, "body": 3}])
def test_a_malformed_proxy_result_is_a_502_problem(result):
    functions = Functions()
    functions.result = result

    response = gateway(functions).handle(request())

    assert response.status == 502
    assert problem(response)["status"] == 502


def test_headers_and_multi_value_headers_are_merged_and_multi_value_wins():
    functions = Functions(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "ETag": '"1"', "X-Single": "s"},
            "multiValueHeaders": {"etag": ['"2"'], "Set-Cookie": ["a=1", "b=2"]},
            "body": "{}",
            "isBase64Encoded": False,
        }
    )

    response = gateway(functions).handle(request())

    assert response.status == 201
    assert ("etag", '"2"') in response.headers
    assert ("ETag", '"1"') not in response.headers
    assert [value for name, value in response.headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert response.header("X-Single") == "s"


def test_a_base64_body_is_decoded():
    payload = b"\x89PNG\r\n"
    functions = Functions({"statusCode": 200, "body": base64.b64encode(payload).decode(), "isBase64Encoded": True})

    assert gateway(functions).handle(request()).body == payload


def test_the_function_cannot_choose_another_request_id():
    functions = Functions({"statusCode": 200, "headers": {"x-request-id": "spoofed"}, "body": ""})

    response = gateway(functions).handle(request())

    assert response.header(REQUEST_ID_HEADER) == functions.calls[0][1]["requestContext"]["requestId"]


@pytest.mark.parametrize(("path", "content_type"), [("/openapi.json", "application/json"), ("/docs", "text/html")])
def test_the_documentation_is_served_without_a_token(path, content_type):
    functions = Functions()

    response = gateway(functions).handle(request(path=path, authorization=None))

    assert response.status == 200
    assert response.header("Content-Type").startswith(content_type)
    assert response.header(REQUEST_ID_HEADER)
    assert functions.calls == []
