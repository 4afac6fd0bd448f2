"""Unit fixtures: AWS faked in-process by moto (real KMS crypto, real DynamoDB conditional writes)."""

from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from infrastructure import constants


@dataclass
class FakeCloud:
    table_name: str
    field_key_arn: str
    user_pool_id: str

    @property
    def table(self):
        return boto3.resource("dynamodb").Table(self.table_name)

    def items(self) -> list[dict]:
        return self.table.scan()["Items"]

    def add_user(self, email: str) -> dict:
        cognito = boto3.client("cognito-idp")
        user = cognito.admin_create_user(
            UserPoolId=self.user_pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}],
            MessageAction="SUPPRESS",
        )["User"]
        return {a["Name"]: a["Value"] for a in user["Attributes"]} | {"username": user["Username"]}

    def user_attributes(self, username: str) -> dict:
        user = boto3.client("cognito-idp").admin_get_user(UserPoolId=self.user_pool_id, Username=username)
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


@pytest.fixture
def cloud(monkeypatch) -> FakeCloud:
    with mock_aws():
        key_arn = boto3.client("kms").create_key(Description="field key")["KeyMetadata"]["Arn"]
        boto3.client("dynamodb").create_table(
            TableName="cloudivize-unit",
            KeySchema=[
                {"AttributeName": constants.TABLE_PARTITION_KEY, "KeyType": "HASH"},
                {"AttributeName": constants.TABLE_SORT_KEY, "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": constants.TABLE_PARTITION_KEY, "AttributeType": "S"},
                {"AttributeName": constants.TABLE_SORT_KEY, "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("dynamodb").create_table(
            TableName="cloudivize-unit-idempotency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        pool_id = boto3.client("cognito-idp").create_user_pool(
            PoolName="cloudivize-unit",
            Schema=[{"Name": constants.TENANT_ATTRIBUTE, "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
        monkeypatch.setenv(constants.ENV_TABLE_NAME, "cloudivize-unit")
        monkeypatch.setenv(constants.ENV_FIELD_KEY_ARN, key_arn)
        monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", "cloudivize-unit-idempotency")
        yield FakeCloud(table_name="cloudivize-unit", field_key_arn=key_arn, user_pool_id=pool_id)
