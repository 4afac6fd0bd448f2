"""Settings shared by every suite: no real AWS credentials, no tracing, a fixed region."""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infrastructure import constants, resources
from infrastructure.offline import go_offline
from infrastructure.routes import route_policy
from tests.utils import SIGNED_UP

go_offline()  # before any client is created: tests must never reach a real AWS account
# The venv's bin first, as `make` puts it: the CDK's jsii runtime then starts the venv's Node, not a system one.
os.environ["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))


@pytest.fixture(autouse=True)
def _fresh_cached_clients():
    """Clients and settings are cached per warm container; each test is a new container."""
    from cloudivize import composition, config, crypto, idempotency, repository, tenancy

    caches = (
        config.function_config,
        composition.backend,
        crypto.sealer_for,
        tenancy.route_policy,
        repository._table,
        idempotency._run_once,
    )
    for cached in caches:
        cached.cache_clear()
    SIGNED_UP.clear()
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


SIGN_UP_KINDS = {"tenant", "member", "membership", "profile"}


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

    def items_beyond_sign_up(self) -> list[dict]:
        """What requests wrote: every item but the organizations and memberships sign-up made."""
        return [item for item in self.items() if item.get("kind") not in SIGN_UP_KINDS]

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

    def confirm_user(self, email: str) -> dict[str, str]:
        """Sign a user up the way Cognito would (post-confirmation trigger included); their token claims."""
        from functions.post_confirmation import handler
        from infrastructure.local.events import post_confirmation_event
        from tests.utils import LambdaContext, claims_for

        user = self.add_user(email)
        event = post_confirmation_event(
            region="us-east-1",
            user_pool_id=self.user_pool_id,
            client_id="client",
            username=user["username"],
            user_attributes={"sub": user["sub"], "email": email, "email_verified": "true"},
        )
        handler.lambda_handler(event, LambdaContext())
        from cloudivize.tenants import tenant_id_for_first_user

        return claims_for(tenant_id_for_first_user(self.user_pool_id, user["sub"]), user["sub"], email)

    def external_id(self, tenant_id: str) -> str:
        from cloudivize.crypto import FieldSealer
        from cloudivize.repository import Table
        from cloudivize.tenants import read_external_id

        return read_external_id(Table(self.table_name), FieldSealer(self.field_key_arn), tenant_id)


PRINCIPAL_ARN = "arn:aws:iam::123456789012:role/Cloudivize-CustomerAccess"
AUDIT_TABLE_NAME = "cloudivize-unit-audit"
TEMPLATE_URL = "https://cloudivize-templates.s3.us-east-1.amazonaws.com/onboarding/aws/customer-role.yaml"


@pytest.fixture
def cloud(monkeypatch) -> FakeCloud:
    with mock_aws():
        key_arn = boto3.client("kms").create_key(Description="field key")["KeyMetadata"]["Arn"]
        for name, table in (
            ("cloudivize-unit", resources.MAIN_TABLE),
            ("cloudivize-unit-idempotency", resources.IDEMPOTENCY_TABLE),
            (AUDIT_TABLE_NAME, resources.AUDIT_TABLE),
        ):
            boto3.client("dynamodb").create_table(
                TableName=name,
                KeySchema=table.key_schema(),
                AttributeDefinitions=table.attribute_definitions(),
                BillingMode="PAY_PER_REQUEST",
            )
        pool_id = boto3.client("cognito-idp").create_user_pool(
            PoolName="cloudivize-unit",
            Schema=[resources.TENANT_ID_ATTRIBUTE.schema()],
        )["UserPool"]["Id"]
        monkeypatch.setenv(constants.ENV_TABLE_NAME, "cloudivize-unit")
        monkeypatch.setenv(constants.ENV_FIELD_KEY_ARN, key_arn)
        monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", "cloudivize-unit-idempotency")
        monkeypatch.setenv(constants.ENV_CUSTOMER_ACCESS_ROLE_ARN, PRINCIPAL_ARN)
        monkeypatch.setenv(constants.ENV_ONBOARDING_TEMPLATE_URL, TEMPLATE_URL)
        monkeypatch.setenv(constants.ENV_ROUTE_POLICY, route_policy())
        monkeypatch.setenv(constants.ENV_AUDIT_TABLE_NAME, AUDIT_TABLE_NAME)
        yield FakeCloud(table_name="cloudivize-unit", field_key_arn=key_arn, user_pool_id=pool_id)


@dataclass
class Customer:
    """A signed-up tenant and the AWS account it connects (a role from Cloudivize's template, some instances)."""

    claims: dict[str, str]
    external_id: str
    account: object  # infrastructure.local.customer_account.CustomerAccount


def _customer(cloud: FakeCloud, email: str, *, allow_operations: bool) -> Customer:
    from cloudivize.aws_access.onboarding import trust_policy
    from infrastructure.local.customer_account import seed_customer_account

    claims = cloud.confirm_user(email)
    external_id = cloud.external_id(claims["custom:tenant_id"])
    account = seed_customer_account(
        trust_policy=trust_policy(PRINCIPAL_ARN, external_id), allow_operations=allow_operations
    )
    return Customer(claims=claims, external_id=external_id, account=account)


@pytest.fixture
def customer(cloud) -> Customer:
    """A tenant whose account role is read-only (the template's default)."""
    return _customer(cloud, "owner@example.com", allow_operations=False)


@pytest.fixture
def operating_customer(cloud) -> Customer:
    """A tenant whose account role also allows operations (AllowOperations=true)."""
    return _customer(cloud, "operator@example.com", allow_operations=True)


@pytest.fixture
def azure(monkeypatch):
    """Microsoft Entra ID and Azure Resource Manager played by a fake, behind the real SDK's transport."""
    from tests.azure_fake import FakeAzure, clear_azure_caches, plug_fake_transport

    fake = FakeAzure()
    plug_fake_transport(monkeypatch, fake)
    yield fake
    clear_azure_caches()
