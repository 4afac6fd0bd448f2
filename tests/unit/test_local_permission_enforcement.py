"""The emulator's process authorizes the sessions of customers' roles against their permission policies, as AWS
does (``permission_enforcement``), and leaves every other caller as moto has it."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from infrastructure.local.aws.emulator import ACCOUNT_ID, aws_client
from infrastructure.local.customer_account import DEMO_IMAGE_ID, account_session

REGION = "us-east-1"
CUSTOMER_ACCOUNT = "210987654321"
TRUSTS_THE_STACK = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
    ],
}


def policy(effect: str, *actions: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": list(actions), "Resource": "*"}]}


DESCRIBE_ONLY = policy("Allow", "ec2:Describe*", "tag:GetResources")
OPERATE = policy("Allow", "ec2:*")
S3_READ = policy("Allow", "s3:GetObject")
NEVER_STOP = policy("Deny", "ec2:StopInstances")


@pytest.fixture(scope="module")
def customer(emulator) -> boto3.Session:
    """The customer account's administrator (``OrganizationAccountAccessRole``, which no policy limits)."""
    return account_session(CUSTOMER_ACCOUNT, endpoint_url=emulator.endpoint_url)


@pytest.fixture(scope="module")
def instance_id(emulator, customer) -> str:
    ec2 = customer.client("ec2", endpoint_url=emulator.endpoint_url)
    return ec2.run_instances(ImageId=DEMO_IMAGE_ID, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]


def customer_role(emulator, customer, name: str, inline: dict, attached: dict | None = None) -> str:
    iam = customer.client("iam", endpoint_url=emulator.endpoint_url)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUSTS_THE_STACK))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="Inline", PolicyDocument=json.dumps(inline))
    if attached is not None:
        policy = iam.create_policy(PolicyName=f"{name}Attached", PolicyDocument=json.dumps(attached))["Policy"]
        iam.attach_role_policy(RoleName=name, PolicyArn=policy["Arn"])
    return arn


def session_of(emulator, role_arn: str) -> boto3.Session:
    """The role's session, as Cloudivize's functions open it (the stack's own credentials assume it)."""
    credentials = aws_client("sts", emulator.endpoint_url, REGION).assume_role(
        RoleArn=role_arn, RoleSessionName="Cloudivize-Session"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def state_of(emulator, customer, instance_id: str) -> str:
    ec2 = customer.client("ec2", endpoint_url=emulator.endpoint_url)
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


def refusal(error: ClientError) -> tuple[int, str, str]:
    response = error.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_a_role_allowed_describe_but_not_stop_lists_and_is_refused_the_stop_as_ec2_refuses(
    emulator, customer, instance_id
):
    role_arn = customer_role(emulator, customer, "ReadOnly", DESCRIBE_ONLY)
    ec2 = session_of(emulator, role_arn).client("ec2", endpoint_url=emulator.endpoint_url)

    listed = ec2.describe_instances()["Reservations"]
    with pytest.raises(ClientError) as stop:
        ec2.stop_instances(InstanceIds=[instance_id])
    with pytest.raises(ClientError) as dry_run:  # AWS authorizes before it answers DryRunOperation
        ec2.stop_instances(InstanceIds=[instance_id], DryRun=True)

    assert [i["InstanceId"] for r in listed for i in r["Instances"]] == [instance_id]
    user = f"arn:aws:sts::{CUSTOMER_ACCOUNT}:assumed-role/ReadOnly/Cloudivize-Session"
    resource = f"arn:aws:ec2:{REGION}:{CUSTOMER_ACCOUNT}:instance/{instance_id}"
    expected = (
        403,
        "UnauthorizedOperation",
        f"You are not authorized to perform this operation. User: {user} is not authorized to perform: "
        f"ec2:StopInstances on resource: {resource} because no identity-based policy allows the ec2:StopInstances "
        "action",
    )
    assert refusal(stop.value) == expected
    assert refusal(dry_run.value) == expected
    assert state_of(emulator, customer, instance_id) == "running"


def test_an_explicit_deny_in_an_attached_policy_beats_the_inline_allow(emulator, customer, instance_id):
    role_arn = customer_role(emulator, customer, "OperatesButNeverStops", OPERATE, attached=NEVER_STOP)
    ec2 = session_of(emulator, role_arn).client("ec2", endpoint_url=emulator.endpoint_url)

    with pytest.raises(ClientError) as stop:
        ec2.stop_instances(InstanceIds=[instance_id])
    tagged = ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "owner", "Value": "ops"}])

    status, code, message = refusal(stop.value)
    assert (status, code) == (403, "UnauthorizedOperation")
    assert message.endswith(
        f"ec2:StopInstances on resource: arn:aws:ec2:{REGION}:{CUSTOMER_ACCOUNT}:instance/{instance_id} "
        "with an explicit deny in an identity-based policy"
    )
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 200  # the Allow still holds for the rest
    assert state_of(emulator, customer, instance_id) == "running"


def test_other_services_refuse_in_their_own_shape_naming_the_iam_action(emulator, customer):
    role_arn = customer_role(emulator, customer, "TagsReader", DESCRIBE_ONLY)
    session = session_of(emulator, role_arn)
    tagging = session.client("resourcegroupstaggingapi", endpoint_url=emulator.endpoint_url)
    user = f"arn:aws:sts::{CUSTOMER_ACCOUNT}:assumed-role/TagsReader/Cloudivize-Session"

    read = tagging.get_resources()
    with pytest.raises(ClientError) as tag:
        tagging.tag_resources(ResourceARNList=[f"arn:aws:s3:::bucket-{CUSTOMER_ACCOUNT}"], Tags={"a": "b"})
    with pytest.raises(ClientError) as get_role:
        session.client("iam", endpoint_url=emulator.endpoint_url).get_role(RoleName="TagsReader")

    assert read["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert refusal(tag.value) == (
        403,
        "AccessDeniedException",
        f"User: {user} is not authorized to perform: tag:TagResources "
        "because no identity-based policy allows the tag:TagResources action",
    )
    assert refusal(get_role.value) == (
        403,
        "AccessDenied",
        f"User: {user} is not authorized to perform: iam:GetRole on resource: {role_arn} "
        "because no identity-based policy allows the iam:GetRole action",
    )


def test_the_stacks_own_credentials_and_the_customers_administrator_are_not_limited(emulator, customer, instance_id):
    own = aws_client("ec2", emulator.endpoint_url, REGION)
    own_instance = own.run_instances(ImageId=DEMO_IMAGE_ID, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    administrator = customer.client("ec2", endpoint_url=emulator.endpoint_url)

    own_stop = own.stop_instances(InstanceIds=[own_instance])["StoppingInstances"]
    customer_start = administrator.start_instances(InstanceIds=[instance_id])["StartingInstances"]
    s3_reader = customer_role(emulator, customer, "S3Reader", S3_READ)
    identity = session_of(emulator, s3_reader).client("sts", endpoint_url=emulator.endpoint_url).get_caller_identity()

    assert [change["InstanceId"] for change in own_stop] == [own_instance]
    assert [change["InstanceId"] for change in customer_start] == [instance_id]
    # AWS answers GetCallerIdentity whatever the policies say (Cloudivize's verification relies on it).
    assert identity["Arn"] == f"arn:aws:sts::{CUSTOMER_ACCOUNT}:assumed-role/S3Reader/Cloudivize-Session"
