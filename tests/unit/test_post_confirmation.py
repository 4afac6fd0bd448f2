"""The post-confirmation trigger, run on the documented Cognito event against moto."""

import pytest

from cloudivize.crypto import FieldSealer
from cloudivize.repository import Table
from cloudivize.tenants import EXTERNAL_ID_ALPHABET, EXTERNAL_ID_LENGTH, read_external_id
from functions.post_confirmation import handler


class Context:
    function_name = "post_confirmation"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:post_confirmation"
    aws_request_id = "req-1"


def confirmation_event(cloud, user: dict, trigger_source: str = "PostConfirmation_ConfirmSignUp") -> dict:
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": cloud.user_pool_id,
        "userName": user["username"],
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client"},
        "triggerSource": trigger_source,
        "request": {
            "userAttributes": {
                "sub": user["sub"],
                "email": user["email"],
                "email_verified": "true",
                "cognito:user_status": "CONFIRMED",
            }
        },
        "response": {},
    }


def tenant_items(cloud) -> list[dict]:
    return [item for item in cloud.items() if item["sk"] == "META"]


def organization_of(cloud, user) -> str:
    """The user's organization, as their requests find it (their membership), never a token attribute."""
    from cloudivize.store.memberships import MembershipStore

    return MembershipStore(Table(cloud.table_name)).of_user(user["sub"]).current(None)


def test_confirmed_user_gets_a_tenant_with_a_sealed_external_id(cloud):
    user = cloud.add_user("ana@example.com")

    result = handler.lambda_handler(confirmation_event(cloud, user), Context())

    assert result["triggerSource"] == "PostConfirmation_ConfirmSignUp"  # Cognito needs the event back
    tenant_id = organization_of(cloud, user)
    [item] = tenant_items(cloud)
    assert item["pk"] == f"TENANT#{tenant_id}"
    external_id = read_external_id(Table(cloud.table_name), FieldSealer(cloud.field_key_arn), tenant_id)
    assert len(external_id) >= 32 and len(external_id) == EXTERNAL_ID_LENGTH
    assert set(external_id) <= set(EXTERNAL_ID_ALPHABET)
    # sealed: the plaintext is in no attribute of the stored item
    assert all(external_id not in str(value) for value in item.values())
    # the user owns it, it is their default, and nothing was written to their Cognito attributes
    assert {i["sk"]: i.get("role") for i in cloud.items() if i["kind"] in ("member", "membership")} == {
        f"MEMBER#{user['sub']}": "owner",
        f"ORG#{tenant_id}": "owner",
    }
    assert item["owners"] == 1 and item["name"] == "ana's organization"
    assert "custom:tenant_id" not in cloud.user_attributes(user["username"])


def test_rerunning_the_trigger_keeps_one_tenant_and_its_external_id(cloud):
    user = cloud.add_user("ana@example.com")
    event = confirmation_event(cloud, user)
    handler.lambda_handler(event, Context())
    tenant_id = organization_of(cloud, user)
    external_id = read_external_id(Table(cloud.table_name), FieldSealer(cloud.field_key_arn), tenant_id)

    handler.lambda_handler(event, Context())

    assert organization_of(cloud, user) == tenant_id
    assert len([i for i in cloud.items() if i["kind"] == "member"]) == 1
    assert len(tenant_items(cloud)) == 1
    assert read_external_id(Table(cloud.table_name), FieldSealer(cloud.field_key_arn), tenant_id) == external_id


def test_two_users_get_two_tenants_with_different_external_ids(cloud):
    users = [cloud.add_user("ana@example.com"), cloud.add_user("bo@example.com")]

    for user in users:
        handler.lambda_handler(confirmation_event(cloud, user), Context())

    tenant_ids = {organization_of(cloud, u) for u in users}
    assert len(tenant_ids) == 2
    sealer, table = FieldSealer(cloud.field_key_arn), Table(cloud.table_name)
    assert len({read_external_id(table, sealer, t) for t in tenant_ids}) == 2


def test_password_reset_confirmation_creates_nothing(cloud):
    user = cloud.add_user("ana@example.com")

    handler.lambda_handler(confirmation_event(cloud, user, "PostConfirmation_ConfirmForgotPassword"), Context())

    assert tenant_items(cloud) == []
    assert "custom:tenant_id" not in cloud.user_attributes(user["username"])


def test_external_id_never_reaches_the_log(cloud, debug_logs):
    user = cloud.add_user("ana@example.com")

    handler.lambda_handler(confirmation_event(cloud, user), Context())

    tenant_id = organization_of(cloud, user)
    external_id = read_external_id(Table(cloud.table_name), FieldSealer(cloud.field_key_arn), tenant_id)
    logged = debug_logs()
    assert tenant_id in logged  # the log does say which tenant it was about
    assert external_id not in logged


@pytest.mark.parametrize("missing", ["TABLE_NAME", "FIELD_KEY_ARN"])
def test_misconfigured_function_fails_loudly_without_creating_anything(cloud, monkeypatch, missing):
    monkeypatch.delenv(missing)
    user = cloud.add_user("ana@example.com")

    with pytest.raises(ValueError):
        handler.lambda_handler(confirmation_event(cloud, user), Context())
    assert tenant_items(cloud) == []
