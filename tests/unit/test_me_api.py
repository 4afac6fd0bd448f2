import json

from tests.utils import call_api, claims_for


def test_me_answers_the_caller_from_the_token_claims():
    response = call_api("GET", "/me", claims=claims_for("t-1", "user-1", "ana@example.com"))

    assert response.status == 200
    assert response.json() == {
        "user_id": "user-1",
        "email": "ana@example.com",
        "tenant_id": "t-1",
        "sign_in_mode": "local",
    }
    assert response.headers["X-Request-Id"]


def test_me_tells_a_login_with_amazon_user_apart():
    claims = claims_for("t-1") | {
        "identities": json.dumps([{"providerName": "LoginWithAmazon", "providerType": "LoginWithAmazon"}])
    }

    assert call_api("GET", "/me", claims=claims).json()["sign_in_mode"] == "amazon"


def test_tenant_is_never_taken_from_the_request():
    response = call_api("GET", "/me", claims=claims_for("t-1"), query="tenant_id=t-2", headers={"X-Tenant": "t-2"})

    assert response.json()["tenant_id"] == "t-1"


def test_user_without_tenant_gets_403_problem():
    claims = {k: v for k, v in claims_for("t-1").items() if k != "custom:tenant_id"}

    response = call_api("GET", "/me", claims=claims)

    assert response.status == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 403
    assert response.headers["X-Request-Id"]
