"""What a customer needs to connect a whole AWS organization (GET /onboarding/aws-organization).

One template in the management account (``organization-management.yaml``): a discovery role Cloudivize assumes to
list the accounts, and a service-managed StackSet of the customer-role template for every member account. The
names and the discovery policy shown here are read from that file, so the answer and the template cannot differ.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import yaml
from pydantic import BaseModel, Field

from cloudivize.aws_access import SESSION_NAME
from cloudivize.aws_access.onboarding import partition_of, quick_create_url, template_text, trust_policy

TEMPLATE_FILE = "organization-management.yaml"
STACK_NAME = "Cloudivize-Organization"
DISCOVERY_ROLE = "CloudivizeDiscoveryRole"  # the template's logical id of the discovery role
DISCOVERY_POLICY = "CloudivizeDiscovery"
# How often Cloudivize's schedule reconciles organizations unless a deployment sets another period: the stack's
# DEFAULT_ORGANIZATION_SYNC_HOURS (tests/unit/test_organization_onboarding.py keeps the two equal).
DEFAULT_SYNC_HOURS = 6
# The one value the answer cannot know: the account the customer deploys the template in.
MANAGEMENT_ACCOUNT_PLACEHOLDER = "<management-account-id>"
# In the policy shown for creating the role by hand, "the account this role is in" as IAM itself resolves it.
OWN_ACCOUNT_POLICY_VARIABLE = "${aws:PrincipalAccount}"


class AwsOrganizationOnboarding(BaseModel):
    principal_arn: str = Field(description="Cloudivize's principal: the only principal the roles trust")
    external_id: str = Field(description="Your organisation's External ID; every role requires it")
    session_name: str = Field(description="How Cloudivize's sessions appear in your CloudTrail")
    discovery_role_name: str = Field(description="The role (management account) Cloudivize lists accounts with")
    member_role_name: str = Field(description="The role the StackSet creates in every member account")
    discovery_policy: dict = Field(description="The discovery role's only permissions (JSON policy document)")
    trust_policy: dict = Field(description="The trust policy of the discovery role and of every member role (JSON)")
    cloudformation_template: str = Field(description="CloudFormation template (YAML) for the management account")
    quick_create_url: str | None = Field(description="Console link that opens the template with your values filled")
    connect_body: dict = Field(
        description="The POST /connections body that connects the organization; replace its role_arn with the "
        "stack's DiscoveryRoleArn output"
    )
    steps: list[str]


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (``!Ref``, ``!Sub``, ``!GetAtt``…) read as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def organization_template() -> str:
    return template_text(TEMPLATE_FILE)


@cache
def organization_template_document() -> dict[str, Any]:
    return yaml.load(organization_template(), Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass


def _default(parameter: str) -> str:
    return organization_template_document()["Parameters"][parameter]["Default"]


def _substituted(value: Any, names: dict[str, str]) -> Any:
    """``value`` with each ``Fn::Sub`` string resolved from ``names``; a name it does not know is an error."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda found: names[found[1]], value["Fn::Sub"])
    if isinstance(value, dict):
        return {key: _substituted(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_substituted(item, names) for item in value]
    return value


def discovery_policy(partition: str, discovery_role_name: str) -> dict[str, Any]:
    """The template's discovery policy, as a document to paste: its own ARN in the principal's partition."""
    [policy] = [
        policy["PolicyDocument"]
        for policy in organization_template_document()["Resources"][DISCOVERY_ROLE]["Properties"]["Policies"]
        if policy["PolicyName"] == DISCOVERY_POLICY
    ]
    names = {
        "AWS::Partition": partition,
        "AWS::AccountId": OWN_ACCOUNT_POLICY_VARIABLE,
        "DiscoveryRoleName": discovery_role_name,
    }
    return _substituted(policy, names)


def _compact(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def aws_organization_onboarding(
    *,
    principal_arn: str,
    external_id: str,
    organization_template_url: str | None,
    customer_role_template_url: str | None,
    region: str,
) -> AwsOrganizationOnboarding:
    partition = partition_of(principal_arn)
    discovery_role_name, member_role_name = _default("DiscoveryRoleName"), _default("RoleName")
    trust = trust_policy(principal_arn, external_id)
    policy = discovery_policy(partition, discovery_role_name)
    connect_body = {
        "provider": "aws",
        "scope": "organization",
        "name": "AWS organization",
        "role_arn": f"arn:{partition}:iam::{MANAGEMENT_ACCOUNT_PLACEHOLDER}:role/{discovery_role_name}",
        "member_role_name": member_role_name,
        "include_management_account": False,
    }
    # Both templates must be published: the StackSet reads the customer-role template from its URL.
    link = (
        quick_create_url(
            principal_arn=principal_arn,
            external_id=external_id,
            template_url=organization_template_url,
            stack_name=STACK_NAME,
            region=region,
            parameters={"CustomerRoleTemplateUrl": customer_role_template_url},
        )
        if organization_template_url and customer_role_template_url
        else None
    )
    return AwsOrganizationOnboarding(
        principal_arn=principal_arn,
        external_id=external_id,
        session_name=SESSION_NAME,
        discovery_role_name=discovery_role_name,
        member_role_name=member_role_name,
        discovery_policy=policy,
        trust_policy=trust,
        cloudformation_template=organization_template(),
        quick_create_url=link,
        connect_body=connect_body,
        steps=[
            "Deploy the template once, in one region, in the organization's management account (open the "
            "quick-create link there), or in a delegated administrator account for CloudFormation StackSets with "
            'CallAs set to "DELEGATED_ADMIN". Trusted access for CloudFormation StackSets must be enabled in AWS '
            "Organizations.",
            "Leave TargetOrganizationalUnitIds empty to give every account the role (the organization's root), or "
            'list the organizational units to connect. Keep AllowOperations "false" for read-only access, or set '
            'it to "true" to let Cloudivize start, stop, reboot and tag.',
            "A StackSet never deploys to the management account, so it is left out: to connect it too, set "
            'IncludeManagementAccount to "true" (the template then creates the role there) and send '
            '"include_management_account": true.',
            "Copy DiscoveryRoleArn from the stack outputs and send POST /connections with this body, its role_arn "
            f"replaced: {_compact(connect_body)}. Cloudivize verifies the discovery role, lists the organization's "
            f"accounts and connects each through its {member_role_name} role.",
            "Accounts that join later get the role from the StackSet's auto-deployment, and Cloudivize connects "
            f"them at its next sync (every {DEFAULT_SYNC_HOURS} hours unless this deployment sets another period) "
            "or when you send POST /connections/{id}/sync; accounts that leave are marked left, suspended ones "
            "are flagged.",
            f"Without the template: create the discovery role {discovery_role_name} in the management account with "
            f"this trust policy: {_compact(trust)} and only this inline policy: {_compact(policy)}; and the role "
            f"{member_role_name} in every member account as GET /onboarding/aws describes.",
            f"Every call Cloudivize makes appears in your CloudTrail under the session name {SESSION_NAME}.",
        ],
    )
