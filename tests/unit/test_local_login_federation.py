"""The emulator's federation rules (``infrastructure.local.aws.federation``), under ``mock_aws`` with the same
patches and internal routes the emulator's process applies, on a pool and app client made as ``provisioning``
makes them (OAuth settings and the Amazon provider included)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from werkzeug.test import Client

from infrastructure.local.aws.federation import FEDERATED_USERS_PATH, TOKENS_PATH, federation_enforced, internal_routes
from infrastructure.local.aws.provisioning import HostedSignIn, _create_user_pool
from tests.integration.conftest import token_claims

SIGN_IN = HostedSignIn("http://127.0.0.1:8333", "amzn1.application-oa2-client.test", "stand-in-secret")


def _not_moto(environ, start_response):
    start_response("418 I'm a teapot", [])
    return [b""]


@pytest.fixture
def pool():
    with mock_aws(), federation_enforced():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        yield cognito, *_create_user_pool(cognito, SIGN_IN)


def _post(path, body, remote="127.0.0.1"):
    return Client(internal_routes(_not_moto)).post(path, json=body, environ_base={"REMOTE_ADDR": remote})


def _federated(pool_id, user_id="amzn1.account.ABC", email="ada@amazon.example"):
    return _post(
        FEDERATED_USERS_PATH,
        {
            "UserPoolId": pool_id,
            "ProviderName": "LoginWithAmazon",
            "ProviderUserId": user_id,
            "Attributes": {"email": email, "name": "Ada"},
        },
    )


def test_the_app_client_has_the_deployed_oauth_settings_and_the_pool_the_amazon_provider(pool):
    cognito, pool_id, client_id = pool

    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    provider = cognito.describe_identity_provider(UserPoolId=pool_id, ProviderName="LoginWithAmazon")

    assert client["CallbackURLs"] == ["http://127.0.0.1:8333/auth/callback"]
    assert client["LogoutURLs"] == ["http://127.0.0.1:8333/"]
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO", "LoginWithAmazon"]
    assert provider["IdentityProvider"]["AttributeMapping"] == {"email": "email", "name": "name"}


def test_a_federated_user_is_created_once_and_its_tokens_carry_the_identities_claim(pool):
    cognito, pool_id, client_id = pool

    first, second = _federated(pool_id), _federated(pool_id, email="ada@new.example")
    tokens = _post(TOKENS_PATH, {"UserPoolId": pool_id, "ClientId": client_id, "Username": first.json["Username"]})

    assert first.status_code == 200 and first.json["Created"] is True
    assert second.json == {**first.json, "Created": False}
    claims = token_claims(tokens.json["AuthenticationResult"]["IdToken"])
    assert claims["cognito:username"] == "LoginWithAmazon_amzn1.account.ABC"
    assert claims["email"] == "ada@new.example"  # mapped attributes are rewritten at each sign-in
    [identity] = claims["identities"]
    assert {k: identity[k] for k in ("userId", "providerName", "providerType", "issuer", "primary")} == {
        "userId": "amzn1.account.ABC",
        "providerName": "LoginWithAmazon",
        "providerType": "LoginWithAmazon",
        "issuer": None,
        "primary": "true",
    }
    refresh = tokens.json["AuthenticationResult"]["RefreshToken"]
    refreshed = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh}
    )["AuthenticationResult"]
    assert token_claims(refreshed["IdToken"])["identities"] == claims["identities"]


def test_a_federated_user_has_no_password_to_sign_in_with(pool):
    cognito, pool_id, client_id = pool
    _federated(pool_id)

    with pytest.raises(ClientError) as refused:
        cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "LoginWithAmazon_amzn1.account.ABC", "PASSWORD": "None"},
        )

    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_the_internal_routes_answer_loopback_only_and_leave_other_paths_to_moto(pool):
    _, pool_id, _ = pool

    assert _post(FEDERATED_USERS_PATH, {"UserPoolId": pool_id}, remote="10.0.0.7").status_code == 403
    assert _post(FEDERATED_USERS_PATH, {"UserPoolId": pool_id}).status_code == 400
    assert _post(TOKENS_PATH, {"UserPoolId": pool_id, "ClientId": "nope", "Username": "x"}).status_code == 404
    assert _post("/", {}).status_code == 418


def test_revoke_token_ends_the_refresh_token_and_its_access_token(pool):
    cognito, pool_id, client_id = pool
    username = _federated(pool_id).json["Username"]
    tokens = _post(TOKENS_PATH, {"UserPoolId": pool_id, "ClientId": client_id, "Username": username}).json
    result = tokens["AuthenticationResult"]
    assert cognito.get_user(AccessToken=result["AccessToken"])["Username"] == username

    cognito.revoke_token(ClientId=client_id, Token=result["RefreshToken"])

    for call in (
        lambda: cognito.initiate_auth(
            ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]}
        ),
        lambda: cognito.get_user(AccessToken=result["AccessToken"]),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert json.loads(json.dumps(cognito.revoke_token(ClientId=client_id, Token="unknown")))["ResponseMetadata"]
