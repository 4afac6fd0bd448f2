"""The functions' CORS headers (Powertools' CORSConfig, built by cloudivize.api from the environment the stack
gives): an allowed Origin is named on every response, the problem+json ones included; nothing else is."""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel

from cloudivize.api import MAX_BODY_BYTES, api_handler, cors_config
from cloudivize.config import CorsSettings
from cloudivize.errors import Forbidden
from cloudivize.tenancy import ROUTE_POLICY_VARIABLE, route_policy
from infrastructure.function_environment import cors_environment
from infrastructure.local.gateway.proxy_event import HttpRequest, rest_proxy_event
from infrastructure.resources import DEFAULT_ALLOWED_ORIGINS, CorsPolicy
from infrastructure.routes import Route
from tests.utils import STAGE, LambdaContext, claims_for

POLICY = CorsPolicy(allowed_origins=DEFAULT_ALLOWED_ORIGINS)
EXPOSED = "ETag,Location,X-Request-Id,WWW-Authenticate"


class Note(BaseModel):
    text: str


def _router() -> Router:
    router = Router()

    @router.get("/probe")
    def read() -> dict[str, str]:
        return {"ok": "yes"}

    @router.get("/probe/refused")
    def refused() -> dict[str, str]:
        raise Forbidden("Not yours.")

    @router.put("/probe")
    def write(note: Annotated[Note, Body()]) -> dict[str, str]:
        return {"text": note.text}

    return router


PROBES = {f"{method} {path}": {"needs": "signed_in"} for method, path in
          (("GET", "/probe"), ("GET", "/probe/refused"), ("PUT", "/probe"), ("GET", "/nowhere"))}  # fmt: skip


@pytest.fixture
def handler(cloud, monkeypatch):
    """A function built as the stack builds them: the policy in its environment before the handler is made; its
    routes open to any signed-in user."""
    for name, value in cors_environment(POLICY).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(ROUTE_POLICY_VARIABLE, json.dumps(PROBES))
    route_policy.cache_clear()
    return api_handler(_router())


def invoke(
    handler, method: str, path: str, *, origin: str | None, body: str = "", content_type: str = "application/json"
) -> tuple[int, dict[str, str]]:
    headers = (("Content-Type", content_type),) + ((("Origin", origin),) if origin else ())
    request = HttpRequest(method, path, "", headers, body.encode(), "127.0.0.1")
    event = rest_proxy_event(
        request,
        Route(method, path, "me"),
        {},
        claims_for("t-1"),
        stage=STAGE,
        request_id=str(uuid.uuid4()),
        received_at=time.time(),
    )
    result = handler(event, LambdaContext())
    flat = {name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
    return result["statusCode"], {**flat, **(result.get("headers") or {})}


def _cors(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("Access-Control-")}


def test_the_environment_carries_the_policy_the_functions_read():
    settings = CorsSettings.model_validate(cors_environment(POLICY))

    assert settings.allowed_origins == POLICY.allowed_origins
    assert settings.allow_headers == POLICY.allow_headers
    assert settings.expose_headers == POLICY.expose_headers
    assert settings.max_age_seconds == POLICY.max_age_seconds


@pytest.mark.parametrize("origin", DEFAULT_ALLOWED_ORIGINS)
def test_an_allowed_origin_is_named_with_the_exposed_headers(handler, origin):
    status, headers = invoke(handler, "GET", "/probe", origin=origin)

    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == origin
    assert headers["Access-Control-Expose-Headers"] == EXPOSED
    assert "Access-Control-Allow-Credentials" not in headers  # bearer tokens, no credentials mode


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status"),
    [
        ("GET", "/probe/refused", "", "application/json", 403),  # a domain error
        ("PUT", "/probe", json.dumps({"text": 1}), "application/json", 422),  # validation
        ("GET", "/nowhere", "", "application/json", 404),  # no route
        # Refused before resolving:
        ("PUT", "/probe", '{"text": ', "application/json", 400),  # malformed JSON
        ("PUT", "/probe", json.dumps({"text": "x" * MAX_BODY_BYTES}), "application/json", 413),
        ("PUT", "/probe", "text", "text/plain", 415),
    ],
)
def test_problem_responses_are_readable_by_an_allowed_origin(handler, method, path, body, content_type, status):
    answered, headers = invoke(
        handler, method, path, origin="http://localhost:5173", body=body, content_type=content_type
    )

    assert answered == status
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert headers["Access-Control-Expose-Headers"] == EXPOSED


@pytest.mark.parametrize("origin", ["https://elsewhere.example.com", None])
def test_another_origin_or_none_gets_no_cors_header(handler, origin):
    for method, path, body in (("GET", "/probe", ""), ("GET", "/probe/refused", ""), ("PUT", "/probe", "x" * 70_000)):
        _, headers = invoke(handler, method, path, origin=origin, body=body, content_type="text/plain")
        assert _cors(headers) == {}, (method, path)


def test_without_configured_origins_no_response_has_cors_headers(handler, monkeypatch):
    for name in cors_environment(POLICY):
        monkeypatch.delenv(name, raising=False)
    handler = api_handler(_router())

    assert cors_config() is None
    for method, path, body in (("GET", "/probe", ""), ("GET", "/probe/refused", ""), ("PUT", "/probe", "x" * 70_000)):
        _, headers = invoke(handler, method, path, origin="http://localhost:5173", body=body)
        assert _cors(headers) == {}, (method, path)


def test_the_powertools_config_is_the_policy_without_credentials():
    config = cors_config(CorsSettings.model_validate(cors_environment(POLICY)))

    assert config is not None
    assert config.to_dict("http://127.0.0.1:5173") == {
        "Access-Control-Allow-Origin": "http://127.0.0.1:5173",
        # Powertools always adds its own defaults (X-Amz-*, X-Api-Key) to the configured request headers.
        "Access-Control-Allow-Headers": ",".join(
            sorted({*POLICY.allow_headers, "X-Amz-Date", "X-Api-Key", "X-Amz-Security-Token"})
        ),
        "Access-Control-Expose-Headers": EXPOSED,
        "Access-Control-Max-Age": "600",
    }
    assert config.to_dict("https://elsewhere.example.com") == {}
