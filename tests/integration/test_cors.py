"""A browser page on the console's dev origin can call the local stack over HTTP: preflights answered without a
token, and every answer it gets, errors included, readable by it (Access-Control-Allow-Origin present)."""

from __future__ import annotations

import re

import pytest

from infrastructure.routes import ROUTES

pytestmark = pytest.mark.integration

CONSOLE = "http://localhost:5173"  # the default allowed origin (Vite's dev server)
STRANGER = "https://elsewhere.example.com"
EXPOSED = "ETag,Location,X-Request-Id,WWW-Authenticate"
CORS_HEADERS = re.compile(r"^(access-control-|vary$)", re.IGNORECASE)


def preflight(api, path: str, method: str, origin: str = CONSOLE):
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
    }
    return api.request("OPTIONS", path, headers=headers)


def cors_headers(response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if CORS_HEADERS.match(name)}


def test_the_preflight_of_a_create_answers_the_console_exactly(api):
    response = preflight(api, "/connections", "POST")

    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": CONSOLE,
        "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
        "Access-Control-Allow-Headers": "Authorization,Content-Type,Idempotency-Key,If-Match,X-Cloudivize-Organization",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }
    assert response.headers["X-Request-Id"]


def test_a_preflight_from_another_origin_names_no_origin(api):
    response = preflight(api, "/connections", "POST", origin=STRANGER)

    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_the_preflight_of_every_route_allows_its_method(api, route):
    response = preflight(api, re.sub(r"\{\w+\}", "c-1", route.path), route.method)

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert route.method in response.headers["Access-Control-Allow-Methods"].split(",")


def test_a_functions_answer_is_readable_with_its_exposed_headers(api, demo_token):
    response = api.get("/me", token=demo_token, headers={"Origin": CONSOLE})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert response.headers["Access-Control-Expose-Headers"] == EXPOSED
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_created_connection_exposes_where_it_is_and_its_version(api, demo_token):
    body = {"provider": "aws", "name": "From the console", "role_arn": "arn:aws:iam::210987654321:role/R"}
    created = api.request(
        "POST", "/connections", token=demo_token, headers={"Origin": CONSOLE}, json=body | {"verify": False}
    )
    try:
        assert created.status_code == 201, created.text
        assert created.headers["Access-Control-Allow-Origin"] == CONSOLE
        exposed = created.headers["Access-Control-Expose-Headers"].split(",")
        assert {"Location", "ETag", "X-Request-Id"} <= set(exposed)
        assert created.headers["Location"] and created.headers["ETag"]
    finally:
        if created.status_code == 201:
            api.request("DELETE", created.headers["Location"], token=demo_token)


def test_the_gateways_401_is_readable(api):
    response = api.get("/me", headers={"Origin": CONSOLE})

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert response.headers["Access-Control-Expose-Headers"] == EXPOSED  # WWW-Authenticate among them
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_missing_connection_is_a_readable_404(api, demo_token):
    response = api.get("/connections/no-such-connection", token=demo_token, headers={"Origin": CONSOLE})

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == CONSOLE


@pytest.mark.parametrize(
    ("content_type", "raw", "status"),
    [("text/plain", "hello", 415), ("application/json", '{"provider": "aws", "name": 3}', 422)],
)
def test_a_refused_body_is_readable(api, demo_token, content_type, raw, status):
    response = api.request(
        "POST", "/connections", token=demo_token, data=raw, headers={"Origin": CONSOLE, "Content-Type": content_type}
    )

    assert response.status_code == status, response.text
    assert response.headers["Access-Control-Allow-Origin"] == CONSOLE


def test_another_origin_cannot_read_a_functions_answer(api, demo_token):
    response = api.get("/me", token=demo_token, headers={"Origin": STRANGER})

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
