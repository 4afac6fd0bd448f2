"""Reaching customers' AWS accounts (docs/architecture.md): Cloudivize's principal, and the template customers deploy.

* **The customer-access role** is "Cloudivize's principal": the one role customers name in their role's trust
  policy. It has a fixed name (``<stack name>-CustomerAccess``) so its ARN is stable and can be documented.
  Only the functions whose access includes ``ASSUME_CUSTOMER_ROLE`` may assume it; from that session they
  assume the customer's role. Its own policy lets it open sessions in other accounts only as
  ``Cloudivize-Session`` and only with an External ID, and never into a role of Cloudivize's own account.
  It is also the subject of the web identity tokens Cloudivize presents to customers' Entra applications
  (Azure federated credentials): it alone may mint them, and only for Cloudivize organization audiences, for at
  most ``WEB_IDENTITY_TOKEN_SECONDS``, signed with ``WEB_IDENTITY_SIGNING_ALGORITHM``, and without tags.
* **The onboarding templates** are the CloudFormation templates customers deploy (the same files the API
  answers): the generic customer-role template and, beside it, the AWS organization's management-account
  template (whose StackSet deploys the customer-role template from its published URL). They are published in a
  bucket of the stack so that a quick-create console link (``templateURL=``) can read them. Only the
  ``onboarding/`` prefix is public, read-only; ACLs are disabled; TLS is enforced.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Aws, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infrastructure import constants, resources

# What the customer-access role may do in a customer's account: open the session (AssumeRole), name the
# signed-in user in it (SetSourceIdentity) and tag it (TagSession). The customer's trust policy allows the same.
CUSTOMER_ROLE_ACTIONS = ("sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession")
MAX_SESSION_DURATION = Duration.hours(1)  # role chaining caps sessions at 1 h anyway
# Minting web identity tokens (AWS IAM outbound identity federation). Not sts:TagGetWebIdentityToken: Cloudivize's
# tokens carry no tags, so no caller can add claims a customer's federated credential might match on.
WEB_IDENTITY_TOKEN_ACTIONS = ("sts:GetWebIdentityToken",)

PUBLIC_PREFIX = resources.ONBOARDING_PUBLIC_PREFIX
TEMPLATE_CONTENT_TYPE = resources.ONBOARDING_TEMPLATE_CONTENT_TYPE
ACCESS_LOG_DAYS = 90  # like the API and function logs (three months)
NONCURRENT_TEMPLATE_DAYS = 90

# What BucketDeployment grants its handler (aws-cdk-lib): read on the asset bucket, read/write on the destination.
DEPLOYMENT_ASSET_READ_ACTIONS = ("s3:GetBucket*", "s3:GetObject*", "s3:List*")
DEPLOYMENT_WILDCARD_ACTIONS = ("s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*")


def customer_role_arns() -> str:
    """Every role in every account: customers' accounts are not known when the stack is deployed."""
    return f"arn:{Aws.PARTITION}:iam::*:role/*"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def nag_flatten(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag names it in a finding (its ``flattenCfnReference``):
    ``Fn::Join`` joined, ``Ref`` as ``<Name>``, ``Fn::GetAtt`` as ``<Resource.Attribute>``, ``${X}`` as ``<X>``."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return delimiter.join(nag_flatten(item) for item in items)
    if isinstance(value, dict) and "Fn::Sub" in value:
        return nag_flatten(value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        resource, attribute = value["Fn::GetAtt"]
        return f"<{nag_flatten(resource)}.{nag_flatten(attribute)}>"
    if isinstance(value, dict) and "Ref" in value:
        return f"<{nag_flatten(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def web_identity_token_statement() -> iam.PolicyStatement:
    """Minting Cloudivize's web identity tokens: the one statement that allows sts:GetWebIdentityToken.

    The audience is multivalued (a request may ask for up to 10), hence ``ForAllValues``: every audience asked for
    must be a Cloudivize organization's. ``ForAllValues`` also holds when the key is absent, so ``Null`` requires it.
    """
    return iam.PolicyStatement(
        sid="CloudivizeOrganizationTokensOnly",
        actions=list(WEB_IDENTITY_TOKEN_ACTIONS),
        resources=["*"],  # the action has no resource type
        conditions={
            "ForAllValues:StringLike": {
                "sts:IdentityTokenAudience": f"{constants.AZURE_FEDERATION_AUDIENCE_PREFIX}*",
            },
            "Null": {"sts:IdentityTokenAudience": "false"},
            "NumericLessThanEquals": {"sts:DurationSeconds": constants.WEB_IDENTITY_TOKEN_SECONDS},
            "StringEquals": {"sts:SigningAlgorithm": constants.WEB_IDENTITY_SIGNING_ALGORITHM},
        },
    )


@jsii.implements(iam.IAssumeRolePrincipal)
class _NoPrincipalYet(iam.PrincipalBase):
    """What the role is created with: nobody. ``CustomerAccess.trust`` adds each function role as the function
    is built, so the role exists before the functions that carry its ARN."""

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return iam.PrincipalPolicyFragment({})

    def dedupe_string(self) -> str | None:
        return None

    def add_to_assume_role_policy(self, document: iam.PolicyDocument) -> None:
        pass


class CustomerAccess(Construct):
    """Cloudivize's principal: the one role customers trust, assumable only by the function roles it ``trust``s."""

    def __init__(self, scope: Construct, construct_id: str, *, role_name: str) -> None:
        super().__init__(scope, construct_id)
        self.trusted_roles: list[iam.IRole] = []
        own_account_roles = f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/*"

        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            description="Cloudivize's principal: the role customers trust (with their External ID); it opens "
            f"{constants.CUSTOMER_SESSION_NAME} sessions in customers' roles for Cloudivize's functions",
            # Only the functions that reach customers' clouds (see trust); never the account root (which would let
            # any principal of this account with sts:AssumeRole on "*" in).
            assumed_by=_NoPrincipalYet(),
            max_session_duration=MAX_SESSION_DURATION,
            inline_policies={
                "AssumeCustomerRoles": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="CustomerRolesAsCloudivizeSessionWithExternalId",
                            actions=list(CUSTOMER_ROLE_ACTIONS),
                            resources=[customer_role_arns()],
                            conditions={
                                # Customers see this name in CloudTrail; no session can be opened under another.
                                "StringEquals": {"sts:RoleSessionName": constants.CUSTOMER_SESSION_NAME},
                                # Never without an External ID (confused-deputy defence).
                                "Null": {"sts:ExternalId": "false"},
                            },
                        ),
                        # Roles of this account that trust the account root (e.g. the CDK bootstrap roles) would
                        # accept any principal of the account that is allowed sts:AssumeRole: a connection must
                        # never lead back into Cloudivize's own account.
                        iam.PolicyStatement(
                            sid="NeverIntoCloudivizesOwnAccount",
                            effect=iam.Effect.DENY,
                            actions=list(CUSTOMER_ROLE_ACTIONS),
                            resources=[own_account_roles],
                        ),
                    ]
                ),
                "MintWebIdentityTokens": iam.PolicyDocument(statements=[web_identity_token_statement()]),
            },
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/*]",
                reason="Customer-access role (Cloudivize's principal): customers' accounts and role names are "
                "not known at deploy time, each customer's role trusts this role with its own External ID; the "
                "statement is limited to sts:AssumeRole/SetSourceIdentity/TagSession, session name "
                f"{constants.CUSTOMER_SESSION_NAME}, an External ID present, and never this account's roles.",
            )
        )

        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Customer-access role (Cloudivize's principal): sts:GetWebIdentityToken has no resource type "
                "(the token is of the caller itself); the statement allows only that action, only for audiences "
                f"under {constants.AZURE_FEDERATION_AUDIENCE_PREFIX}, at most {constants.WEB_IDENTITY_TOKEN_SECONDS} "
                f"s, signed {constants.WEB_IDENTITY_SIGNING_ALGORITHM}, and no tags.",
            )
        )

    def trust(self, role: iam.IRole) -> None:
        """Let a function's role assume this one; the function's own grant of sts:AssumeRole is its part."""
        assert self.role.assume_role_policy is not None  # noqa: S101 - every Role has one
        # One statement per role; minimizePolicies (cdk.json) merges them into one statement naming every role.
        self.role.assume_role_policy.add_statements(
            iam.PolicyStatement(actions=["sts:AssumeRole"], principals=[iam.ArnPrincipal(role.role_arn)])
        )
        self.trusted_roles.append(role)

    @property
    def role_arn(self) -> str:
        return self.role.role_arn


class OnboardingTemplate(Construct):
    """The customer-role CloudFormation template (and any ``beside`` it, by key), published for quick-create links
    at public HTTPS URLs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        template_file: Path,
        key: str = constants.ONBOARDING_TEMPLATE_KEY,
        beside: Mapping[str, Path] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.files = {key: template_file, **(beside or {})}
        for published in self.files:
            if not published.startswith(PUBLIC_PREFIX):
                raise ValueError(
                    f"the onboarding template key {published!r} must be under the public prefix {PUBLIC_PREFIX}"
                )

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # server access logging delivers only to SSE-S3 buckets
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
        )  # cdk-nag's S1 accepts it unlogged: it is the destination of another bucket's access logs

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            # SSE-S3, not KMS: anonymous readers (customers' CloudFormation) cannot use a KMS key.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            # No ACL can make anything public; only the bucket policy below does, and only for onboarding/*.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            block_public_access=s3.BlockPublicAccess(
                block_public_acls=True,
                ignore_public_acls=True,
                block_public_policy=False,
                restrict_public_buckets=False,
            ),
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="onboarding-template/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(NONCURRENT_TEMPLATE_DAYS))],
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PublicReadOnboardingTemplates",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],  # the current version only; no listing, no old versions
                resources=[self.bucket.arn_for_objects(f"{PUBLIC_PREFIX}*")],
            )
        )
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S2",
                reason="Onboarding template bucket: customers' CloudFormation consoles (any account) read the "
                f"template by its HTTPS URL (quick-create templateURL), so the bucket policy makes {PUBLIC_PREFIX}* "
                "publicly readable (s3:GetObject only); public ACLs are blocked and ignored, ACLs are disabled.",
            )
        )

        self.deployment = s3deploy.BucketDeployment(
            self,
            "Publish",
            # The files themselves (the ones the API answers), not copies: read at synth time. One deployment for
            # all: each deployment prunes what it did not publish, so two into one bucket would delete each other's.
            sources=[s3deploy.Source.data(k, file.read_text(encoding="utf-8")) for k, file in self.files.items()],
            destination_bucket=self.bucket,
            content_type=TEMPLATE_CONTENT_TYPE,
        )
        self._acknowledge_deployment_handler()

    @property
    def template_url(self) -> str:
        """Virtual-hosted HTTPS URL of the published customer-role template (what ``templateURL=`` takes)."""
        return self.url_of(self.key)

    def url_of(self, key: str) -> str:
        """Virtual-hosted HTTPS URL of the template published at ``key``."""
        if key not in self.files:
            raise KeyError(f"no onboarding template is published at {key!r}")
        return f"https://{self.bucket.bucket_regional_domain_name}/{key}"

    def _acknowledge_deployment_handler(self) -> None:
        """The BucketDeployment's handler: a CDK-managed singleton Lambda (at stack level) with its own role.

        Its findings are acknowledged on that function and that role only, each by its exact id. The asset
        bucket's name depends on the environment (tokens when environment-agnostic, literals when the CLI sets
        an account and region), so its finding is rendered from the policy CDK wrote, as cdk-nag renders it.
        """
        stack = Stack.of(self)
        role = self.deployment.handler_role
        [handler] = [
            child
            for child in stack.node.children
            if isinstance(child, lambda_.Function) and child.role is not None and child.role.node.path == role.node.path
        ]
        what = "CDK BucketDeployment handler (CDK-managed custom resource that copies the onboarding templates)"
        Validations.of(handler).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason=f"{what}: CDK chooses and pins this singleton's runtime with the aws-cdk-lib release; it runs "
                "only at deploy time, and is upgraded by upgrading aws-cdk-lib, not here.",
            )
        )
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                reason=f"{what}: CDK attaches the AWS managed basic execution policy (writing its own logs) to "
                "this singleton's role; the handler's permissions are not configurable without replacing it.",
            )
        )

        default_policy = role.node.find_child("DefaultPolicy")
        document = stack.resolve(default_policy.document)  # type: ignore[attr-defined]
        own_objects = nag_flatten(stack.resolve(self.bucket.arn_for_objects("*")))
        asset_objects = {
            flat
            for statement in document["Statement"]
            if set(_as_list(statement["Action"])) == set(DEPLOYMENT_ASSET_READ_ACTIONS)
            for flat in map(nag_flatten, _as_list(statement["Resource"]))
            if flat.endswith("/*")
        }
        if len(asset_objects) != 1:  # one asset bucket per environment
            raise ValueError(f"unexpected BucketDeployment policy (aws-cdk-lib changed?): {document}")
        findings = {
            f"Action::{action}": "the CDK-generated grant of reading the staged asset and syncing into the bucket"
            for action in DEPLOYMENT_WILDCARD_ACTIONS
        }
        findings[f"Resource::{asset_objects.pop()}"] = "the staged template zip in the CDK bootstrap asset bucket"
        findings[f"Resource::{own_objects}"] = "the objects of the onboarding template bucket it publishes to"
        for finding, granted in findings.items():
            Validations.of(default_policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[{finding}]",
                    reason=f"{what}: {granted}; CDK writes this policy (prefix wildcards) for its handler, "
                    "which only runs when CloudFormation deploys the stack.",
                )
            )
