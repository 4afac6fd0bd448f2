"""The Lambda functions: one small construct, instantiated once per ``routes.FUNCTIONS`` entry.

Permissions are derived from ``FunctionSpec.access`` and written as explicit statements (no ``grant_*``
helper, which would add ``kms:ReEncrypt*`` / ``kms:GenerateDataKey*``): a function gets exactly the
DynamoDB and KMS actions its access list names, and a function with no access gets none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infrastructure import constants
from infrastructure.customer_access import CustomerAccess
from infrastructure.data import DataStore
from infrastructure.routes import FUNCTIONS, Access, FunctionSpec

TABLE_READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem")
TABLE_WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)
# What DynamoDB asks KMS for on the caller's behalf (SSE with a customer-managed key).
TABLE_KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
TABLE_KEY_WRITE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
SEAL_ACTIONS = ("kms:GenerateDataKey",)  # AWS Encryption SDK encrypt: one data key per message
UNSEAL_ACTIONS = ("kms:Decrypt",)  # AWS Encryption SDK decrypt


# Every Access value this module turns into a grant. A new Access member fails the synth until it is mapped here.
GRANTED_ACCESS = frozenset(
    {
        Access.TABLE_READ,
        Access.TABLE_WRITE,
        Access.SEAL,
        Access.UNSEAL,
        Access.SET_TENANT_ATTRIBUTE,
        Access.IDEMPOTENCY,
        Access.ASSUME_CUSTOMER_ROLE,
    }
)
# What Powertools' DynamoDB persistence layer calls.
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def encryption_context_conditions() -> dict[str, dict[str, str]]:
    """Field-key calls must carry every encryption-context key ``cloudivize.crypto`` sets.

    ``Null: false`` = "the key is present". Not ``ForAllValues:StringEquals`` on ``kms:EncryptionContextKeys``:
    the Encryption SDK adds its own ``aws-crypto-public-key`` entry to the context.
    """
    return {"Null": {f"kms:EncryptionContext:{key}": "false" for key in constants.ENCRYPTION_CONTEXT_KEYS}}


def _dedupe(actions: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(actions))


class MissingGrant(RuntimeError):
    """A function's access the stack cannot grant. The app must not synthesize: the function would fail at run
    time. (A RuntimeError, like the errors CDK itself raises during synthesis.)"""


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
        azure_environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        unmapped = set(spec.access) - GRANTED_ACCESS
        if unmapped:
            raise MissingGrant(f"function {spec.name}: no grant is defined for access {sorted(unmapped)}")
        if Access.ASSUME_CUSTOMER_ROLE in spec.access and customer_access is None:
            raise MissingGrant(
                f"function {spec.name} has {Access.ASSUME_CUSTOMER_ROLE} but no customer-access role was given: "
                "it could not reach any customer account"
            )
        self.spec = spec

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Cloudivize function {spec.name}: {', '.join(sorted(spec.access)) or 'no data access'}",
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=self.LOG_RETENTION)

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
            environment={
                constants.ENV_TABLE_NAME: data.table.table_name,
                constants.ENV_FIELD_KEY_ARN: data.field_key.key_arn,
                constants.ENV_IDEMPOTENCY_TABLE_NAME: data.idempotency_table.table_name,
                "POWERTOOLS_SERVICE_NAME": constants.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                # Cloudivize's principal and the onboarding template: no secret (customers are given both) and
                # no permission (onboarding shows them without being able to assume the role).
                **({constants.ENV_CUSTOMER_ACCESS_ROLE_ARN: customer_access.role_arn} if customer_access else {}),
                **({constants.ENV_ONBOARDING_TEMPLATE_URL: onboarding_template_url} if onboarding_template_url else {}),
                **azure_environment,  # unset: the Azure public cloud
            },
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
                *self._data_statements(data),
                *self._customer_access_statements(customer_access),
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

    def _data_statements(self, data: DataStore) -> list[iam.PolicyStatement]:
        access = self.spec.access
        region = Stack.of(self).region
        via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}}
        statements: list[iam.PolicyStatement] = []

        table_actions: list[str] = []
        table_key_actions: list[str] = []
        if Access.TABLE_READ in access:
            table_actions += TABLE_READ_ACTIONS
            table_key_actions += TABLE_KEY_READ_ACTIONS
        if Access.TABLE_WRITE in access:
            table_actions += TABLE_WRITE_ACTIONS
            table_key_actions += TABLE_KEY_WRITE_ACTIONS
        if table_actions:
            # The table has no secondary index; add "<table arn>/index/<name>" here when one is defined.
            statements.append(
                iam.PolicyStatement(sid="Table", actions=_dedupe(table_actions), resources=[data.table.table_arn])
            )
        if Access.IDEMPOTENCY in access:
            statements.append(
                iam.PolicyStatement(
                    sid="IdempotencyRecords",
                    actions=list(IDEMPOTENCY_ACTIONS),
                    resources=[data.idempotency_table.table_arn],
                )
            )
            table_key_actions += TABLE_KEY_WRITE_ACTIONS
        if table_key_actions:
            statements.append(
                iam.PolicyStatement(
                    sid="TableKeyThroughDynamoDB",
                    actions=_dedupe(table_key_actions),
                    resources=[data.table_key.key_arn],
                    conditions=via_dynamodb,
                )
            )
        if Access.SEAL in access:
            statements.append(
                iam.PolicyStatement(
                    sid="SealFields",
                    actions=list(SEAL_ACTIONS),
                    resources=[data.field_key.key_arn],
                    conditions=encryption_context_conditions(),
                )
            )
        if Access.UNSEAL in access:
            statements.append(
                iam.PolicyStatement(
                    sid="UnsealFields",
                    actions=list(UNSEAL_ACTIONS),
                    resources=[data.field_key.key_arn],
                    conditions=encryption_context_conditions(),
                )
            )
        return statements

    def _customer_access_statements(self, customer_access: CustomerAccess | None) -> list[iam.PolicyStatement]:
        """sts:AssumeRole on Cloudivize's principal, which trusts this function's role in return. The role's trust
        names this function's role, which names nothing, so there is no cycle."""
        if Access.ASSUME_CUSTOMER_ROLE not in self.spec.access or customer_access is None:
            return []
        customer_access.trust(self.role)
        return [
            iam.PolicyStatement(
                sid="AssumeCustomerAccessRole", actions=["sts:AssumeRole"], resources=[customer_access.role_arn]
            )
        ]

    def grant_user_pool(self, user_pool: cognito.IUserPool) -> None:
        """Grants that name the user pool, in a policy of their own.

        The pool references this function (its trigger), so the function must not wait for a policy that
        references the pool: this policy is attached to the role without a dependency from the function.
        """
        if Access.SET_TENANT_ATTRIBUTE not in self.spec.access:
            return
        iam.Policy(
            self,
            "UserPoolPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="SetTenantAttribute",
                    actions=["cognito-idp:AdminUpdateUserAttributes"],
                    resources=[user_pool.user_pool_arn],
                )
            ],
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
        azure_environment: Mapping[str, str] | None = None,
        specs: Iterable[FunctionSpec] = FUNCTIONS.values(),
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
                azure_environment=azure_environment or {},
            )
            for spec in specs
        }
        if customer_access is not None and not customer_access.trusted_roles:
            raise ValueError("the customer-access role needs at least one function allowed to assume it")

    def __getitem__(self, name: str) -> CloudivizeFunction:
        return self.by_name[name]

    def __iter__(self):
        return iter(self.by_name.values())

    def grant_user_pool(self, user_pool: cognito.IUserPool) -> None:
        for function in self:
            function.grant_user_pool(user_pool)

    def with_access(self, access: Access) -> list[CloudivizeFunction]:
        return [function for function in self if access in function.spec.access]
