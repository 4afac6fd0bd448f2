"""The Lambda functions: one small construct, instantiated once per ``routes.FUNCTIONS`` entry.

Permissions are derived from ``FunctionSpec.access`` through ``grants.GRANTS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infrastructure import constants, grants
from infrastructure.customer_access import CustomerAccess
from infrastructure.data import DataStore
from infrastructure.function_environment import PUBLIC_AZURE, AzureCloud, function_environment
from infrastructure.resources import NO_CORS, CorsPolicy
from infrastructure.routes import FUNCTIONS, ROUTES, Access, FunctionSpec, route_policy


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class CloudivizeFunction(Construct):
    """One function of the route table: Python 3.12 on arm64, the shared layer, JSON logs, X-Ray."""

    RUNTIME = lambda_.Runtime.PYTHON_3_12
    ARCHITECTURE = lambda_.Architecture.ARM_64
    LOG_RETENTION = logs.RetentionDays.THREE_MONTHS

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        repo_root: Path,
        layer: lambda_.ILayerVersion,
        data: DataStore,
        customer_access: CustomerAccess | None,
        onboarding_template_url: str | None,
        azure: AzureCloud,
        onboarding_organization_template_url: str | None = None,
        cors: CorsPolicy,
        audit_retention_days: int = constants.DEFAULT_AUDIT_RETENTION_DAYS,
        invitation_sender: str | None = None,
        azure_federation_issuer: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        grants.check_granted(spec.name, spec.access)
        # Only the function that sends invitations learns the sender.
        sender = invitation_sender if Access.SEND_INVITATIONS in spec.access else None
        self.spec = spec

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Cloudivize function {spec.name}: {', '.join(sorted(spec.access)) or 'no data access'}",
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=self.LOG_RETENTION)
        self._grant_target = grants.GrantTarget(
            function=spec.name,
            role=self.role,
            region=Stack.of(self).region,
            data=data,
            customer_access=customer_access,
            invitation_sender=sender,
        )

        serves_routes = any(route.function == spec.name for route in ROUTES)
        # Every function serving a route may add to the audit trail, and so may one that serves none but records
        # (the scheduled organization sync); the sign-up trigger does neither.
        writes_audit = serves_routes or Access.AUDIT_WRITE in spec.access
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=self.RUNTIME,
            architecture=self.ARCHITECTURE,
            code=lambda_.Code.from_asset(str(repo_root / spec.code_dir), exclude=["__pycache__", "*.pyc"]),
            handler=spec.handler,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            layers=[layer],
            role=self.role,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
            environment=function_environment(
                table_name=data.table.table_name,
                field_key_arn=data.field_key.key_arn,
                idempotency_table_name=data.idempotency_table.table_name,
                customer_access_role_arn=customer_access.role_arn if customer_access else None,
                onboarding_template_url=onboarding_template_url,
                onboarding_organization_template_url=onboarding_organization_template_url,
                azure=azure,
                cors=cors,
                route_policy=route_policy(spec.name) if serves_routes else None,
                audit_table_name=data.audit_table.table_name if writes_audit else None,
                audit_retention_days=audit_retention_days,
                invitation_sender=sender,
                azure_federation_issuer=azure_federation_issuer,
            ),
        )

        # Logging and data access in one policy the function waits for (no cold start without permissions).
        self.access_policy = iam.Policy(
            self,
            "AccessPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
                *grants.statements(self._grant_target, spec.access),
            ],
        )
        self.function.node.add_dependency(self.access_policy)

        # The role's default policy holds only what `tracing=ACTIVE` adds: X-Ray's write API has no resource.
        Validations.of(self.role.node.find_child("DefaultPolicy")).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason=f"{spec.name} function: xray:PutTraceSegments and xray:PutTelemetryRecords (added by "
                "active tracing) do not support resource-level permissions; this policy holds nothing else.",
            )
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason=f"{spec.name} function: Python 3.12 is the pinned runtime; the shared layer is built for "
                "cp312 manylinux aarch64 wheels, and moving runtime means rebuilding and re-testing both together.",
            )
        )


class CloudivizeFunctions(Construct):
    """Every function of ``routes.FUNCTIONS``, by name."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repo_root: Path,
        layer: lambda_.ILayerVersion,
        data: DataStore,
        customer_access: CustomerAccess | None = None,
        onboarding_template_url: str | None = None,
        onboarding_organization_template_url: str | None = None,
        azure: AzureCloud = PUBLIC_AZURE,
        cors: CorsPolicy = NO_CORS,
        audit_retention_days: int = constants.DEFAULT_AUDIT_RETENTION_DAYS,
        specs: Iterable[FunctionSpec] = FUNCTIONS.values(),
        invitation_sender: str | None = None,
        azure_federation_issuer: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.by_name: dict[str, CloudivizeFunction] = {
            spec.name: CloudivizeFunction(
                self,
                _pascal(spec.name),
                spec=spec,
                repo_root=repo_root,
                layer=layer,
                data=data,
                customer_access=customer_access,
                onboarding_template_url=onboarding_template_url,
                onboarding_organization_template_url=onboarding_organization_template_url,
                azure=azure,
                cors=cors,
                audit_retention_days=audit_retention_days,
                invitation_sender=invitation_sender,
                azure_federation_issuer=azure_federation_issuer,
            )
            for spec in specs
        }
        if customer_access is not None and not customer_access.trusted_roles:
            raise ValueError("the customer-access role needs at least one function allowed to assume it")

    def __getitem__(self, name: str) -> CloudivizeFunction:
        return self.by_name[name]

    def __iter__(self):
        return iter(self.by_name.values())
