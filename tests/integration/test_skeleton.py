"""The local stack end to end: real HTTP, real tokens from the emulated pool, the deployed handlers."""

from __future__ import annotations

import base64
import http.client
import json
import time
import uuid

import jwt
import pytest
import requests

from cloudivize.errors import PROBLEM_CONTENT_TYPE
from infrastructure import constants
from infrastructure.local.aws.emulator import aws_client
from infrastructure.local.gateway.api_server import MAX_BODY_BYTES
from tests.integration.conftest import (
    REPO_ROOT,
    cognito,
    moto_signing_key,
    run_cli,
    sign_in,
    token_claims,
)

pytestmark = pytest.mark.integration

NEW_USER_PASSWORD = "Another-Passw0rd!"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert uuid.UUID(response.headers["X-Request-Id"])
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_the_demo_user_reads_who_they_are(api, local_stack, demo_token):
    response = api.get("/me", token=demo_token)

    assert response.status_code == 200, response.text
    me = response.json()
    claims = token_claims(demo_token)
    # The organization comes from the demo user's membership; the token carries none.
    assert "custom:tenant_id" not in claims
    assert me["tenant_id"] and me["organization"]["organization_id"] == me["tenant_id"] and me["role"] == "owner"
    assert me["organizations"] == [
        {"organization_id": me["tenant_id"], "name": me["organization"]["name"], "role": "owner", "default": True}
    ]
    assert me["user_id"] == claims["sub"]
    assert me["email"] == local_stack.demo_username
    assert me["sign_in_mode"] == "local"
    assert uuid.UUID(response.headers["X-Request-Id"])


def test_the_raw_token_without_bearer_is_accepted_as_api_gateway_does(api, demo_token):
    response = api.get("/me", headers={"Authorization": demo_token})

    assert response.status_code == 200, response.text


def test_each_request_has_its_own_request_id(api, demo_token):
    ids = {api.get("/me", token=demo_token).headers["X-Request-Id"] for _ in range(3)}

    assert len(ids) == 3


def _flip_signature(token: str) -> str:
    head, signature = token.rsplit(".", 1)
    middle = len(signature) // 2
    return f"{head}.{signature[:middle]}{'A' if signature[middle] != 'A' else 'B'}{signature[middle + 1 :]}"


def _forge_tenant(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["custom:tenant_id"] = "someone-elses-tenant"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _expired(token: str) -> str:
    """The demo token's claims, expired, signed with moto's real key: only the expiry is wrong."""
    kid, key = moto_signing_key()
    now = int(time.time())
    claims = token_claims(token) | {"iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def demo_access_token(local_stack) -> str:
    tokens_response = cognito(local_stack).initiate_auth(
        ClientId=local_stack.resources.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": local_stack.demo_username, "PASSWORD": local_stack.demo_password},
    )
    return tokens_response["AuthenticationResult"]["AccessToken"]


@pytest.fixture(scope="module")
def other_client_token(local_stack) -> str:
    """A genuine ID token of the same pool, issued to another app client (another audience)."""
    client_id = cognito(local_stack).create_user_pool_client(
        UserPoolId=local_stack.resources.user_pool_id,
        ClientName="another-app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", f"custom:{constants.TENANT_ATTRIBUTE}"],
    )["UserPoolClient"]["ClientId"]
    response = cognito(local_stack).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": local_stack.demo_username, "PASSWORD": local_stack.demo_password},
    )
    return response["AuthenticationResult"]["IdToken"]


@pytest.fixture(scope="module")
def other_pool_token(local_stack) -> str:
    """A genuine ID token of another pool (another issuer), signed with the very same moto key."""
    idp = cognito(local_stack)
    pool_id = idp.create_user_pool(PoolName="another-pool", UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username="eve@example.com", MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="eve@example.com", Password=NEW_USER_PASSWORD, Permanent=True
    )
    response = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "eve@example.com", "PASSWORD": NEW_USER_PASSWORD},
    )
    return response["AuthenticationResult"]["IdToken"]


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda tokens: None, id="missing"),
        pytest.param(lambda tokens: "Bearer ", id="empty"),
        pytest.param(lambda tokens: "Bearer not-a-jwt", id="malformed"),
        pytest.param(lambda tokens: f"Bearer {_flip_signature(tokens['demo'])}", id="tampered signature"),
        pytest.param(lambda tokens: f"Bearer {_forge_tenant(tokens['demo'])}", id="tampered payload"),
        pytest.param(lambda tokens: f"Bearer {tokens['other_client']}", id="other audience"),
        pytest.param(lambda tokens: f"Bearer {tokens['other_pool']}", id="other issuer"),
        pytest.param(lambda tokens: f"Bearer {tokens['access']}", id="access token"),
        pytest.param(lambda tokens: f"Bearer {_expired(tokens['demo'])}", id="expired"),
    ],
)
def test_a_request_without_a_valid_id_token_is_401(
    api, demo_token, demo_access_token, other_client_token, other_pool_token, authorization
):
    tokens = {
        "demo": demo_token,
        "access": demo_access_token,
        "other_client": other_client_token,
        "other_pool": other_pool_token,
    }
    header = authorization(tokens)

    response = api.get("/me", headers={"Authorization": header} if header is not None else {})

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert demo_token not in response.text


def test_the_expired_token_is_refused_for_its_expiry_alone(api, demo_token):
    response = api.get("/me", token=_expired(demo_token))

    assert "expired" in assert_problem(response, 401)["detail"]


def test_an_unknown_route_is_a_404_problem(api, demo_token):
    assert_problem(api.get("/no-such-route", token=demo_token), 404)


def test_a_known_route_with_another_method_is_a_405_problem(api, demo_token):
    response = api.request("DELETE", "/me", token=demo_token)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET"


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [("Content-Length", str(MAX_BODY_BYTES + 1), 413), ("Transfer-Encoding", "chunked", 411)],
)
def test_a_body_api_gateway_would_not_take_is_refused_before_any_function_runs(
    local_stack, demo_token, header, value, status
):
    host, port = local_stack.api_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/connections")
    connection.putheader("Authorization", f"Bearer {demo_token}")
    connection.putheader(header, value)
    connection.endheaders()  # the body is never sent: the answer must not wait for it

    response = connection.getresponse()

    assert response.status == status
    assert response.getheader("Content-Type") == PROBLEM_CONTENT_TYPE
    assert json.loads(response.read())["status"] == status
    assert response.getheader("X-Request-Id")
    connection.close()


def test_the_openapi_document_is_served_without_a_token(api):
    response = api.get("/openapi.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    document = response.json()
    assert "/me" in document["paths"]
    assert document["components"]["securitySchemes"]["CognitoIdToken"]["scheme"] == "bearer"
    assert response.headers["X-Request-Id"]


def test_swagger_ui_is_served_without_a_token(api):
    response = api.get("/docs")

    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


def test_an_added_user_signs_in_with_a_tenant_of_their_own(api, local_stack, info_file, demo_token):
    email = f"ana-{uuid.uuid4().hex[:8]}@example.com"

    added = run_cli(info_file, "users", "add", email, NEW_USER_PASSWORD)

    assert added.returncode == 0, added.stderr
    token = sign_in(local_stack, email, NEW_USER_PASSWORD)
    me = api.get("/me", token=token).json()
    assert me["email"] == email
    assert me["tenant_id"] and me["tenant_id"] != api.get("/me", token=demo_token).json()["tenant_id"]
    assert me["tenant_id"] in added.stdout


def test_adding_an_existing_user_is_refused_with_exit_code_2(local_stack, info_file):
    again = run_cli(info_file, "users", "add", local_stack.demo_username, NEW_USER_PASSWORD)

    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_running_the_trigger_again_keeps_the_one_tenant(local_stack, info_file):
    email = f"bo-{uuid.uuid4().hex[:8]}@example.com"
    assert run_cli(info_file, "users", "add", email, NEW_USER_PASSWORD).returncode == 0
    tenant_id = _tenant_attribute(local_stack, email)

    replayed = run_cli(info_file, "users", "confirm", email)

    assert replayed.returncode == 0, replayed.stderr
    assert _tenant_attribute(local_stack, email) == tenant_id
    table = aws_client("dynamodb", local_stack.resources.aws_endpoint_url, local_stack.resources.region)
    items = table.scan(TableName=local_stack.resources.table_name)["Items"]
    records = [item for item in items if item[constants.TABLE_PARTITION_KEY]["S"] == f"TENANT#{tenant_id}"]
    sub = _attributes(local_stack, email)["sub"]
    assert sorted(item[constants.TABLE_SORT_KEY]["S"] for item in records) == [f"MEMBER#{sub}", "META"]


def _attributes(info, email: str) -> dict[str, str]:
    user = cognito(info).admin_get_user(UserPoolId=info.resources.user_pool_id, Username=email)
    return {item["Name"]: item["Value"] for item in user["UserAttributes"]}


def _tenant_attribute(info, email: str) -> str:
    """The user's own organization: the trigger made it with an id derived from the pool and the user."""
    from cloudivize.tenants import tenant_id_for_first_user

    return tenant_id_for_first_user(info.resources.user_pool_id, _attributes(info, email)["sub"])


def test_the_token_command_prints_a_working_id_token(api, info_file):
    printed = run_cli(info_file, "token")

    assert printed.returncode == 0, printed.stderr
    token = printed.stdout.strip()
    assert token_claims(token)["token_use"] == "id"
    assert api.get("/me", token=token).status_code == 200


def test_the_emulated_resources_are_configured_like_the_cdk_stack(local_stack):
    resources = local_stack.resources

    def client(service):
        return aws_client(service, resources.aws_endpoint_url, resources.region)

    table = client("dynamodb").describe_table(TableName=resources.table_name)["Table"]
    assert {key["AttributeName"]: key["KeyType"] for key in table["KeySchema"]} == {
        constants.TABLE_PARTITION_KEY: "HASH",
        constants.TABLE_SORT_KEY: "RANGE",
    }
    assert table["SSEDescription"]["KMSMasterKeyArn"] == resources.table_key_arn
    assert table["DeletionProtectionEnabled"] is True
    backups = client("dynamodb").describe_continuous_backups(TableName=resources.table_name)
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
        "ENABLED"
    )
    idempotency = client("dynamodb").describe_time_to_live(TableName=resources.idempotency_table_name)
    assert idempotency["TimeToLiveDescription"]["AttributeName"] == constants.IDEMPOTENCY_TTL_ATTRIBUTE
    for key_arn in (resources.table_key_arn, resources.field_key_arn):
        assert client("kms").get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    app_client = client("cognito-idp").describe_user_pool_client(
        UserPoolId=resources.user_pool_id, ClientId=resources.client_id
    )["UserPoolClient"]
    tenant_claim = f"custom:{constants.TENANT_ATTRIBUTE}"
    assert {"email", "email_verified", tenant_claim} <= set(app_client["ReadAttributes"])
    assert tenant_claim not in app_client["WriteAttributes"]
    role_name = resources.customer_access_role_arn.rsplit("/", 1)[1]
    assert client("iam").get_role(RoleName=role_name)["Role"]["Arn"] == resources.customer_access_role_arn
    template = requests.get(resources.onboarding_template_url, timeout=10)
    assert template.status_code == 200
    assert template.text == (REPO_ROOT / constants.CUSTOMER_ROLE_TEMPLATE).read_text()
