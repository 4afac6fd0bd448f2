import json

import pytest

from cloudivize.errors import Forbidden, Unauthorized
from cloudivize.tenancy import caller_from_claims, sign_in_mode

LOCAL_CLAIMS = {
    "sub": "u-1",
    "cognito:username": "u-1",
    "email": "ana@example.com",
    "custom:tenant_id": "t-1",
    "token_use": "id",
}


def test_local_user_is_described_by_its_claims():
    caller = caller_from_claims(LOCAL_CLAIMS)

    assert caller.user_id == "u-1"
    assert caller.tenant_id is None  # the organization comes from the membership, never from the token
    assert caller.email == "ana@example.com"
    assert caller.sign_in_mode == "local"


@pytest.mark.parametrize(
    "identities",
    [
        # as in the token itself
        [{"providerName": "LoginWithAmazon", "providerType": "LoginWithAmazon", "userId": "amzn1.account.X"}],
        # as API Gateway's Cognito authorizer passes it: every claim is a string
        json.dumps([{"providerName": "LoginWithAmazon", "providerType": "LoginWithAmazon", "userId": "amzn1.x"}]),
    ],
)
def test_amazon_federated_user_is_told_apart_by_the_identities_claim(identities):
    claims = {**LOCAL_CLAIMS, "cognito:username": "LoginWithAmazon_amzn1.x", "identities": identities}

    assert caller_from_claims(claims).sign_in_mode == "amazon"


def test_unparseable_identities_claim_means_local():
    assert sign_in_mode({"identities": "not json"}) == "local"


def test_missing_claims_are_unauthorized():
    with pytest.raises(Unauthorized):
        caller_from_claims(None)


def test_a_caller_in_no_organization_cannot_act_in_one():
    caller = caller_from_claims(LOCAL_CLAIMS)

    with pytest.raises(Forbidden) as refused:
        _ = caller.organization_id
    assert refused.value.status == 403 and "POST /organizations" in refused.value.detail


def test_an_amazon_users_email_counts_as_verified_a_local_users_only_when_cognito_verified_it():
    amazon = {**LOCAL_CLAIMS, "identities": [{"providerName": "LoginWithAmazon"}]}

    assert caller_from_claims(amazon).email_verified is True
    assert caller_from_claims(LOCAL_CLAIMS).email_verified is False
    assert caller_from_claims({**LOCAL_CLAIMS, "email_verified": "true"}).email_verified is True
