"""GET /me: the caller from the token, and where they belong from their memberships (never from the token)."""

import json

from functions.post_confirmation import handler as post_confirmation
from infrastructure.local.events import post_confirmation_event
from infrastructure.local.gateway.proxy_event import api_gateway_claims
from tests.utils import LambdaContext, ServiceCalls, call_api, claims_for


def test_me_answers_the_caller_their_organization_and_role(cloud):
    response = call_api("GET", "/me", claims=claims_for("t-1", "user-1", "ana@example.com"))

    assert response.status == 200
    assert response.json() == {
        "user_id": "user-1",
        "email": "ana@example.com",
        "sign_in_mode": "local",
        "tenant_id": "t-1",
        "organization": {"organization_id": "t-1", "name": "Org t-1"},
        "role": "owner",
        "organizations": [{"organization_id": "t-1", "name": "Org t-1", "role": "owner", "default": True}],
    }
    assert response.headers["X-Request-Id"]


def test_me_tells_a_login_with_amazon_user_apart(cloud):
    claims = claims_for("t-1") | {
        "identities": json.dumps([{"providerName": "LoginWithAmazon", "providerType": "LoginWithAmazon"}])
    }

    assert call_api("GET", "/me", claims=claims).json()["sign_in_mode"] == "amazon"


def test_the_organization_is_never_taken_from_the_query_and_a_foreign_one_is_404(cloud):
    call_api("GET", "/me", claims=claims_for("t-2", "user-2", "bo@example.com"))  # t-2 exists, user-1 is not in it

    response = call_api("GET", "/me", claims=claims_for("t-1"), query="tenant_id=t-2")
    foreign = call_api("GET", "/connections", claims=claims_for("t-1"), headers={"X-Cloudivize-Organization": "t-2"})

    assert response.json()["tenant_id"] == "t-1"
    assert foreign.status == 404 and foreign.json()["detail"] == "No such organization, or you are not a member of it."


def test_a_first_sign_in_with_amazon_works_with_the_first_token_which_has_no_tenant_claim(cloud):
    # Cognito runs the post-confirmation trigger for a first federated sign-in, then mints the first token: it
    # carries no custom:tenant_id (the trigger writes none) and identities names Login with Amazon.
    username, sub = "LoginWithAmazon_amzn1.account.AF2EXAMPLE", "5f1e0000-0000-4000-8000-00000000a11e"
    post_confirmation.lambda_handler(
        post_confirmation_event(
            region="us-east-1", user_pool_id=cloud.user_pool_id, client_id="web", username=username,
            user_attributes={"sub": sub, "email": "amy@example.com"},
        ),
        LambdaContext(),
    )  # fmt: skip
    first_token = api_gateway_claims(
        {
            "sub": sub,
            "cognito:username": username,
            "email": "amy@example.com",
            "identities": [{"providerName": "LoginWithAmazon", "providerType": "LoginWithAmazon",
                            "userId": "amzn1.account.AF2EXAMPLE", "primary": "true"}],
            "token_use": "id",
        }
    )  # fmt: skip

    me = call_api("GET", "/me", claims=first_token)
    connections = call_api("GET", "/connections", claims=first_token)

    assert me.status == 200 and me.json()["sign_in_mode"] == "amazon" and me.json()["role"] == "owner"
    assert me.json()["organization"]["name"] == "amy's organization"
    assert connections.status == 200 and connections.json()["items"] == []


def test_a_user_in_no_organization_is_told_how_to_get_one(cloud):
    claims = {k: v for k, v in claims_for("t-1").items() if k != "custom:tenant_id"}  # never signed up into one

    me = call_api("GET", "/me", claims=claims)
    connections = call_api("GET", "/connections", claims=claims)

    assert me.status == 200 and me.json()["organization"] is None and me.json()["organizations"] == []
    assert connections.status == 403
    assert connections.headers["Content-Type"] == "application/problem+json"
    assert "POST /organizations" in connections.json()["detail"]


def test_me_reads_the_callers_memberships_once(cloud):
    claims = claims_for("t-1", "user-1", "ana@example.com")
    call_api("GET", "/me", claims=claims)  # signed up, container warm

    with ServiceCalls("dynamodb") as calls:
        assert call_api("GET", "/me", claims=claims).status == 200

    # Authorization's Query of the caller's partition serves /me too; one BatchGetItem names the organizations.
    assert calls == ["Query", "BatchGetItem"]
