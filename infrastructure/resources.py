"""How the deployed resources are configured, said once for everything that builds or imitates them.

The CDK constructs (``auth``, ``data``, ``api``, ``customer_access``) turn these facts into CloudFormation; the
local emulator (``infrastructure.local.aws.provisioning``) and the test fixtures into AWS API calls. Plain data,
no CDK import: the local stack must not load the CDK. The names the functions read as well (keys, the tenant
attribute, environment variables) are in ``constants``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infrastructure import constants, routes

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
    ttl_attribute=constants.TABLE_TTL_ATTRIBUTE,
)
# Records of retried creates (Idempotency-Key), expiring after a day: short-lived, so no deletion protection.
IDEMPOTENCY_TABLE = TableFacts(
    local_name=f"{constants.SERVICE_NAME}-idempotency",
    partition_key=constants.IDEMPOTENCY_KEY,
    ttl_attribute=constants.IDEMPOTENCY_TTL_ATTRIBUTE,
    deletion_protection=False,
)
# Audit events: partition key = organization, sort key = time + random (newest first is a reversed Query); kept
# for the retention the context sets (TTL), protected like the main table.
AUDIT_TABLE = TableFacts(
    local_name=f"{constants.SERVICE_NAME}-audit",
    partition_key=constants.TABLE_PARTITION_KEY,
    sort_key=constants.TABLE_SORT_KEY,
    ttl_attribute=constants.AUDIT_TTL_ATTRIBUTE,
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
    oauth_scopes: tuple[str, ...] = ("openid", "email", "profile")  # what the managed login may grant


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

# --- Hosted sign-in (Cognito's managed login) ------------------------------------------------------------

AMAZON_PROVIDER_NAME = "LoginWithAmazon"  # Cognito's fixed name (and type) of the Login with Amazon provider
# The identity providers the web client offers: the pool's own users, and Amazon.
WEB_CLIENT_IDENTITY_PROVIDERS = ("COGNITO", AMAZON_PROVIDER_NAME)
OAUTH_SCOPES = ("openid", "email", "profile")
AMAZON_SCOPES = ("profile",)  # Login with Amazon's scope for the profile's user id, name and email
# Pool attribute <- Login with Amazon profile field: what a federated sign-in writes into the user.
AMAZON_ATTRIBUTE_MAPPING = {"email": "email", "name": "name"}
# The console's OAuth redirect (after sign-in) and where signing out returns, relative to its origin.
CONSOLE_CALLBACK_PATH = "/auth/callback"
CONSOLE_SIGNED_OUT_PATH = "/"

# --- Browser access (CORS) -----------------------------------------------------------------------------------

# The web console's dev server (Vite's default port), by both names a developer's browser may use.
DEFAULT_ALLOWED_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")
PREFLIGHT_STATUS = 204  # no body, as CDK's own preflight answers; cdk-nag knows a preflight by it


def _checked_origin(origin: str) -> str:
    """An origin as browsers send it: ``scheme://host[:port]``, no path, never ``*`` (a policy lists its origins)."""
    scheme, _, rest = origin.partition("://")
    if scheme not in ("http", "https") or not rest or any(char in rest for char in "/?#*,'\" "):
        raise ValueError(f"{origin!r} is not an origin: write it as scheme://host[:port], without a path")
    return origin


@dataclass(frozen=True)
class FromRequestHeader:
    """A response header whose value is a request header's (API Gateway: ``method.request.header.<name>``);
    absent from the request, absent from the response."""

    name: str


@dataclass(frozen=True)
class CorsPolicy:
    """Which browser pages may call the API, and what they may send and read.

    One policy for the deployed API (preflight mock integrations, gateway responses), the functions (Powertools'
    ``CORSConfig``, from ``function_environment``) and the local gateway. No credentials mode: callers send a
    bearer token, never a cookie. No origins: no CORS at all (no preflight, no header).
    """

    allowed_origins: tuple[str, ...]
    allow_headers: tuple[str, ...] = (
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
        "If-Match",
        constants.ORGANIZATION_HEADER,
    )
    # What a page may read beyond the CORS-safelisted headers: a record's version, where a new one is, the id to
    # quote, the bearer challenge of a 401.
    expose_headers: tuple[str, ...] = ("ETag", "Location", "X-Request-Id", "WWW-Authenticate")
    max_age_seconds: int = 600

    def __post_init__(self) -> None:
        for origin in self.allowed_origins:
            _checked_origin(origin)

    @property
    def enabled(self) -> bool:
        return bool(self.allowed_origins)

    def allow_origin(self, origin: str | None) -> str | None:
        """The request's origin when it is allowed, else None: a disallowed origin is never named."""
        return origin if origin in self.allowed_origins else None

    def preflight_headers(self, path: str) -> dict[str, str]:
        """The preflight's headers of resource ``path`` but ``Access-Control-Allow-Origin`` (``allow_origin``)."""
        return {
            "Access-Control-Allow-Methods": ",".join(preflight_methods(path)),
            "Access-Control-Allow-Headers": ",".join(self.allow_headers),
            "Access-Control-Max-Age": str(self.max_age_seconds),
            "Vary": "Origin",  # the answer depends on the Origin sent
        }

    def gateway_response_headers(self) -> dict[str, str | FromRequestHeader]:
        """The CORS headers of the responses API Gateway makes itself (gateway responses: 401, 403, 429, 5XX, ...).

        A gateway response can only carry static values or request values (its template is not VTL), so it cannot
        name an origin only when it is allowed. With one origin it names that one. With several it echoes the
        request's Origin, whatever it is, with ``Vary: Origin`` for caches: a gateway response's body is generic (a
        problem type, API Gateway's message and the request id, nothing of a tenant), and without credentials mode
        a page reads only what it could have fetched itself. The functions' own responses name allowed origins only.
        """
        if not self.enabled:
            return {}
        headers: dict[str, str | FromRequestHeader] = {"Access-Control-Expose-Headers": ",".join(self.expose_headers)}
        if len(self.allowed_origins) == 1:
            headers["Access-Control-Allow-Origin"] = self.allowed_origins[0]
        else:
            headers["Access-Control-Allow-Origin"] = FromRequestHeader("Origin")
            headers["Vary"] = "Origin"
        return headers


NO_CORS = CorsPolicy(allowed_origins=())


def preflight_methods(path: str) -> tuple[str, ...]:
    """The methods a preflight of resource ``path`` allows: its routes' methods, and OPTIONS itself."""
    return (*routes.allowed_methods(path), "OPTIONS")
