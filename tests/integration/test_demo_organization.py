"""The demo AWS organization the session's stack (``make run``'s, a process of its own) seeds for the demo tenant: what
its info file says, and that the discovery role and the member roles trust exactly what GET /onboarding/aws tells the
demo tenant to trust."""

from __future__ import annotations

import boto3
import pytest

from infrastructure.local.aws.emulator import aws_client
from infrastructure.local.customer_organization import DEMO_MANAGEMENT_ACCOUNT_ID

pytestmark = pytest.mark.integration


def session_of(credentials: dict, region: str) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


@pytest.fixture(scope="module")
def as_cloudivize(api, local_stack, demo_token):
    """AssumeRole as Cloudivize's principal with the External ID the demo tenant's onboarding answers."""
    onboarding = api.get("/onboarding/aws", token=demo_token).json()
    endpoint, region = local_stack.resources.aws_endpoint_url, local_stack.resources.region
    broker = aws_client("sts", endpoint, region).assume_role(
        RoleArn=onboarding["principal_arn"], RoleSessionName="Cloudivize-Broker"
    )["Credentials"]
    sts = session_of(broker, region).client("sts", endpoint_url=endpoint)

    def assume(role_arn: str) -> boto3.Session:
        credentials = sts.assume_role(
            RoleArn=role_arn, RoleSessionName="Cloudivize-Session", ExternalId=onboarding["external_id"]
        )["Credentials"]
        return session_of(credentials, region)

    return assume


def test_the_info_file_names_the_demo_organization_and_its_discovery_role_lists_it(local_stack, as_cloudivize):
    organization = local_stack.demo_organization
    endpoint = local_stack.resources.aws_endpoint_url

    listed = as_cloudivize(organization["discovery_role_arn"]).client("organizations", endpoint_url=endpoint)
    accounts = {account["Id"]: account["Status"] for account in listed.list_accounts()["Accounts"]}

    assert organization["management_account_id"] == DEMO_MANAGEMENT_ACCOUNT_ID
    assert organization["discovery_role_arn"] == (
        f"arn:aws:iam::{DEMO_MANAGEMENT_ACCOUNT_ID}:role/CloudivizeOrganizationDiscovery"
    )
    assert len(organization["member_account_ids"]) == 3
    assert accounts == dict.fromkeys([DEMO_MANAGEMENT_ACCOUNT_ID, *organization["member_account_ids"]], "ACTIVE")
    assert listed.describe_organization()["Organization"]["Id"] == organization["organization_id"]


def test_each_demo_member_role_trusts_the_demo_tenant_and_lists_its_two_instances(local_stack, as_cloudivize):
    endpoint = local_stack.resources.aws_endpoint_url

    for account_id in local_stack.demo_organization["member_account_ids"]:
        ec2 = as_cloudivize(f"arn:aws:iam::{account_id}:role/CloudivizeAccess").client("ec2", endpoint_url=endpoint)
        reservations = ec2.describe_instances()["Reservations"]

        assert {reservation["OwnerId"] for reservation in reservations} == {account_id}
        assert sum(len(reservation["Instances"]) for reservation in reservations) == 2
