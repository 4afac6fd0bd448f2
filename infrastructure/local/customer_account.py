"""A "customer" AWS account inside the emulator: the role a customer creates from Cloudivize's template, and
a few assets in two regions. The local stack seeds one for the demo tenant; tests seed their own.

The role's trust policy is the one GET /onboarding/aws answers, and its permissions are read from the very
template customers deploy, so what works here is what a customer's real role allows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session

from infrastructure import constants

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_CUSTOMER_ACCOUNT_ID = "210987654321"
DEMO_ROLE_NAME = "CloudivizeAccess"
DEMO_READ_ONLY_ROLE_NAME = "CloudivizeReadOnly"  # beside the demo role: the template's default, without operations
DEMO_REGIONS = ("us-east-1", "eu-west-1")
# moto answers AssumeRole for any role of any account: that is how we "sign in" to the customer account.
ACCOUNT_ADMIN_ROLE = "OrganizationAccountAccessRole"
DEMO_IMAGE_ID = "ami-12c6146b"  # an Amazon Linux image moto knows (listing images is slow in moto)
CUSTOMER_ROLE_NAME_PARAMETER = "RoleName"  # the customer template's parameter naming its role
_SUB_VARIABLE = re.compile(r"\$\{([\w:]+)\}")


@dataclass(frozen=True)
class CustomerAccount:
    account_id: str
    role_arn: str
    instance_ids: dict[str, list[str]] = field(default_factory=dict)  # region -> ids
    bucket: str | None = None
    read_only_role_arn: str | None = None  # a second role, read-only whatever ``role_arn`` allows, when asked for

    def instance_arn(self, region: str, index: int = 0) -> str:
        return f"arn:aws:ec2:{region}:{self.account_id}:instance/{self.instance_ids[region][index]}"


@cache
def read_template(template: str) -> dict[str, Any]:
    """One of Cloudivize's templates (its path in the repository), as CloudFormation reads it. Read once per
    process: the local stack seeds several roles from each; callers copy what they change."""
    from cfnlint.decode import cfn_yaml  # dev-only dependency: the local stack runs from the dev environment

    return cfn_yaml.loads((REPO_ROOT / template).read_text())


def deployed_policy(document: Any, role_arn: str, *, role_name_parameter: str) -> Any:
    """A policy document of a template as CloudFormation deploys it for ``role_arn``: each ``Fn::Sub`` filled in
    with the partition, account and role name (the parameter ``role_name_parameter``) the ARN holds. A variable
    it does not know raises, so a template that grows one cannot seed a role that silently differs from it."""
    _, partition, _, _, account_id, resource = role_arn.split(":", 5)  # arn:<partition>:iam::<account>:role/<name>
    variables = {
        "AWS::Partition": partition,
        "AWS::AccountId": account_id,
        role_name_parameter: resource.rsplit("/")[-1],
    }

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if node.keys() == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
                return _SUB_VARIABLE.sub(lambda variable: variables[variable[1]], node["Fn::Sub"])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(document)


def template_policies(role_arn: str) -> dict[str, dict[str, Any]]:
    """The view and operate policies of the customer template, with the role's own ARN filled in."""
    resources = read_template(constants.CUSTOMER_ROLE_TEMPLATE)["Resources"]
    view = resources["CloudivizeAccessRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    operate = resources["CloudivizeOperatePolicy"]["Properties"]["PolicyDocument"]
    return {
        "CloudivizeView": deployed_policy(view, role_arn, role_name_parameter=CUSTOMER_ROLE_NAME_PARAMETER),
        "CloudivizeOperate": deployed_policy(operate, role_arn, role_name_parameter=CUSTOMER_ROLE_NAME_PARAMETER),
    }


class _PathsOnce(list[str]):
    """boto3 appends its own data path to the loader of each session made on it: once is enough."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


# One loader of botocore's models for every account session: a new session would parse them again, most of what
# seeding an account costs (about 0.4 s of a session's IAM, EC2 and S3 clients). Clients made from it stay apart.
_MODELS = botocore.loaders.Loader(extra_search_paths=_PathsOnce())


def new_session(**credentials: str) -> boto3.Session:
    """A session of its own (boto3's default one is not safe to share between threads: accounts are seeded side by
    side), on the shared models."""
    models = botocore.session.get_session()
    models.register_component("data_loader", _MODELS)
    return boto3.Session(botocore_session=models, **credentials)


def account_session(account_id: str, *, endpoint_url: str | None = None, region: str = "us-east-1") -> boto3.Session:
    """The account's administrator (``OrganizationAccountAccessRole``), as a session of its own."""
    sts = new_session(region_name=region).client("sts", endpoint_url=endpoint_url)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ACCOUNT_ADMIN_ROLE}", RoleSessionName="customer-admin"
    )["Credentials"]
    return new_session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def create_customer_role(
    session: boto3.Session,
    *,
    trust_policy: dict[str, Any],
    role_name: str,
    allow_operations: bool = False,
    endpoint_url: str | None = None,
) -> str:
    """The role a customer creates from the template (read-only unless ``allow_operations``): its ARN."""
    iam = session.client("iam", endpoint_url=endpoint_url)
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust_policy))["Role"]["Arn"]
    for name, document in template_policies(role_arn).items():
        if name == "CloudivizeOperate" and not allow_operations:
            continue
        iam.put_role_policy(RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps(document))
    return role_arn


def seed_customer_account(
    *,
    trust_policy: dict[str, Any],
    account_id: str = DEMO_CUSTOMER_ACCOUNT_ID,
    role_name: str = DEMO_ROLE_NAME,
    allow_operations: bool = False,
    regions: tuple[str, ...] = DEMO_REGIONS,
    endpoint_url: str | None = None,
    read_only_role_name: str | None = None,
) -> CustomerAccount:
    """Create the customer's role (read-only unless ``allow_operations``) and two instances per region; with
    ``read_only_role_name`` also a read-only role of that name with the same trust policy."""
    session = account_session(account_id, endpoint_url=endpoint_url)
    role_arn = create_customer_role(
        session,
        trust_policy=trust_policy,
        role_name=role_name,
        allow_operations=allow_operations,
        endpoint_url=endpoint_url,
    )
    read_only_role_arn = None
    if read_only_role_name is not None:
        read_only_role_arn = create_customer_role(
            session, trust_policy=trust_policy, role_name=read_only_role_name, endpoint_url=endpoint_url
        )

    instance_ids: dict[str, list[str]] = {}
    for region in regions:
        ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint_url)
        instances = ec2.run_instances(ImageId=DEMO_IMAGE_ID, MinCount=2, MaxCount=2, InstanceType="t3.micro")[
            "Instances"
        ]
        ids = [instance["InstanceId"] for instance in instances]
        for index, instance_id in enumerate(ids):
            ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "Name", "Value": f"web-{region}-{index + 1}"},
                                                          {"Key": "env", "Value": "demo"}])  # fmt: skip
        instance_ids[region] = ids
    bucket = f"demo-assets-{account_id}"
    s3 = session.client("s3", region_name="us-east-1", endpoint_url=endpoint_url)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "demo"}]})
    return CustomerAccount(
        account_id=account_id,
        role_arn=role_arn,
        instance_ids=instance_ids,
        bucket=bucket,
        read_only_role_arn=read_only_role_arn,
    )
