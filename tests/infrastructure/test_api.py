"""The REST API is the route table, every method behind the one Cognito authorizer."""

from __future__ import annotations

import json

from infrastructure.api import GATEWAY_PROBLEMS, PROBLEM_CONTENT_TYPE
from infrastructure.routes import ROUTES

from .cfn import references


def _resource_paths(synth) -> dict[str, str]:
    """Logical id of each AWS::ApiGateway::Resource (and the API root) -> its full path."""
    resources = synth.resources("AWS::ApiGateway::Resource")
    rest_api_id = synth.logical_id(synth.stack.api.rest_api)
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            properties = resources[logical_id]["Properties"]
            parent = properties["ParentId"]
            prefix = "" if parent == {"Fn::GetAtt": [rest_api_id, "RootResourceId"]} else path_of(parent["Ref"])
            paths[logical_id] = f"{prefix}/{properties['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def _methods(synth) -> dict[tuple[str, str], dict]:
    paths = _resource_paths(synth)
    rest_api_id = synth.logical_id(synth.stack.api.rest_api)
    methods = {}
    for method in synth.resources("AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        resource = properties["ResourceId"]
        path = "/" if resource == {"Fn::GetAtt": [rest_api_id, "RootResourceId"]} else paths[resource["Ref"]]
        methods[(properties["HttpMethod"], path)] = properties
    return methods


def test_the_api_serves_exactly_the_route_table(synth):
    # Given the route table / When the API is synthesized / Then its methods are the routes, no more, no less
    # (beside each resource's CORS preflight: tests/infrastructure/test_cors.py)
    routed = {key for key in _methods(synth) if key[0] != "OPTIONS"}
    assert routed == {(route.method, route.path) for route in ROUTES}


def test_every_method_requires_the_one_cognito_authorizer(synth):
    authorizers = synth.resources("AWS::ApiGateway::Authorizer")
    assert len(authorizers) == 1
    [(authorizer_id, authorizer)] = authorizers.items()
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    pool_arn = {"Fn::GetAtt": [synth.logical_id(synth.stack.auth.user_pool), "Arn"]}
    assert authorizer["Properties"]["ProviderARNs"] == [pool_arn]

    methods = {  # the CORS preflights have none: tests/infrastructure/test_cors.py
        logical_id: method
        for logical_id, method in synth.resources("AWS::ApiGateway::Method").items()
        if method["Properties"]["HttpMethod"] != "OPTIONS"
    }
    assert methods, "the API has no method"
    for logical_id, method in methods.items():
        properties = method["Properties"]
        assert properties["AuthorizationType"] == "COGNITO_USER_POOLS", logical_id
        assert properties["AuthorizerId"] == {"Ref": authorizer_id}, logical_id
        # No scopes: the authorizer accepts Cognito ID tokens (which carry custom:tenant_id).
        assert not properties.get("AuthorizationScopes"), logical_id
        assert "RequestValidatorId" in properties, logical_id


def test_each_method_proxies_to_the_lambda_of_its_route(synth):
    methods = _methods(synth)
    for route in ROUTES:
        integration = methods[(route.method, route.path)]["Integration"]
        function_id = synth.logical_id(synth.stack.functions[route.function].function)
        assert integration["Type"] == "AWS_PROXY", route
        assert integration["IntegrationHttpMethod"] == "POST", route
        assert references(integration["Uri"], function_id), route
        others = [name for name in synth.stack.functions.by_name if name != route.function]
        for other in others:
            assert not references(integration["Uri"], synth.logical_id(synth.stack.functions[other].function))


def test_api_gateway_may_invoke_only_the_functions_behind_routes(synth):
    routed = {synth.logical_id(synth.stack.functions[route.function].function) for route in ROUTES}
    for permission in synth.resources("AWS::Lambda::Permission").values():
        properties = permission["Properties"]
        if properties["Principal"] == "apigateway.amazonaws.com":
            assert any(references(properties["FunctionName"], function_id) for function_id in routed)


def test_gateway_responses_are_problem_json_with_the_request_id(synth):
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()
    }
    required = {
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "REQUEST_TOO_LARGE",
        "THROTTLED",
        "EXPIRED_TOKEN",
        "MISSING_AUTHENTICATION_TOKEN",
        "WAF_FILTERED",
        "BAD_REQUEST_BODY",
    }
    assert required <= set(responses)
    for response_type, properties in responses.items():
        headers = properties["ResponseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == f"'{PROBLEM_CONTENT_TYPE}'", response_type
        assert headers["gatewayresponse.header.X-Request-Id"] == "context.requestId", response_type
        [template] = properties["ResponseTemplates"].values()
        # The only substitution is the message, which API Gateway JSON-quotes: the rest must be valid JSON.
        body = json.loads(template.replace("$context.error.messageString", '"a message"'))
        assert set(body) == {"type", "title", "status", "detail"}, response_type
        assert body["detail"] == "a message"
        assert body["type"].startswith("https://") or body["type"] == "about:blank"
        if "StatusCode" in properties:  # the status is never changed, so the body must agree with the default
            assert int(properties["StatusCode"]) == body["status"]


def test_gateway_problem_statuses_match_api_gateway_defaults():
    expected = {
        "UNAUTHORIZED": 401,
        "ACCESS_DENIED": 403,
        "REQUEST_TOO_LARGE": 413,
        "THROTTLED": 429,
        "RESOURCE_NOT_FOUND": 404,
        "INTEGRATION_TIMEOUT": 504,
        "BAD_REQUEST_BODY": 400,
    }
    statuses = {problem.response_type.response_type: problem.status for problem in GATEWAY_PROBLEMS}
    for response_type, status in expected.items():
        assert statuses[response_type] == status


def test_stage_logs_traces_and_throttles(synth):
    [stage] = synth.resources("AWS::ApiGateway::Stage").values()
    properties = stage["Properties"]
    assert properties["TracingEnabled"] is True
    [settings] = properties["MethodSettings"]
    assert (settings["HttpMethod"], settings["ResourcePath"]) == ("*", "/*")
    assert settings["LoggingLevel"] == "INFO"
    assert settings["MetricsEnabled"] is True
    assert settings["DataTraceEnabled"] is False  # full request logging would record ID tokens
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0

    access_format = json.loads(properties["AccessLogSetting"]["Format"])
    assert {
        "requestId",
        "ip",
        "caller",
        "user",
        "requestTime",
        "httpMethod",
        "resourcePath",
        "status",
        "protocol",
        "responseLength",
    } <= set(access_format)
    assert references(properties["AccessLogSetting"]["DestinationArn"], synth.logical_id(synth.stack.api.access_logs))


def test_api_is_regional_and_the_account_can_write_execution_logs(synth):
    [api] = synth.resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["EndpointConfiguration"]["Types"] == ["REGIONAL"]
    [account] = synth.resources("AWS::ApiGateway::Account").values()
    assert "CloudWatchRoleArn" in account["Properties"]


def test_a_regional_web_acl_protects_the_stage(synth):
    [(acl_id, acl)] = synth.resources("AWS::WAFv2::WebACL").items()
    properties = acl["Properties"]
    assert properties["Scope"] == "REGIONAL"
    managed = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for rule in properties["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed
    rate_rules = [rule for rule in properties["Rules"] if "RateBasedStatement" in rule["Statement"]]
    assert rate_rules and all("Block" in rule["Action"] for rule in rate_rules)

    [association] = synth.resources("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    stage_id = synth.logical_id(synth.stack.api.stage)
    assert references(association["Properties"]["ResourceArn"], stage_id)
