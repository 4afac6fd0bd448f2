"""CORS as deployed: a preflight on every routed resource (mock, no authorizer, allowed origins only), CORS headers
on every gateway response, the origins in every function's environment, and never a ``*`` origin."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infrastructure import constants
from infrastructure.api import GATEWAY_PROBLEMS
from infrastructure.customer_access import nag_flatten as flat
from infrastructure.resources import DEFAULT_ALLOWED_ORIGINS, CorsPolicy
from infrastructure.routes import ROUTES
from infrastructure.stack import (
    CTX_ALLOWED_ORIGINS,
    CTX_CALLBACK_URLS,
    CTX_CONSOLE_CERTIFICATE_ARN,
    CTX_CONSOLE_DOMAIN,
    CTX_LOGOUT_URLS,
    DEFAULT_CALLBACK_URLS,
    DEFAULT_LOGOUT_URLS,
    build_app,
    cdk_json_context,
    stack_of,
)

ROUTED_PATHS = sorted({route.path for route in ROUTES})
ALLOW_HEADERS = "Authorization,Content-Type,Idempotency-Key,If-Match,X-Cloudivize-Organization"
EXPOSE_HEADERS = "ETag,Location,X-Request-Id,WWW-Authenticate"


def _methods(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, resource path) -> the method's properties."""
    resources = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::ApiGateway::Resource"}

    def path_of(reference: dict[str, Any]) -> str:
        if "Fn::GetAtt" in reference:  # the API's root resource
            return ""
        properties = resources[reference["Ref"]]["Properties"]
        return f"{path_of(properties['ParentId'])}/{properties['PathPart']}"

    return {
        (method["Properties"]["HttpMethod"], path_of(method["Properties"]["ResourceId"]) or "/"): method["Properties"]
        for method in template["Resources"].values()
        if method["Type"] == "AWS::ApiGateway::Method"
    }


def _origin_template(origins: tuple[str, ...]) -> str:
    """The request's Origin (API Gateway's header lookup is case-sensitive), named back only when it is listed."""
    listed = " || ".join(f'$origin == "{origin}"' for origin in origins)
    return (
        '#set($origin = $input.params().header.get("Origin"))\n'
        '#if($origin == "")\n'
        '  #set($origin = $input.params().header.get("origin"))\n'
        "#end\n"
        f"#if({listed})\n"
        "  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n"
        "#end"
    )


def _preflights(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {path: properties for (method, path), properties in _methods(template).items() if method == "OPTIONS"}


def _gateway_responses(template: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        resource["Properties"]["ResponseType"]: resource["Properties"]["ResponseParameters"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
    }


def _cloudivize_environments(template: dict[str, Any]) -> list[dict[str, Any]]:
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    variables = [f["Properties"].get("Environment", {}).get("Variables", {}) for f in functions]
    return [v for v in variables if v.get("POWERTOOLS_SERVICE_NAME") == constants.SERVICE_NAME]


def _synth(tmp_path_factory: pytest.TempPathFactory, origins: Any, **context: str) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(
        context={"aws:cdk:bundling-stacks": [], CTX_ALLOWED_ORIGINS: origins, **context}, outdir=str(outdir)
    )
    return app.synth().get_stack_by_name(stack_of(app).stack_name).template


def _console_origin(synth) -> str:
    """The hosted console's origin as the flattened template names it: its distribution's domain name."""
    return f"https://<{synth.logical_id(synth.stack.console.distribution)}.DomainName>"


@pytest.fixture(scope="module")
def one_origin(tmp_path_factory) -> dict[str, Any]:
    """The stack for one production console origin: the hosted console at its own domain, also given as
    ``-c cloudivize:allowedOrigins=<origin>`` (listed once)."""
    return _synth(
        tmp_path_factory,
        "https://console.example.com",
        **{
            CTX_CONSOLE_DOMAIN: "console.example.com",
            CTX_CONSOLE_CERTIFICATE_ARN: "arn:aws:acm:us-east-1:111122223333:certificate/console",
        },
    )


@pytest.fixture(scope="module")
def no_origin(tmp_path_factory) -> dict[str, Any]:
    return _synth(tmp_path_factory, [])


def test_cdk_json_and_the_stack_default_to_the_console_dev_origins():
    context = cdk_json_context()
    assert DEFAULT_ALLOWED_ORIGINS == ("http://localhost:5173", "http://127.0.0.1:5173")
    assert tuple(context[CTX_ALLOWED_ORIGINS]) == DEFAULT_ALLOWED_ORIGINS
    # The console's OAuth URLs are on the same dev origin.
    assert context[CTX_CALLBACK_URLS] == list(DEFAULT_CALLBACK_URLS) == ["http://localhost:5173/auth/callback"]
    assert context[CTX_LOGOUT_URLS] == list(DEFAULT_LOGOUT_URLS) == ["http://localhost:5173/"]


def test_every_resource_with_routes_has_a_preflight_and_no_other_resource_has_one(synth):
    assert sorted(_preflights(synth.template)) == ROUTED_PATHS


@pytest.mark.parametrize("path", ROUTED_PATHS)
def test_a_preflight_is_a_mock_with_no_authorizer_answering_the_policy(synth, path):
    preflight = _preflights(synth.template)[path]
    assert preflight["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in preflight
    assert "RequestValidatorId" not in preflight
    # cdk-nag's APIG4/COG4 know a preflight by OPTIONS + 204 + Access-Control-Allow-*: none is waived for these
    # (tests/infrastructure/test_nag.py holds the exact list of acknowledgements).
    integration = preflight["Integration"]
    assert integration["Type"] == "MOCK"
    [response] = integration["IntegrationResponses"]
    assert response["StatusCode"] == "204"
    methods = sorted({route.method for route in ROUTES if route.path == path})
    assert response["ResponseParameters"] == {
        "method.response.header.Access-Control-Allow-Methods": f"'{','.join([*methods, 'OPTIONS'])}'",
        "method.response.header.Access-Control-Allow-Headers": f"'{ALLOW_HEADERS}'",
        "method.response.header.Access-Control-Max-Age": "'600'",
        "method.response.header.Vary": "'Origin'",
        "method.response.header.X-Request-Id": "context.requestId",
    }
    # Allow-Origin is never static: the template names the request's origin, and only an allowed one.
    assert {key: flat(value) for key, value in response["ResponseTemplates"].items()} == {
        "application/json": _origin_template((*DEFAULT_ALLOWED_ORIGINS, _console_origin(synth)))
    }
    [method_response] = preflight["MethodResponses"]
    assert method_response["StatusCode"] == "204"
    assert set(method_response["ResponseParameters"]) == {
        *response["ResponseParameters"],
        "method.response.header.Access-Control-Allow-Origin",
    }


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_every_routed_method_keeps_the_cognito_authorizer(synth, route):
    method = _methods(synth.template)[(route.method, route.path)]
    assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert method["AuthorizerId"] == {"Ref": synth.logical_id(synth.stack.api.authorizer)}


def test_every_gateway_response_echoes_the_origin_with_vary_and_exposes_the_headers(synth):
    responses = _gateway_responses(synth.template)
    assert set(responses) == {problem.response_type.response_type for problem in GATEWAY_PROBLEMS}
    for response_type, parameters in responses.items():
        cors = {name: value for name, value in parameters.items() if "Access-Control" in name or "Vary" in name}
        assert cors == {
            "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin",
            "gatewayresponse.header.Vary": "'Origin'",
            "gatewayresponse.header.Access-Control-Expose-Headers": f"'{EXPOSE_HEADERS}'",
        }, response_type


def test_no_origin_is_a_wildcard_anywhere(synth, one_origin):
    for template in (synth.template, one_origin):
        text = json.dumps(template)
        assert "Access-Control-Allow-Origin\": \"'*'" not in text
        for match in re.finditer(r"Access-Control-Allow-Origin[^,}]*", text):
            assert "*" not in match.group(0), match.group(0)
        for variables in _cloudivize_environments(template):
            assert "*" not in flat(variables[constants.ENV_CORS_ALLOWED_ORIGINS])


def test_every_function_reads_the_policy_from_its_environment(synth):
    environments = _cloudivize_environments(synth.template)
    assert len(environments) == len(synth.stack.functions.by_name)
    for variables in environments:
        assert flat(variables[constants.ENV_CORS_ALLOWED_ORIGINS]) == ",".join(
            (*DEFAULT_ALLOWED_ORIGINS, _console_origin(synth))
        )
        assert variables[constants.ENV_CORS_ALLOW_HEADERS] == ALLOW_HEADERS
        assert variables[constants.ENV_CORS_EXPOSE_HEADERS] == EXPOSE_HEADERS
        assert variables[constants.ENV_CORS_MAX_AGE] == "600"


def test_with_one_origin_gateway_responses_name_it_and_preflights_answer_only_it(one_origin):
    for response_type, parameters in _gateway_responses(one_origin).items():
        assert parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://console.example.com'"
        assert "gatewayresponse.header.Vary" not in parameters, response_type
    preflights = _preflights(one_origin)
    assert sorted(preflights) == ROUTED_PATHS
    for path, preflight in preflights.items():
        [response] = preflight["Integration"]["IntegrationResponses"]
        expected = {"application/json": _origin_template(("https://console.example.com",))}
        assert response["ResponseTemplates"] == expected, path
    for variables in _cloudivize_environments(one_origin):
        assert variables[constants.ENV_CORS_ALLOWED_ORIGINS] == "https://console.example.com"


def test_with_no_origin_from_context_only_the_hosted_console_is_allowed(synth, no_origin):
    console = _console_origin(synth)  # the same logical id in both templates
    for parameters in _gateway_responses(no_origin).values():
        assert flat(parameters["gatewayresponse.header.Access-Control-Allow-Origin"]) == f"'{console}'"
        assert "gatewayresponse.header.Vary" not in parameters
    preflights = _preflights(no_origin)
    assert sorted(preflights) == ROUTED_PATHS
    for path, preflight in preflights.items():
        [response] = preflight["Integration"]["IntegrationResponses"]
        assert flat(response["ResponseTemplates"]["application/json"]) == _origin_template((console,)), path
    for variables in _cloudivize_environments(no_origin):
        assert flat(variables[constants.ENV_CORS_ALLOWED_ORIGINS]) == console


@pytest.mark.parametrize("origin", ["*", "https://console.example.com/", "console.example.com", "null"])
def test_a_wildcard_or_a_non_origin_stops_the_synth(origin):
    with pytest.raises(ValueError, match="is not an origin"):
        build_app(context={"aws:cdk:bundling-stacks": [], CTX_ALLOWED_ORIGINS: [origin]})
    with pytest.raises(ValueError, match="is not an origin"):
        CorsPolicy(allowed_origins=(origin,))
