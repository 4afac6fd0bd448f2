"""Settings shared by every suite: no real AWS credentials, no tracing, a fixed region."""

import os
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from infrastructure import constants

# Set before any client is created: tests must never reach a real AWS account.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "cloudivize",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(autouse=True)
def _fresh_cached_clients():
    """Clients and settings are cached per warm container; each test is a new container."""
    from cloudivize import config, crypto, idempotency, identity, repository

    caches = (config.get_settings, crypto.sealer_for, identity._cognito, repository._table, idempotency._run_once)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


@pytest.fixture
def debug_logs(caplog):
    """Run with DEBUG logging everywhere; returns a function giving every log line written so far.

    Cloudivize's own lines are captured as the Lambda runtime would ship them (Powertools' JSON, every extra
    key included); other libraries' lines through the standard logging tree.
    """
    import io
    import logging

    from cloudivize.observability import logger

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    previous = logger.log_level
    logger.addHandler(handler)
    logger.setLevel("DEBUG")
    caplog.set_level(logging.DEBUG)

    yield lambda: buffer.getvalue() + caplog.text

    logger.setLevel(previous)
    logger.removeHandler(handler)


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
