"""AWS IAM outbound identity federation for the account, and its issuer (Azure federated credentials).

CloudFormation has no resource type for it, so two ``AwsCustomResource`` calls do it at deploy time:

* **Enable** calls IAM ``EnableOutboundWebIdentityFederation`` once, on create. The account may have it already
  (another stack, the console): ``FeatureEnabled`` is then not an error. Nothing happens on delete: the feature is
  the account's, and other workloads of the account may rely on it; disabling it is a deliberate act of the
  account's administrator, not a side effect of removing this stack.
* **Issuer** reads ``GetOutboundWebIdentityFederationInfo`` (on create and on every update, so the value is the
  account's current one) after Enable: its ``IssuerIdentifier`` is the ``iss`` of every token Cloudivize's principal
  mints, which customers name in their Entra application's federated credential. (Enable's own answer cannot be
  read: the call that may be ignored returns nothing when it is.)

Both run in CDK's singleton handler (Node.js), with the SDK of the Lambda runtime: ``install_latest_aws_sdk`` is
False, so neither the synth nor the deploy downloads anything from npm. Its role may call exactly these two IAM
actions (they have no resource type, hence ``*``).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

ENABLE_ACTION = "iam:EnableOutboundWebIdentityFederation"
READ_ACTION = "iam:GetOutboundWebIdentityFederationInfo"
ISSUER_FIELD = "IssuerIdentifier"
# The error name SDK v3 gives IAM's FeatureEnabled (its modeled FeatureEnabledException; the bare code if unmodeled).
ALREADY_ENABLED = "^FeatureEnabled(Exception)?$"
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS  # like the functions' logs


class OutboundFederation(Construct):
    """Enables outbound identity federation for the account (never disables it) and exposes its ``issuer``."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # CDK's one handler for every AwsCustomResource of the stack writes here (all of them share it).
        self.log_group = logs.LogGroup(self, "HandlerLogs", retention=LOG_RETENTION)

        self.enable = cr.AwsCustomResource(
            self,
            "Enable",
            resource_type="Custom::OutboundWebIdentityFederation",
            on_create=cr.AwsSdkCall(
                service="IAM",
                action="enableOutboundWebIdentityFederation",
                physical_resource_id=cr.PhysicalResourceId.of("outbound-web-identity-federation"),
                ignore_error_codes_matching=ALREADY_ENABLED,
            ),
            # No on_delete: the account keeps the feature when the stack goes (see the module's docstring).
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(sid="EnableOutboundFederation", actions=[ENABLE_ACTION], resources=["*"])]
            ),
            install_latest_aws_sdk=False,
            log_group=self.log_group,
        )

        read = cr.AwsSdkCall(
            service="IAM",
            action="getOutboundWebIdentityFederationInfo",
            physical_resource_id=cr.PhysicalResourceId.of("outbound-web-identity-federation-issuer"),
            output_paths=[ISSUER_FIELD],
        )
        self.issuer_reader = cr.AwsCustomResource(
            self,
            "Issuer",
            resource_type="Custom::OutboundWebIdentityFederationIssuer",
            on_create=read,
            on_update=read,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(sid="ReadOutboundFederationIssuer", actions=[READ_ACTION], resources=["*"])]
            ),
            install_latest_aws_sdk=False,
            log_group=self.log_group,
        )
        self.issuer_reader.node.add_dependency(self.enable)
        self._acknowledge_handler()

    @property
    def issuer(self) -> str:
        """The account's issuer URL (``https://<id>.tokens.sts.global.api.aws``), a deploy-time token."""
        return self.issuer_reader.get_response_field(ISSUER_FIELD)

    def _acknowledge_handler(self) -> None:
        """The findings on CDK's singleton handler (a stack-level Lambda with its own role), each by its exact id.
        (No L1: CDK gives it the latest Node.js runtime.)"""
        handler = singleton_handler(Stack.of(self))
        what = "CDK AwsCustomResource handler (enables outbound identity federation and reads its issuer)"
        assert handler.role is not None  # noqa: S101 - the singleton always has its own role here
        Validations.of(handler.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                reason=f"{what}: CDK attaches the AWS managed basic execution policy (writing its own logs) to this "
                "singleton's role; the handler's permissions are not configurable without replacing it.",
            )
        )
        for resource in (self.enable, self.issuer_reader):
            Validations.of(resource.node.find_child("CustomResourcePolicy")).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-IAM5[Resource::*]",
                    reason=f"{what}: {ENABLE_ACTION} and {READ_ACTION} have no resource type (the feature is the "
                    "account's), so they are granted on *; each policy names exactly one of these two actions.",
                )
            )


def singleton_handler(stack: Stack) -> lambda_.Function:
    """The one Lambda function CDK adds (at stack level) for every AwsCustomResource of the stack."""
    uuid = cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
    [handler] = [
        child for child in stack.node.children if isinstance(child, lambda_.Function) and child.node.id == f"AWS{uuid}"
    ]
    return handler
