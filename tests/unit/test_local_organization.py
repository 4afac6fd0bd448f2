"""The demo AWS organization in the emulator (``customer_organization``), as Cloudivize meets it: the discovery role
assumed as Cloudivize's principal with the External ID lists the organization and nothing else, each member's role
lists its instances, and the helpers change what ListAccounts answers."""

from __future__ import annotations

import itertools

import boto3
import pytest
from botocore.exceptions import ClientError

from infrastructure.local.aws.emulator import ACCOUNT_ID, DEFAULT_REGION, aws_client
from infrastructure.local.customer_account import DEMO_REGIONS, deployed_policy
from infrastructure.local.customer_organization import (
    DEMO_MANAGEMENT_ACCOUNT_ID,
    DemoOrganization,
    add_member_account,
    remove_member_account,
    seed_organization,
    suspend_member_account,
)
from tests.utils import discovery_policy

PRINCIPAL_NAME = "Cloudivize-CustomerAccess"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT_ID}:role/{PRINCIPAL_NAME}"
EXTERNAL_ID = "f" * 48
DISCOVERY_ROLE = f"arn:aws:iam::{DEMO_MANAGEMENT_ACCOUNT_ID}:role/CloudivizeOrganizationDiscovery"
# Management accounts of the organizations the tests change, one each (an account holds one organization).
OTHER_MANAGEMENT_ACCOUNTS = (f"3{n:011d}" for n in itertools.count(1))


def session_of(credentials: dict) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=DEFAULT_REGION,
    )


@pytest.fixture(scope="module")
def endpoint(emulator) -> str:
    return emulator.endpoint_url


@pytest.fixture(scope="module")
def principal_sts(endpoint):
    """STS as Cloudivize's principal (a session of the customer-access role), as the functions call it."""
    aws_client("iam", endpoint, DEFAULT_REGION).create_role(RoleName=PRINCIPAL_NAME, AssumeRolePolicyDocument="{}")
    credentials = aws_client("sts", endpoint, DEFAULT_REGION).assume_role(
        RoleArn=PRINCIPAL, RoleSessionName="Cloudivize-Broker"
    )["Credentials"]
    return session_of(credentials).client("sts", endpoint_url=endpoint)


@pytest.fixture(scope="module")
def organization(endpoint) -> DemoOrganization:
    return seed_organization(endpoint, external_id=EXTERNAL_ID, principal=PRINCIPAL)


def assumed(principal_sts, role_arn: str, external_id: str | None = EXTERNAL_ID) -> boto3.Session:
    extra = {} if external_id is None else {"ExternalId": external_id}
    return session_of(
        principal_sts.assume_role(RoleArn=role_arn, RoleSessionName="Cloudivize-Session", **extra)["Credentials"]
    )


def organizations_of(principal_sts, endpoint: str, organization: DemoOrganization):
    return assumed(principal_sts, organization.discovery_role_arn).client("organizations", endpoint_url=endpoint)


def accounts(organizations) -> dict[str, tuple[str, str]]:
    """ListAccounts, every page: account id -> (name, status)."""
    pages = organizations.get_paginator("list_accounts").paginate()
    return {a["Id"]: (a["Name"], a["Status"]) for page in pages for a in page["Accounts"]}


def refusal(error: ClientError) -> tuple[int, str]:
    return error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"]


@pytest.fixture
def small_organization(endpoint) -> DemoOrganization:
    """An organization of its own with one member, for a test that changes it."""
    return seed_organization(
        endpoint,
        external_id=EXTERNAL_ID,
        principal=PRINCIPAL,
        management_account_id=next(OTHER_MANAGEMENT_ACCOUNTS),
        member_names=("Only member",),
    )


def test_the_discovery_role_as_cloudivize_with_the_external_id_lists_the_management_account_and_three_members(
    endpoint, principal_sts, organization
):
    organizations = organizations_of(principal_sts, endpoint, organization)

    described = organizations.describe_organization()["Organization"]
    listed = accounts(organizations)

    assert organization.discovery_role_arn == DISCOVERY_ROLE
    assert (described["Id"], described["MasterAccountId"], described["FeatureSet"]) == (
        organization.organization_id,
        DEMO_MANAGEMENT_ACCOUNT_ID,
        "ALL",
    )
    [first, second, third] = organization.member_account_ids
    assert listed == {
        DEMO_MANAGEMENT_ACCOUNT_ID: ("master", "ACTIVE"),
        first: ("Demo member 1", "ACTIVE"),
        second: ("Demo member 2", "ACTIVE"),
        third: ("Demo member 3", "ACTIVE"),
    }
    assert sorted(organization.members) == sorted(organization.member_account_ids)


def test_the_discovery_session_may_call_its_five_organizations_actions_and_read_its_own_role(
    endpoint, principal_sts, organization
):
    session = assumed(principal_sts, organization.discovery_role_arn)
    organizations = session.client("organizations", endpoint_url=endpoint)

    [root] = organizations.list_roots()["Roots"]
    units = organizations.list_organizational_units_for_parent(ParentId=root["Id"])["OrganizationalUnits"]
    parents = organizations.list_parents(ChildId=organization.member_account_ids[0])["Parents"]
    role = session.client("iam", endpoint_url=endpoint).get_role(RoleName="CloudivizeOrganizationDiscovery")["Role"]

    assert units == []
    assert parents == [{"Id": root["Id"], "Type": "ROOT"}]
    assert role["Arn"] == DISCOVERY_ROLE
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": PRINCIPAL}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}


def test_the_discovery_role_holds_exactly_the_template_policy(endpoint, organization):
    from infrastructure.local.customer_account import account_session

    iam = account_session(DEMO_MANAGEMENT_ACCOUNT_ID, endpoint_url=endpoint).client("iam", endpoint_url=endpoint)
    role_name = "CloudivizeOrganizationDiscovery"

    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == ["CloudivizeDiscovery"]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    document = iam.get_role_policy(RoleName=role_name, PolicyName="CloudivizeDiscovery")["PolicyDocument"]
    assert document == discovery_policy(DISCOVERY_ROLE)


def test_the_discovery_session_is_refused_anything_else(endpoint, principal_sts, organization):
    session = assumed(principal_sts, organization.discovery_role_arn)

    with pytest.raises(ClientError) as create_account:
        session.client("organizations", endpoint_url=endpoint).create_account(
            AccountName="Sneaky", Email="sneaky@example.com"
        )
    with pytest.raises(ClientError) as describe_instances:
        session.client("ec2", endpoint_url=endpoint).describe_instances()
    with pytest.raises(ClientError) as other_role:
        session.client("iam", endpoint_url=endpoint).get_role(RoleName="OrganizationAccountAccessRole")

    assert refusal(create_account.value) == (403, "AccessDeniedException")
    assert "organizations:CreateAccount" in create_account.value.response["Error"]["Message"]
    assert refusal(describe_instances.value) == (403, "UnauthorizedOperation")
    assert refusal(other_role.value) == (403, "AccessDenied")
    assert len(accounts(session.client("organizations", endpoint_url=endpoint))) == 4  # nothing was created


@pytest.mark.parametrize("external_id", ["e" * 48, None], ids=["wrong", "missing"])
def test_the_discovery_role_refuses_cloudivize_without_the_tenants_external_id(
    principal_sts, organization, external_id
):
    with pytest.raises(ClientError) as refused:
        assumed(principal_sts, organization.discovery_role_arn, external_id)

    assert refusal(refused.value) == (403, "AccessDenied")
    assert refused.value.response["Error"]["Message"].endswith(
        f"sts:AssumeRole on resource: {organization.discovery_role_arn}"
    )


def test_each_member_role_is_assumable_with_the_external_id_and_lists_its_instances(
    endpoint, principal_sts, organization
):
    for account_id in organization.member_account_ids:
        member = organization.members[account_id]
        session = assumed(principal_sts, member.role_arn)

        listed = {
            region: sorted(
                instance["InstanceId"]
                for reservation in session.client(
                    "ec2", region_name=region, endpoint_url=endpoint
                ).describe_instances()["Reservations"]
                for instance in reservation["Instances"]
            )
            for region in DEMO_REGIONS
        }

        assert member.role_arn == f"arn:aws:iam::{account_id}:role/CloudivizeAccess"
        assert listed == {region: sorted(member.instance_ids[region]) for region in DEMO_REGIONS}
        assert all(len(ids) == 2 for ids in listed.values())


def test_the_management_account_gets_no_customer_role(principal_sts, organization):
    with pytest.raises(ClientError) as refused:
        assumed(principal_sts, f"arn:aws:iam::{organization.management_account_id}:role/CloudivizeAccess")

    assert refusal(refused.value) == (403, "AccessDenied")


def test_an_added_member_is_listed_active_and_its_role_lists_its_instances(endpoint, principal_sts, small_organization):
    organizations = organizations_of(principal_sts, endpoint, small_organization)
    before = accounts(organizations)

    added = add_member_account(endpoint, small_organization, EXTERNAL_ID, "Joined later", PRINCIPAL)

    assert accounts(organizations) == before | {added.account_id: ("Joined later", "ACTIVE")}
    assert len(before) == 2
    ec2 = assumed(principal_sts, added.role_arn).client("ec2", endpoint_url=endpoint)
    listed = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert sorted(listed) == sorted(added.instance_ids[DEFAULT_REGION])


def test_a_removed_member_is_no_longer_listed(endpoint, principal_sts, small_organization):
    organizations = organizations_of(principal_sts, endpoint, small_organization)
    [member] = small_organization.member_account_ids

    remove_member_account(endpoint, small_organization, member)

    assert accounts(organizations) == {small_organization.management_account_id: ("master", "ACTIVE")}


def test_a_suspended_member_stays_listed_as_suspended(endpoint, principal_sts, small_organization):
    organizations = organizations_of(principal_sts, endpoint, small_organization)
    [member] = small_organization.member_account_ids

    suspend_member_account(endpoint, small_organization, member)

    assert accounts(organizations) == {
        small_organization.management_account_id: ("master", "ACTIVE"),
        member: ("Only member", "SUSPENDED"),
    }


def test_as_info_has_the_four_fields_of_the_info_file(organization):
    assert organization.as_info() == {
        "management_account_id": DEMO_MANAGEMENT_ACCOUNT_ID,
        "discovery_role_arn": DISCOVERY_ROLE,
        "member_account_ids": organization.member_account_ids,
        "organization_id": organization.organization_id,
    }
    assert len(organization.member_account_ids) == 3


def test_a_template_policy_is_deployed_with_the_roles_own_arn_and_an_unknown_variable_raises():
    own = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${DiscoveryRoleName}"}
    document = {"Statement": [{"Action": "iam:GetRole", "Resource": own}]}
    role_arn = "arn:aws-us-gov:iam::310987654321:role/Discovery"

    deployed = deployed_policy(document, role_arn, role_name_parameter="DiscoveryRoleName")

    assert deployed == {"Statement": [{"Action": "iam:GetRole", "Resource": role_arn}]}
    with pytest.raises(KeyError, match="AWS::Region"):
        deployed_policy({"Fn::Sub": "${AWS::Region}"}, role_arn, role_name_parameter="DiscoveryRoleName")
