"""How the deployed resources are configured, said once for everything that builds or imitates them.

The CDK constructs (``auth``, ``data``, ``api``, ``customer_access``) turn these facts into CloudFormation; the
local emulator (``infrastructure.local.aws.provisioning``) and the test fixtures into AWS API calls. Plain data,
no CDK import: the local stack must not load the CDK. The names the functions read as well (keys, the tenant
attribute, environment variables) are in ``constants``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infrastructure import constants

DEFAULT_STACK_NAME = "Cloudivize"
API_STAGE_NAME = "v1"

# --- Cloudivize's principal ----------------------------------------------------------------------------------

CUSTOMER_ACCESS_ROLE_SUFFIX = "-CustomerAccess"
MAX_ROLE_NAME_LENGTH = 64  # IAM's limit


def customer_access_role_name(stack_name: str) -> str:
    """The fixed, documented name of Cloudivize's principal: ``<stack name>-CustomerAccess``."""
    name = f"{stack_name}{CUSTOMER_ACCESS_ROLE_SUFFIX}"
    if len(name) > MAX_ROLE_NAME_LENGTH:
        raise ValueError(
            f"stack name {stack_name!r} is too long: the customer-access role {name!r} would exceed "
            f"{MAX_ROLE_NAME_LENGTH} characters (keep the stack name to "
            f"{MAX_ROLE_NAME_LENGTH - len(CUSTOMER_ACCESS_ROLE_SUFFIX)} or fewer)"
        )
    return name


# --- The onboarding template -------------------------------------------------------------------------------

ONBOARDING_PUBLIC_PREFIX = "onboarding/"  # the only part of the template bucket anyone may read
ONBOARDING_TEMPLATE_CONTENT_TYPE = "application/yaml"

# --- Keys ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFacts:
    """A customer-managed symmetric KMS key."""

    alias: str
    description: str  # says what the key is for
    rotation: bool = True


# Two keys, so that reading the table (or a backup of it) is never enough to open a sealed field.
TABLE_KEY = KeyFacts(
    alias=f"alias/{constants.SERVICE_NAME}/table",
    description="Cloudivize: DynamoDB server-side encryption of the connections table",
)
FIELD_KEY = KeyFacts(
    alias=f"alias/{constants.SERVICE_NAME}/fields",
    description="Cloudivize: field-level envelope encryption (AWS Encryption SDK) of connection secrets",
)

# --- Tables --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableFacts:
    """An on-demand table with string keys, encrypted with ``TABLE_KEY``, recoverable to a point in time.
    No table has a secondary index."""

    local_name: str  # the emulator's name for it; deployed, CloudFormation names the table
    partition_key: str
    sort_key: str | None = None
    ttl_attribute: str | None = None
    deletion_protection: bool = True
    point_in_time_recovery: bool = True

    def key_schema(self) -> list[dict[str, str]]:
        """``KeySchema`` as the DynamoDB API (and CloudFormation) write it."""
        keys = [{"AttributeName": self.partition_key, "KeyType": "HASH"}]
        if self.sort_key:
            keys.append({"AttributeName": self.sort_key, "KeyType": "RANGE"})
        return keys

    def attribute_definitions(self) -> list[dict[str, str]]:
        return [{"AttributeName": key["AttributeName"], "AttributeType": "S"} for key in self.key_schema()]


# The single table: partition key = tenant, sort key = record kind + id.
MAIN_TABLE = TableFacts(
    local_name=constants.SERVICE_NAME,
    partition_key=constants.TABLE_PARTITION_KEY,
    sort_key=constants.TABLE_SORT_KEY,
)
# Records of retried creates (Idempotency-Key), expiring after a day: short-lived, so no deletion protection.
IDEMPOTENCY_TABLE = TableFacts(
    local_name=f"{constants.SERVICE_NAME}-idempotency",
    partition_key=constants.IDEMPOTENCY_KEY,
    ttl_attribute=constants.IDEMPOTENCY_TTL_ATTRIBUTE,
    deletion_protection=False,
)

# --- Users ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int
    require_lowercase: bool
    require_uppercase: bool
    require_digits: bool
    require_symbols: bool
    temporary_password_validity_days: int

    def as_cognito_api(self) -> dict[str, Any]:
        """The ``PasswordPolicy`` of Cognito's ``CreateUserPool`` (and of the CloudFormation resource)."""
        return {
            "MinimumLength": self.min_length,
            "RequireLowercase": self.require_lowercase,
            "RequireUppercase": self.require_uppercase,
            "RequireNumbers": self.require_digits,
            "RequireSymbols": self.require_symbols,
            "TemporaryPasswordValidityDays": self.temporary_password_validity_days,
        }


PASSWORD_POLICY = PasswordPolicy(
    min_length=12,
    require_lowercase=True,
    require_uppercase=True,
    require_digits=True,
    require_symbols=True,
    temporary_password_validity_days=3,
)


@dataclass(frozen=True)
class StringAttributeFacts:
    """A custom string attribute of the user pool."""

    name: str  # without the "custom:" prefix
    min_length: int
    max_length: int
    mutable: bool

    @property
    def claim(self) -> str:
        """How tokens, the user APIs and app clients name it."""
        return f"custom:{self.name}"

    def schema(self) -> dict[str, Any]:
        """The attribute as Cognito's ``CreateUserPool`` ``Schema`` lists it."""
        return {
            "Name": self.name,
            "AttributeDataType": "String",
            "Mutable": self.mutable,
            "StringAttributeConstraints": {"MinLength": str(self.min_length), "MaxLength": str(self.max_length)},
        }


# Written only by the post-confirmation trigger (admin API), after the user exists, so mutable; no app client
# may write it.
TENANT_ID_ATTRIBUTE = StringAttributeFacts(name=constants.TENANT_ATTRIBUTE, min_length=1, max_length=64, mutable=True)


@dataclass(frozen=True)
class AppClientFacts:
    """A public app client (no secret). Attributes by Cognito's names: ``name``, ``email``, ``custom:<name>``."""

    read_attributes: tuple[str, ...]
    write_attributes: tuple[str, ...]
    auth_flows: tuple[str, ...]  # ExplicitAuthFlows
    id_token_validity_hours: int
    access_token_validity_hours: int
    refresh_token_validity_days: int


WEB_CLIENT = AppClientFacts(
    # The ID token must carry the email and the tenant.
    read_attributes=("email", "email_verified", "name", TENANT_ID_ATTRIBUTE.claim),
    # Only what users (and the Login with Amazon attribute mapping) may change: never a custom attribute.
    write_attributes=("email", "name"),
    auth_flows=("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
    id_token_validity_hours=1,
    access_token_validity_hours=1,
    refresh_token_validity_days=30,
)
