"""What a customer needs to create the role Cloudivize uses (GET /onboarding/aws), and what the organization
onboarding (``organization_onboarding``) shares with it: the templates, the trust policy, the console links."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from urllib.parse import quote, urlencode

from pydantic import BaseModel, Field

from cloudivize.aws_access import SESSION_NAME
from cloudivize.models.fields import ROLE_ARN_PATTERN

TEMPLATE_FILE = "customer-role.yaml"
STACK_NAME = "Cloudivize-Access"
CONSOLE_BY_PARTITION = {
    "aws": "https://console.aws.amazon.com",
    "aws-cn": "https://console.amazonaws.cn",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
}


class AwsOnboarding(BaseModel):
    principal_arn: str = Field(description="Cloudivize's principal: the only principal your role should trust")
    external_id: str = Field(description="Your organisation's External ID; the role must require it")
    session_name: str = Field(description="How Cloudivize's sessions appear in your CloudTrail")
    trust_policy: dict = Field(description="The role's trust policy (JSON)")
    cloudformation_template: str = Field(description="CloudFormation template (YAML) creating the role")
    quick_create_url: str | None = Field(description="Console link that opens the template with your values filled")
    steps: list[str]


@cache
def template_text(file_name: str) -> str:
    """A CloudFormation template shipped beside this module: the very file the stack publishes."""
    return resources.files("cloudivize.aws_access").joinpath(file_name).read_text()


def customer_role_template() -> str:
    return template_text(TEMPLATE_FILE)


def partition_of(principal_arn: str) -> str:
    found = ROLE_ARN_PATTERN.match(principal_arn)
    return found["partition"] if found else "aws"


def trust_policy(principal_arn: str, external_id: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudivizeWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": principal_arn},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def quick_create_url(
    *,
    principal_arn: str,
    external_id: str,
    template_url: str,
    stack_name: str,
    region: str,
    parameters: Mapping[str, str] | None = None,
) -> str:
    """The console link (in the principal's partition) that opens ``template_url`` with Cloudivize's principal, the
    External ID and any other ``parameters`` filled in."""
    console = CONSOLE_BY_PARTITION[partition_of(principal_arn)]
    values = {"CloudivizePrincipalArn": principal_arn, "ExternalId": external_id, **(parameters or {})}
    fragment = urlencode(
        {"templateURL": template_url, "stackName": stack_name, **{f"param_{k}": v for k, v in values.items()}},
        quote_via=quote,
    )
    return f"{console}/cloudformation/home?region={region}#/stacks/quickcreate?{fragment}"


def aws_onboarding(*, principal_arn: str, external_id: str, template_url: str | None, region: str) -> AwsOnboarding:
    policy = trust_policy(principal_arn, external_id)
    return AwsOnboarding(
        principal_arn=principal_arn,
        external_id=external_id,
        session_name=SESSION_NAME,
        trust_policy=policy,
        cloudformation_template=customer_role_template(),
        quick_create_url=quick_create_url(
            principal_arn=principal_arn,
            external_id=external_id,
            template_url=template_url,
            stack_name=STACK_NAME,
            region=region,
        )
        if template_url
        else None,
        steps=[
            "Open the quick-create link (or deploy the template) in the account to connect; keep AllowOperations "
            '"false" for a read-only connection, or set it to "true" to let Cloudivize start, stop, reboot and tag.',
            "Or create the role yourself with this trust policy: " + json.dumps(policy, separators=(",", ":")),
            "Copy the role ARN from the stack outputs and add it in Cloudivize (POST /connections).",
            f"Every call Cloudivize makes appears in your CloudTrail under the session name {SESSION_NAME}.",
        ],
    )
