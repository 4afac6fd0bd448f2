"""The local stack runs the functions with the configuration they read in AWS."""

from __future__ import annotations

import time
from pathlib import Path

from cloudivize.config import FunctionConfig
from infrastructure.local.aws.provisioning import AwsResources
from infrastructure.local.lambda_runtime import AzureTarget, LambdaContext, LambdaRuntime, handler_environment
from infrastructure.routes import FUNCTIONS

RESOURCES = AwsResources(
    aws_endpoint_url="http://127.0.0.1:4566",
    region="eu-west-1",
    account_id="123456789012",
    user_pool_id="eu-west-1_pool",
    client_id="client",
    table_name="cloudivize",
    idempotency_table_name="cloudivize-idempotency",
    audit_table_name="cloudivize-audit",
    table_key_arn="arn:aws:kms:eu-west-1:123456789012:key/table",
    field_key_arn="arn:aws:kms:eu-west-1:123456789012:key/fields",
    customer_access_role_arn="arn:aws:iam::123456789012:role/Cloudivize-CustomerAccess",
    onboarding_template_url="http://127.0.0.1:4566/cloudivize-onboarding-123456789012/onboarding/aws/customer-role.yaml",
    onboarding_organization_template_url=(
        "http://127.0.0.1:4566/cloudivize-onboarding-123456789012/onboarding/aws/organization-management.yaml"
    ),
    web_identity_issuer="http://127.0.0.1:4566/_cloudivize/outbound-federation/5c8e6f0a-2b1d-4e7a-9c3f-0d4b8a6e1f27",
)


DEMO_AZURE = AzureTarget(url="https://localhost:8334", ca_file=Path("demo-azure-ca.pem"))


def test_every_setting_the_functions_read_is_in_their_environment():
    read = {field.validation_alias for field in FunctionConfig.model_fields.values()}

    assert read <= handler_environment(RESOURCES, azure=DEMO_AZURE).keys()


def test_the_functions_call_the_demo_azure_trusting_its_ca_or_else_the_real_azure_without_federation():
    demo, real = handler_environment(RESOURCES, azure=DEMO_AZURE), handler_environment(RESOURCES)

    assert demo["AZURE_AUTHORITY_HOST"] == demo["AZURE_RESOURCE_MANAGER_URL"] == "https://localhost:8334"
    assert demo["REQUESTS_CA_BUNDLE"] == "demo-azure-ca.pem"
    assert demo["AZURE_FEDERATION_ISSUER"] == RESOURCES.web_identity_issuer
    assert not {"AZURE_AUTHORITY_HOST", "AZURE_RESOURCE_MANAGER_URL", "REQUESTS_CA_BUNDLE"} & real.keys()
    assert "AZURE_FEDERATION_ISSUER" not in real  # the real Entra ID cannot reach the local stack's issuer


def test_the_functions_reach_the_emulator_and_never_real_aws():
    environment = handler_environment(RESOURCES)

    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert environment["AWS_ACCESS_KEY_ID"] and environment["AWS_SECRET_ACCESS_KEY"]
    assert environment["POWERTOOLS_TRACE_DISABLED"] == "true"


def test_the_context_names_the_function_and_counts_down_its_timeout():
    spec = FUNCTIONS["me"]

    context = LambdaRuntime(RESOURCES).new_context(spec)

    assert context.function_name == "cloudivize-me"
    assert context.memory_limit_in_mb == spec.memory_mb
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:cloudivize-me"
    assert 0 < context.get_remaining_time_in_millis() <= spec.timeout_seconds * 1000


def test_the_remaining_time_never_goes_negative():
    context = LambdaContext("f", 128, "arn", timeout_seconds=1, started_at=time.monotonic() - 5)

    assert context.get_remaining_time_in_millis() == 0
