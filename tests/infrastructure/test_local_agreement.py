"""The local emulator provisions what the synthesized template deploys: the same tables, user pool, app client,
keys, principal name and stage. Both read ``infrastructure.resources``; this compares what each one made of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infrastructure.local.aws.emulator import DEFAULT_REGION, Emulator, aws_client
from infrastructure.local.aws.provisioning import AwsResources, provision
from infrastructure.local.stack import api_stage

# The local client also allows password sign-in, so that `token` and tests need no SRP implementation.
LOCAL_ONLY_AUTH_FLOWS = {"ALLOW_USER_PASSWORD_AUTH"}
SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


@dataclass(frozen=True)
class Provisioned:
    resources: AwsResources

    def client(self, service: str) -> Any:
        return aws_client(service, self.resources.aws_endpoint_url, self.resources.region)


@pytest.fixture(scope="module")
def emulated() -> Iterator[Provisioned]:
    emulator = Emulator("127.0.0.1", 0)
    endpoint_url = emulator.start()
    try:
        yield Provisioned(provision(endpoint_url, DEFAULT_REGION))
    finally:
        emulator.stop()


def _properties(synth, construct) -> dict[str, Any]:
    return synth.template["Resources"][synth.logical_id(construct)]["Properties"]


def _tables(synth, emulated: Provisioned) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, template properties, emulator's description) of each table."""
    dynamodb = emulated.client("dynamodb")
    pairs = [
        (synth.stack.data.table, emulated.resources.table_name),
        (synth.stack.data.idempotency_table, emulated.resources.idempotency_table_name),
        (synth.stack.data.audit_table, emulated.resources.audit_table_name),
    ]
    return [
        (name, _properties(synth, table), dynamodb.describe_table(TableName=name)["Table"]) for table, name in pairs
    ]


def test_every_table_of_the_template_is_emulated(synth, emulated):
    assert len(synth.resources("AWS::DynamoDB::Table")) == len(_tables(synth, emulated))


def test_tables_have_the_same_keys_billing_and_deletion_protection(synth, emulated):
    for name, template, local in _tables(synth, emulated):
        assert local["KeySchema"] == template["KeySchema"], name
        assert sorted(map(str, local["AttributeDefinitions"])) == sorted(map(str, template["AttributeDefinitions"]))
        assert local["BillingModeSummary"]["BillingMode"] == template["BillingMode"] == "PAY_PER_REQUEST", name
        assert local["DeletionProtectionEnabled"] is template.get("DeletionProtectionEnabled", False), name


def test_tables_expire_records_by_the_same_attribute(synth, emulated):
    dynamodb = emulated.client("dynamodb")
    expiring = 0
    for name, template, _ in _tables(synth, emulated):
        local = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if "TimeToLiveSpecification" in template:
            expiring += 1
            assert template["TimeToLiveSpecification"]["Enabled"] is True, name
            assert local == {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": template["TimeToLiveSpecification"]["AttributeName"],
            }, name
        else:
            assert local["TimeToLiveStatus"] == "DISABLED", name
    # Every table whose facts name a TTL attribute (the idempotency records; the main table's invitations).
    from infrastructure import resources

    tables = [facts for facts in vars(resources).values() if isinstance(facts, resources.TableFacts)]
    assert expiring == sum(1 for facts in tables if facts.ttl_attribute)


def test_tables_are_encrypted_with_the_table_key_and_recoverable(synth, emulated):
    table_key = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.table_key), "Arn"]}
    dynamodb = emulated.client("dynamodb")
    for name, template, local in _tables(synth, emulated):
        assert template["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": table_key}
        assert local["SSEDescription"]["Status"] == "ENABLED", name
        assert local["SSEDescription"]["SSEType"] == "KMS", name
        assert local["SSEDescription"]["KMSMasterKeyArn"] == emulated.resources.table_key_arn, name

        backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert template["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", name


def _user_pool(emulated: Provisioned) -> dict[str, Any]:
    return emulated.client("cognito-idp").describe_user_pool(UserPoolId=emulated.resources.user_pool_id)["UserPool"]


def test_the_password_policy_is_the_same(synth, emulated):
    template = _properties(synth, synth.stack.auth.user_pool)["Policies"]["PasswordPolicy"]
    local = _user_pool(emulated)["Policies"]["PasswordPolicy"]
    assert set(template) == {
        "MinimumLength",
        "RequireLowercase",
        "RequireUppercase",
        "RequireNumbers",
        "RequireSymbols",
        "TemporaryPasswordValidityDays",
    }
    assert {key: local.get(key) for key in template} == template


def test_the_tenant_attribute_has_the_same_constraints(synth, emulated):
    def tenant(schema: list[dict[str, Any]]) -> dict[str, Any]:
        [attribute] = [a for a in schema if a["Name"] in ("tenant_id", "custom:tenant_id")]
        return attribute

    template = tenant(_properties(synth, synth.stack.auth.user_pool)["Schema"])
    local = tenant(_user_pool(emulated)["SchemaAttributes"])
    assert local["AttributeDataType"] == template["AttributeDataType"] == "String"
    assert local["Mutable"] is template["Mutable"] is True
    assert local["StringAttributeConstraints"] == template["StringAttributeConstraints"]


def _app_client(emulated: Provisioned) -> dict[str, Any]:
    return emulated.client("cognito-idp").describe_user_pool_client(
        UserPoolId=emulated.resources.user_pool_id, ClientId=emulated.resources.client_id
    )["UserPoolClient"]


def test_the_app_client_reads_and_writes_the_same_attributes(synth, emulated):
    template = _properties(synth, synth.stack.auth.client)
    local = _app_client(emulated)
    assert set(local["ReadAttributes"]) == set(template["ReadAttributes"])
    assert set(local["WriteAttributes"]) == set(template["WriteAttributes"])
    assert "custom:tenant_id" in local["ReadAttributes"]


def test_the_app_client_signs_in_the_same_way_plus_password_sign_in_locally(synth, emulated):
    template = _properties(synth, synth.stack.auth.client)
    local = _app_client(emulated)
    assert set(local["ExplicitAuthFlows"]) == set(template["ExplicitAuthFlows"]) | LOCAL_ONLY_AUTH_FLOWS
    assert template["GenerateSecret"] is False
    assert "ClientSecret" not in local
    assert local["PreventUserExistenceErrors"] == template["PreventUserExistenceErrors"] == "ENABLED"
    assert local["EnableTokenRevocation"] is template["EnableTokenRevocation"] is True


def test_tokens_are_valid_for_the_same_time(synth, emulated):
    template = _properties(synth, synth.stack.auth.client)
    local = _app_client(emulated)
    for token, validity in (("IdToken", "IdTokenValidity"), ("AccessToken", "AccessTokenValidity"),
                            ("RefreshToken", "RefreshTokenValidity")):  # fmt: skip
        deployed = template[validity] * SECONDS[template["TokenValidityUnits"][token]]
        assert local[validity] * SECONDS[local["TokenValidityUnits"][token]] == deployed, token


def _keys(synth, emulated: Provisioned) -> list[tuple[dict[str, Any], str]]:
    data = synth.stack.data
    return [(data.table_key, emulated.resources.table_key_arn), (data.field_key, emulated.resources.field_key_arn)]


def test_keys_have_the_same_purpose_rotation_and_alias(synth, emulated):
    kms = emulated.client("kms")
    aliases = synth.resources("AWS::KMS::Alias").values()
    for key, local_arn in _keys(synth, emulated):
        template = _properties(synth, key)
        local = kms.describe_key(KeyId=local_arn)["KeyMetadata"]
        assert local["Description"] == template["Description"]
        assert local["KeySpec"] == template.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
        assert kms.get_key_rotation_status(KeyId=local_arn)["KeyRotationEnabled"] is template["EnableKeyRotation"]
        [alias] = [
            a["Properties"]["AliasName"]
            for a in aliases
            if a["Properties"]["TargetKeyId"] == {"Fn::GetAtt": [synth.logical_id(key), "Arn"]}
        ]
        assert [a["AliasName"] for a in kms.list_aliases(KeyId=local["KeyId"])["Aliases"]] == [alias]


def test_the_principal_has_the_same_name(synth, emulated):
    template = _properties(synth, synth.stack.customer_access.role)
    local_name = emulated.resources.customer_access_role_arn.rsplit("/", 1)[-1]
    assert local_name == template["RoleName"] == "Cloudivize-CustomerAccess"
    assert emulated.client("iam").get_role(RoleName=local_name)["Role"]["Arn"] == (
        emulated.resources.customer_access_role_arn
    )


def test_the_functions_see_the_same_stage(synth, emulated):
    [stage] = synth.resources("AWS::ApiGateway::Stage").values()
    assert api_stage(emulated.resources.account_id).stage == stage["Properties"]["StageName"] == "v1"
