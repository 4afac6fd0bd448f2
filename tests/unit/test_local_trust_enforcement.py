"""The emulator refuses AssumeRole as AWS does: only whom the role's trust policy names, with its External ID.

Run under ``mock_aws`` with the same patch the local stack applies to its moto server.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cloudivize.aws_access.onboarding import trust_policy
from infrastructure.local.aws.trust_enforcement import trust_policies_enforced
from infrastructure.local.customer_account import account_session

OWN_ACCOUNT = "123456789012"  # moto's default account: Cloudivize's, in the emulator
CUSTOMER_ACCOUNT = "210987654321"
BROKER_ROLE = f"arn:aws:iam::{OWN_ACCOUNT}:role/Cloudivize-CustomerAccess"
OTHER_ROLE = f"arn:aws:iam::{OWN_ACCOUNT}:role/SomethingElse"
EXTERNAL_ID = "e" * 48


def session_of(credentials: dict) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )


def assume(sts, role_arn: str, **extra) -> dict:
    return sts.assume_role(RoleArn=role_arn, RoleSessionName="Cloudivize-Session", **extra)


@pytest.fixture
def emulator():
    with mock_aws(), trust_policies_enforced(OWN_ACCOUNT):
        iam = boto3.client("iam")
        for arn in (BROKER_ROLE, OTHER_ROLE):
            iam.create_role(RoleName=arn.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps({"Statement": []}))
        yield


def sts_as(role_arn: str):
    """STS with the credentials of a session of ``role_arn`` (a role of the emulator's own account)."""
    credentials = assume(boto3.client("sts"), role_arn)["Credentials"]
    return session_of(credentials).client("sts")


def customer_role(policy: dict, name: str = "CloudivizeAccess") -> str:
    iam = account_session(CUSTOMER_ACCOUNT).client("iam")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]


def statement(principal, *, actions=("sts:AssumeRole",), condition=None, effect="Allow") -> dict:
    found = {"Effect": effect, "Principal": principal, "Action": list(actions)}
    if condition is not None:
        found["Condition"] = condition
    return found


def policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def refusal(call) -> ClientError:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value


def test_the_trusted_principal_with_the_external_id_gets_a_session_in_the_customer_account(emulator):
    role = customer_role(trust_policy(BROKER_ROLE, EXTERNAL_ID))

    response = assume(sts_as(BROKER_ROLE), role, ExternalId=EXTERNAL_ID, SourceIdentity="user-1")

    assert (
        response["AssumedRoleUser"]["Arn"]
        == f"arn:aws:sts::{CUSTOMER_ACCOUNT}:assumed-role/CloudivizeAccess/Cloudivize-Session"
    )
    identity = session_of(response["Credentials"]).client("sts").get_caller_identity()
    assert identity["Account"] == CUSTOMER_ACCOUNT


@pytest.mark.parametrize("external_id", [None, "f" * 48, EXTERNAL_ID.upper()])
def test_a_missing_or_other_external_id_is_access_denied_as_in_aws(emulator, external_id):
    role = customer_role(trust_policy(BROKER_ROLE, EXTERNAL_ID))
    extra = {"ExternalId": external_id} if external_id else {}

    error = refusal(lambda: assume(sts_as(BROKER_ROLE), role, **extra))

    assert error.response["Error"]["Code"] == "AccessDenied"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.response["Error"]["Message"] == (
        f"User: arn:aws:sts::{OWN_ACCOUNT}:assumed-role/Cloudivize-CustomerAccess/Cloudivize-Session "
        f"is not authorized to perform: sts:AssumeRole on resource: {role}"
    )


def test_a_principal_the_policy_does_not_name_is_refused_even_with_the_external_id(emulator):
    role = customer_role(trust_policy(BROKER_ROLE, EXTERNAL_ID))

    for sts in (sts_as(OTHER_ROLE), boto3.client("sts")):  # another role of the account; the account itself
        error = refusal(lambda sts=sts: assume(sts, role, ExternalId=EXTERNAL_ID))
        assert error.response["Error"]["Code"] == "AccessDenied"


@pytest.mark.parametrize(
    "principal", ["*", {"AWS": "*"}, {"AWS": f"arn:aws:iam::{OWN_ACCOUNT}:root"}, {"AWS": OWN_ACCOUNT}]
)
def test_trusting_everyone_or_the_whole_account_lets_any_of_its_principals_in(emulator, principal):
    role = customer_role(policy(statement(principal)))

    assume(sts_as(OTHER_ROLE), role)
    assume(boto3.client("sts"), role)


def test_the_session_arn_and_lists_of_principals_name_a_caller_too(emulator):
    session_arn = f"arn:aws:sts::{OWN_ACCOUNT}:assumed-role/Cloudivize-CustomerAccess/Cloudivize-Session"
    role = customer_role(policy(statement({"AWS": [OTHER_ROLE.replace("SomethingElse", "Nobody"), session_arn]})))

    assume(sts_as(BROKER_ROLE), role)


def test_a_source_identity_needs_sts_set_source_identity_in_the_policy(emulator):
    condition = {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
    role = customer_role(policy(statement({"AWS": BROKER_ROLE}, condition=condition)))
    sts = sts_as(BROKER_ROLE)

    error = refusal(lambda: assume(sts, role, ExternalId=EXTERNAL_ID, SourceIdentity="user-1"))

    assert error.response["Error"]["Code"] == "AccessDenied"
    assume(sts, role, ExternalId=EXTERNAL_ID)  # what Cloudivize retries with


def test_session_tags_need_sts_tag_session(emulator):
    role = customer_role(policy(statement({"AWS": BROKER_ROLE})))
    tags = [{"Key": "tenant", "Value": "t-1"}]

    assert refusal(lambda: assume(sts_as(BROKER_ROLE), role, Tags=tags)).response["Error"]["Code"] == "AccessDenied"


def test_a_deny_wins_over_an_allow(emulator):
    role = customer_role(policy(statement({"AWS": BROKER_ROLE}), statement({"AWS": "*"}, effect="Deny")))

    assert refusal(lambda: assume(sts_as(BROKER_ROLE), role)).response["Error"]["Code"] == "AccessDenied"


def test_what_the_check_does_not_understand_never_grants(emulator):
    other_condition = {"StringLike": {"sts:ExternalId": "*"}}
    role = customer_role(policy(statement({"AWS": BROKER_ROLE}, condition=other_condition)))
    wrong_action = customer_role(policy(statement({"AWS": BROKER_ROLE}, actions=["sts:TagSession"])), "Other")

    for target in (role, wrong_action):
        error = refusal(lambda target=target: assume(sts_as(BROKER_ROLE), target, ExternalId=EXTERNAL_ID))
        assert error.response["Error"]["Code"] == "AccessDenied"


def test_a_role_that_does_not_exist_cannot_be_assumed(emulator):
    missing = f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/NotCreated"

    assert refusal(lambda: assume(sts_as(BROKER_ROLE), missing)).response["Error"]["Code"] == "AccessDenied"


def test_roles_of_the_emulators_own_account_stay_unchecked(emulator):
    assume(boto3.client("sts"), BROKER_ROLE)  # trust policy with no statement at all
    assume(boto3.client("sts"), f"arn:aws:iam::{OWN_ACCOUNT}:role/NotCreated")


def test_the_organization_admin_role_trusts_the_emulators_account_only(emulator):
    """How customer accounts are seeded: as from an organisation's management account."""
    role = customer_role(trust_policy(BROKER_ROLE, EXTERNAL_ID))  # made through the admin role
    customer_sts = session_of(assume(sts_as(BROKER_ROLE), role, ExternalId=EXTERNAL_ID)["Credentials"])

    from_management = account_session("333333333333").client("sts").get_caller_identity()
    admin = "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"

    assert from_management["Account"] == "333333333333"
    refused = refusal(lambda: assume(customer_sts.client("sts"), admin))
    assert refused.response["Error"]["Code"] == "AccessDenied"


def test_outside_the_block_moto_accepts_anything_again():
    with mock_aws():
        with trust_policies_enforced(OWN_ACCOUNT):
            pass
        assume(boto3.client("sts"), f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/NotCreated")
