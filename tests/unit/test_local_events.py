"""The events the local stack builds have the shapes API Gateway and Cognito give the functions."""

from __future__ import annotations

import base64
import json

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent

from infrastructure.local.events import post_confirmation_event
from infrastructure.local.gateway.proxy_event import ApiStage, HttpRequest, api_gateway_claims, rest_proxy_event
from infrastructure.routes import Route

STAGE = ApiStage(account_id="123456789012", api_id="local", stage="v1")
CONNECTION = Route("GET", "/connections/{connection_id}", "connections")
RECEIVED_AT = 1_700_000_000.25


def request(**changes) -> HttpRequest:
    fields = {
        "method": "GET",
        "raw_path": "/connections/c%201",
        "query": "",
        "headers": (("Host", "127.0.0.1:3000"), ("User-Agent", "curl/8"), ("Accept", "application/json")),
        "body": b"",
        "source_ip": "127.0.0.1",
    }
    return HttpRequest(**(fields | changes))


def event_for(http_request: HttpRequest, claims: dict[str, str] | None = None) -> dict:
    return rest_proxy_event(
        http_request,
        CONNECTION,
        {"connection_id": "c%201"},
        claims if claims is not None else {"sub": "user-1"},
        stage=STAGE,
        request_id="req-1",
        received_at=RECEIVED_AT,
    )


def test_path_parameters_are_decoded_and_the_path_is_kept_as_sent():
    event = event_for(request())

    assert event["resource"] == "/connections/{connection_id}"
    assert event["path"] == "/connections/c%201"
    assert event["pathParameters"] == {"connection_id": "c 1"}
    assert event["requestContext"]["resourcePath"] == "/connections/{connection_id}"
    assert event["requestContext"]["path"] == "/v1/connections/c%201"


def test_repeated_query_parameters_keep_every_value_and_the_single_map_keeps_the_last():
    event = event_for(request(query="type=ec2&region=eu-west-1&type=vm&empty=&q=a%20b"))

    assert event["multiValueQueryStringParameters"] == {
        "type": ["ec2", "vm"],
        "region": ["eu-west-1"],
        "empty": [""],
        "q": ["a b"],
    }
    assert event["queryStringParameters"] == {"type": "vm", "region": "eu-west-1", "empty": "", "q": "a b"}


def test_absent_parts_are_null_as_api_gateway_sends_them():
    event = event_for(request())

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_repeated_headers_keep_every_value_and_the_single_map_keeps_the_last():
    headers = (("Host", "localhost:3000"), ("X-Tag", "a"), ("X-Tag", "b"))

    event = event_for(request(headers=headers))

    assert event["headers"] == {"Host": "localhost:3000", "X-Tag": "b"}
    assert event["multiValueHeaders"] == {"Host": ["localhost:3000"], "X-Tag": ["a", "b"]}
    assert event["requestContext"]["domainName"] == "localhost:3000"


def test_a_text_body_is_passed_as_text_and_a_binary_one_as_base64():
    text = event_for(request(method="POST", body=json.dumps({"name": "prod"}).encode()))
    binary = event_for(request(method="POST", body=b"\xff\xfe\x00"))

    assert (text["body"], text["isBase64Encoded"]) == ('{"name": "prod"}', False)
    assert (base64.b64decode(binary["body"]), binary["isBase64Encoded"]) == (b"\xff\xfe\x00", True)


def test_request_context_carries_the_ids_the_caller_and_the_claims():
    context = event_for(request(), claims={"sub": "user-1"})["requestContext"]

    assert context["requestId"] == "req-1"
    assert context["accountId"] == "123456789012"
    assert context["apiId"] == "local"
    assert context["stage"] == "v1"
    assert context["httpMethod"] == "GET"
    assert context["requestTimeEpoch"] == 1_700_000_000_250
    assert context["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert len(context["resourceId"]) == 6
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "curl/8"
    assert context["authorizer"] == {"claims": {"sub": "user-1"}}


def test_claims_are_flattened_to_strings_as_the_cognito_authorizer_does():
    claims = api_gateway_claims(
        {
            "sub": "user-1",
            "email_verified": True,
            "auth_time": 1_700_000_000,
            "exp": 1_700_003_600,
            "iat": 1_700_000_000,
            "cognito:groups": ["admins", "readers"],
            "identities": [{"providerName": "LoginWithAmazon", "userId": "amzn1", "primary": "true"}],
        }
    )

    assert all(isinstance(value, str) for value in claims.values())
    assert claims["email_verified"] == "true"
    assert claims["auth_time"] == "1700000000"
    assert claims["exp"] == "Tue Nov 14 23:13:20 UTC 2023"
    assert claims["iat"] == "Tue Nov 14 22:13:20 UTC 2023"
    assert claims["cognito:groups"] == "admins,readers"
    assert json.loads(claims["identities"]) == [
        {"providerName": "LoginWithAmazon", "userId": "amzn1", "primary": "true"}
    ]


def test_powertools_reads_the_event_as_a_rest_api_event():
    event = APIGatewayProxyEvent(
        event_for(request(query="type=ec2"), claims={"sub": "user-1", "custom:tenant_id": "t1"})
    )

    assert event.path_parameters == {"connection_id": "c 1"}
    assert event.get_query_string_value("type") == "ec2"
    assert event.request_context.authorizer.claims["custom:tenant_id"] == "t1"
    assert event.request_context.request_id == "req-1"


def test_a_powertools_rest_resolver_routes_the_event_with_its_path_parameter():
    app = APIGatewayRestResolver()

    @app.get("/connections/<connection_id>")
    def read(connection_id: str) -> dict:
        return {"id": connection_id}

    event = rest_proxy_event(
        request(raw_path="/connections/c1"),
        CONNECTION,
        {"connection_id": "c1"},
        {"sub": "user-1"},
        stage=STAGE,
        request_id="req-1",
        received_at=RECEIVED_AT,
    )

    result = app.resolve(event, {})

    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"id": "c1"}


def test_the_post_confirmation_event_is_cognitos_sign_up_confirmation():
    raw = post_confirmation_event(
        region="us-east-1",
        user_pool_id="us-east-1_pool",
        client_id="app-client",
        username="0f1e-uuid",
        user_attributes={"sub": "0f1e-uuid", "email": "ana@example.com", "email_verified": "true"},
    )

    event = PostConfirmationTriggerEvent(raw)

    assert event.trigger_source == "PostConfirmation_ConfirmSignUp"
    assert event.user_pool_id == "us-east-1_pool"
    assert event.user_name == "0f1e-uuid"
    assert event.caller_context.client_id == "app-client"
    assert event.request.user_attributes["cognito:user_status"] == "CONFIRMED"
    assert event.request.user_attributes["email"] == "ana@example.com"
    assert raw["version"] == "1"
    assert raw["response"] == {}
