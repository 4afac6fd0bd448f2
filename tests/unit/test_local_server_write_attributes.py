"""The emulator enforces an app client's write attributes as Cognito does; moto alone does not.

Run under ``mock_aws`` with the same patch the local stack's emulator applies to its moto server, on a pool and
app client created as ``provisioning`` creates them.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cognitoidp.responses import CognitoIdpResponse

from infrastructure.local.aws.provisioning import _create_user_pool
from infrastructure.local.aws.write_attributes import UNAUTHORIZED_ATTRIBUTE, client_write_attributes_enforced
from infrastructure.resources import TENANT_ID_ATTRIBUTE, WEB_CLIENT

TENANT_CLAIM = TENANT_ID_ATTRIBUTE.claim
EMAIL = "ana@example.com"
PASSWORD = "Local-Passw0rd!!"


@pytest.fixture
def cognito():
    with mock_aws():
        yield boto3.client("cognito-idp", region_name="us-east-1")


def user_with_tenant(cognito) -> tuple[str, str]:
    """(pool id, access token through the web client) of a confirmed user whose tenant is "t1"."""
    pool_id, client_id = _create_user_pool(cognito)
    cognito.admin_create_user(UserPoolId=pool_id, Username=EMAIL, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=EMAIL, Password=PASSWORD, Permanent=True)
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username=EMAIL, UserAttributes=[{"Name": TENANT_CLAIM, "Value": "t1"}]
    )
    tokens = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]
    return pool_id, tokens["AccessToken"]


def attributes(cognito, pool_id: str) -> dict[str, str]:
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=EMAIL)
    return {item["Name"]: item["Value"] for item in user["UserAttributes"]}


def write_tenant(cognito, access_token: str) -> None:
    cognito.update_user_attributes(
        AccessToken=access_token, UserAttributes=[{"Name": TENANT_CLAIM, "Value": "someone-elses"}]
    )


def test_the_web_client_may_not_write_the_tenant():
    assert TENANT_CLAIM not in WEB_CLIENT.write_attributes


def test_moto_alone_lets_a_user_write_their_own_tenant(cognito):
    pool_id, access_token = user_with_tenant(cognito)

    write_tenant(cognito, access_token)

    assert attributes(cognito, pool_id)[TENANT_CLAIM] == "someone-elses"


def test_enforced_a_user_writing_an_attribute_their_client_may_not_write_is_refused(cognito):
    pool_id, access_token = user_with_tenant(cognito)

    with client_write_attributes_enforced(), pytest.raises(ClientError) as refused:
        cognito.update_user_attributes(
            AccessToken=access_token,
            UserAttributes=[{"Name": "name", "Value": "Ana"}, {"Name": TENANT_CLAIM, "Value": "someone-elses"}],
        )

    assert refused.value.response["Error"] == {"Code": "NotAuthorizedException", "Message": UNAUTHORIZED_ATTRIBUTE}
    assert attributes(cognito, pool_id)[TENANT_CLAIM] == "t1"
    assert "name" not in attributes(cognito, pool_id)  # nothing of a refused request is written


def test_enforced_the_attributes_the_client_may_write_are_written(cognito):
    pool_id, access_token = user_with_tenant(cognito)

    with client_write_attributes_enforced():
        cognito.update_user_attributes(AccessToken=access_token, UserAttributes=[{"Name": "name", "Value": "Ana"}])

    assert attributes(cognito, pool_id)["name"] == "Ana"


def test_enforced_a_client_that_names_no_write_attributes_may_write_any(cognito):
    pool_id, _ = _create_user_pool(cognito)
    open_client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="open", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username=EMAIL, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=EMAIL, Password=PASSWORD, Permanent=True)
    access_token = cognito.initiate_auth(
        ClientId=open_client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]["AccessToken"]

    with client_write_attributes_enforced():
        write_tenant(cognito, access_token)

    assert attributes(cognito, pool_id)[TENANT_CLAIM] == "someone-elses"


def test_enforced_a_sign_up_with_an_attribute_the_client_may_not_write_is_refused(cognito):
    pool_id, client_id = _create_user_pool(cognito)

    with client_write_attributes_enforced(), pytest.raises(ClientError) as refused:
        cognito.sign_up(
            ClientId=client_id,
            Username=EMAIL,
            Password=PASSWORD,
            UserAttributes=[{"Name": TENANT_CLAIM, "Value": "someone-elses"}],
        )

    assert refused.value.response["Error"] == {"Code": "NotAuthorizedException", "Message": UNAUTHORIZED_ATTRIBUTE}
    assert cognito.list_users(UserPoolId=pool_id)["Users"] == []


def test_the_admin_api_still_writes_the_tenant(cognito):
    pool_id, _ = user_with_tenant(cognito)

    with client_write_attributes_enforced():
        cognito.admin_update_user_attributes(
            UserPoolId=pool_id, Username=EMAIL, UserAttributes=[{"Name": TENANT_CLAIM, "Value": "t2"}]
        )

    assert attributes(cognito, pool_id)[TENANT_CLAIM] == "t2"


def test_moto_is_restored_after_the_block(cognito):
    original = (CognitoIdpResponse.update_user_attributes, CognitoIdpResponse.sign_up)

    with client_write_attributes_enforced():
        assert CognitoIdpResponse.update_user_attributes is not original[0]

    assert (CognitoIdpResponse.update_user_attributes, CognitoIdpResponse.sign_up) == original
