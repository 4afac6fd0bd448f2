"""API models of connections: what a customer sends, and the metadata we answer with (never a secret)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cloudivize.models.fields import (
    GUID_PATTERN,
    AwareTimestamp,
    AwsRegions,
    ConnectionName,
    Guid,
    RoleArn,
    RoleName,
    SubscriptionIds,
)

Provider = Literal["aws", "azure"]
PROVIDERS: tuple[str, ...] = Provider.__args__
ConnectionStatus = Literal["unverified", "verified", "failed"]
# An account's connection, or an AWS organization's: its discovery role lists the accounts, each a member connection.
ConnectionScope = Literal["account", "organization"]
AccountState = Literal["active", "suspended", "left"]
# The customer-role template's default role name, which the organization template's StackSet deploys.
DEFAULT_MEMBER_ROLE_NAME = "CloudivizeAccess"
# How Cloudivize signs in as a customer's Entra application, most recommended first (docs/architecture.md, "Azure
# credentials"): its AWS identity token (no secret anywhere), a certificate it issued (the customer handles no
# secret), or a client secret the customer made.
AzureCredentialType = Literal["federated", "certificate", "secret"]
AZURE_CREDENTIAL_TYPES: tuple[str, ...] = AzureCredentialType.__args__

# Microsoft Entra ID generates client secrets of 16 to 64 characters (Microsoft Graph, passwordCredential
# secretText); those it issues today have 40 (three characters, a digit, "Q~", 34 more), older ones 32 or 44.
# A value outside that range is no Entra secret, and a short one would be mostly shown by its hint.
AZURE_SECRET_MIN_LENGTH, AZURE_SECRET_MAX_LENGTH = 16, 64
AZURE_SECRET_SHAPE = (
    f"must be the Value of a client secret of your Entra application: {AZURE_SECRET_MIN_LENGTH} to "
    f"{AZURE_SECRET_MAX_LENGTH} characters without spaces (those Entra issues today have 40, like 'Abc8Q~' "
    "followed by 34 more)"
)
_SECRET_ID = re.compile(GUID_PATTERN)
_PRINTABLE_WITHOUT_SPACES = re.compile(r"^[\x21-\x7e]+$")


def _azure_secret(value: SecretStr) -> SecretStr:
    # The messages describe what a secret looks like and never quote the value sent.
    secret = value.get_secret_value()
    if _SECRET_ID.match(secret):
        raise ValueError("is the secret's Secret ID (a GUID); send its Value, shown once when the secret is created")
    if not AZURE_SECRET_MIN_LENGTH <= len(secret) <= AZURE_SECRET_MAX_LENGTH or not _PRINTABLE_WITHOUT_SPACES.match(
        secret
    ):
        raise ValueError(AZURE_SECRET_SHAPE)
    return value


AzureSecret = Annotated[
    SecretStr,
    AfterValidator(_azure_secret),
    Field(
        description="The Value of the application's client secret (write-only)",
        # Documented here, enforced by _azure_secret (which says what an Entra secret looks like).
        json_schema_extra={
            "minLength": AZURE_SECRET_MIN_LENGTH,
            "maxLength": AZURE_SECRET_MAX_LENGTH,
            # Printable ASCII without spaces, and not the secret's Secret ID (a GUID).
            "pattern": rf"^(?!{GUID_PATTERN.strip('^$')}$)[\x21-\x7e]+$",
        },
    ),
]


def _integral(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A version is a whole number from 1. JSON has one number type: 3.0 is the integer 3 (as JSON Schema's "integer"
# says); text and booleans stay refused.
Version = Annotated[StrictInt, Field(ge=1), BeforeValidator(_integral)]


class _Strict(BaseModel):
    # Unknown fields are refused, so a request cannot smuggle an External ID or anything else in.
    model_config = ConfigDict(extra="forbid")


# Examples a client can send as they are: accepted by the API (unverified, so no customer account is needed).
# Shaped like a secret Entra ID generates (40 characters); no application has it.
EXAMPLE_AZURE_SECRET = "kX28Q~Ex4mpleSecretValue.NotReal-AbCdEf1"  # noqa: S105 - a documentation example


class AwsConnectionCreate(_Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "provider": "aws",
                    "name": "Production",
                    "role_arn": "arn:aws:iam::123456789012:role/CloudivizeReadOnly",
                    "regions": ["us-east-1", "eu-west-1"],
                    "verify": False,
                },
                {
                    "provider": "aws",
                    "scope": "organization",
                    "name": "Acme organization",
                    "role_arn": "arn:aws:iam::123456789012:role/CloudivizeOrganizationDiscovery",
                    "regions": ["us-east-1", "eu-west-1"],
                    "verify": False,
                },
            ]
        }
    )

    provider: Literal["aws"]
    scope: ConnectionScope = Field(
        default="account",
        description="account: role_arn is the role of one account. organization: role_arn is the discovery role "
        "of GET /onboarding/aws-organization, in the management account (or a delegated administrator); every "
        "account of the organization becomes a member connection",
    )
    name: ConnectionName
    role_arn: RoleArn
    regions: AwsRegions | None = Field(
        default=None, description="Regions to use (an organization's: each member's); default: all enabled regions"
    )
    member_role_name: RoleName | None = Field(
        default=None,
        description=f"organization only: the role the StackSet creates in each account (default "
        f"{DEFAULT_MEMBER_ROLE_NAME}, the template's RoleName)",
    )
    include_management_account: StrictBool = Field(
        default=False,
        description="organization only: also connect the management account, where the template creates the role "
        'only with IncludeManagementAccount "true" (a StackSet never deploys there)',
    )
    verify: StrictBool = Field(
        default=True,
        description="Verify the connection live before storing it (an organization's: then list its accounts and "
        "connect each, each verified live)",
    )

    # Field validators, so that a refusal names the field (scope is validated before them).
    @field_validator("member_role_name", "include_management_account")
    @classmethod
    def _organization_only(cls, value: object, info: ValidationInfo) -> object:
        if info.data.get("scope") == "account" and value not in (None, False):
            raise ValueError('applies to scope "organization" only')
        return value


class AzureConnectionCreate(_Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "provider": "azure",
                    "name": "Subscriptions",
                    "credential_type": "federated",
                    "directory_id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
                    "application_id": "1a2b3c4d-5e6f-4081-9223-b4c5d6e7f809",
                    "subscription_ids": ["2b3c4d5e-6f70-4182-9334-c5d6e7f8091a"],
                    "verify": False,
                },
                {
                    "provider": "azure",
                    "name": "Subscriptions (certificate)",
                    "credential_type": "certificate",
                    "directory_id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
                    "application_id": "1a2b3c4d-5e6f-4081-9223-b4c5d6e7f809",
                },
                {
                    "provider": "azure",
                    "name": "Subscriptions (secret)",
                    "directory_id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
                    "application_id": "1a2b3c4d-5e6f-4081-9223-b4c5d6e7f809",
                    "application_secret": EXAMPLE_AZURE_SECRET,
                    "subscription_ids": ["2b3c4d5e-6f70-4182-9334-c5d6e7f8091a"],
                    "secret_expires_at": "2027-06-30T00:00:00Z",
                    "verify": False,
                },
            ]
        }
    )

    provider: Literal["azure"]
    name: ConnectionName
    credential_type: AzureCredentialType = Field(
        default="secret",
        description="federated: Cloudivize signs in with its AWS identity token, trusted by a federated credential "
        "of the application (no secret; recommended). certificate: Cloudivize issues a certificate (the answer "
        "carries it) for you to add to the application. secret: a client secret you send (the default)",
    )
    # Sealed at rest, so kept out of reprs that debug logging may print.
    directory_id: Guid = Field(description="Microsoft Entra (Azure AD) directory (tenant) id", repr=False)
    application_id: Guid = Field(description="Application (client) id", repr=False)
    application_secret: AzureSecret | None = Field(
        default=None,
        validate_default=True,  # required for credential_type secret: its validator says so, naming the field
        description="secret only (and required there): the Value of a client secret (write-only)",
    )
    subscription_ids: SubscriptionIds | None = Field(
        default=None, description="Default: every visible subscription", repr=False
    )
    secret_expires_at: AwareTimestamp | None = Field(
        default=None, description="secret only: when the secret expires, if known"
    )
    verify: StrictBool = Field(
        default=True,
        description="Verify the connection live before storing it. A certificate connection is verified once you "
        "have added its certificate (POST /connections/{id}/verify), so it is stored unverified",
    )

    # Field validators, so that a refusal names the field (credential_type is validated before them).
    @field_validator("application_secret")
    @classmethod
    def _secret_only_for_secrets(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        kind = info.data.get("credential_type")
        if kind == "secret" and value is None:
            raise ValueError("is required with credential_type secret (the default)")
        if kind not in (None, "secret") and value is not None:
            raise ValueError(f"does not apply to credential_type {kind}: Cloudivize holds no secret of yours for it")
        return value

    @field_validator("secret_expires_at")
    @classmethod
    def _expiry_only_for_secrets(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        kind = info.data.get("credential_type")
        if kind not in (None, "secret") and value is not None:
            raise ValueError(f"does not apply to credential_type {kind}: Cloudivize knows when its own expire")
        return value

    @field_validator("verify")
    @classmethod
    def _certificates_verify_later(cls, value: bool, info: ValidationInfo) -> bool:
        if info.data.get("credential_type") == "certificate" and value:
            raise ValueError(
                "a certificate connection cannot be verified before its certificate is added to the application: "
                "leave verify out (or send false), add the certificate, then POST /connections/{id}/verify"
            )
        return value

    @model_validator(mode="after")
    def _certificate_stored_unverified(self) -> AzureConnectionCreate:
        if self.credential_type == "certificate":
            self.verify = False  # the default (true) does not apply: nothing can accept the certificate yet
        return self


ConnectionCreate = Annotated[AwsConnectionCreate | AzureConnectionCreate, Field(discriminator="provider")]


class ConnectionPatch(_Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"version": 1, "name": "Production (EU)", "regions": ["eu-west-1"]},
                {"version": 2, "application_secret": EXAMPLE_AZURE_SECRET, "secret_expires_at": "2027-12-31T00:00:00Z"},
            ]
        }
    )

    version: Version | None = Field(
        default=None, description="The version you read (or send it as If-Match); a stale one answers 412"
    )
    name: ConnectionName | None = None
    regions: AwsRegions | None = Field(default=None, description="AWS only")
    subscription_ids: SubscriptionIds | None = Field(default=None, description="Azure only")
    application_secret: AzureSecret | None = Field(
        default=None, description="Azure, credential_type secret only: rotate the secret"
    )
    rotate_certificate: StrictBool | None = Field(
        default=None,
        description="Azure, credential_type certificate only: true issues a new certificate (in the answer). "
        "Cloudivize signs in with the new one once you have added it to the application, and with the previous "
        "one until then",
    )
    secret_expires_at: AwareTimestamp | None = Field(
        default=None,
        description="Azure only: when the secret expires. Left out, the known date is kept (also when rotating); "
        "null forgets it",
    )
    verify: StrictBool = Field(
        default=True,
        description="Verify a rotated secret live before storing it. A rotated certificate is stored unverified "
        "whatever this says: verify once you have added it",
    )


class AwsOrganization(BaseModel):
    """An organization connection's organization: its role_arn is the discovery role."""

    organization_id: str | None = Field(description="The AWS organization's id (o-...), once discovered")
    management_account_id: str | None
    member_role_name: str = Field(description="The role of each member account (the StackSet's RoleName)")
    include_management_account: bool


class AwsDescriptors(BaseModel):
    account_id: str
    role_arn: str
    regions: list[str] | None
    organization: AwsOrganization | None = Field(default=None, description="scope organization only")


class GraphKeyCredential(BaseModel):
    """The certificate as Microsoft Graph adds it to an application (``keyCredentials``, ``addKey``)."""

    type: Literal["AsymmetricX509Cert"] = "AsymmetricX509Cert"
    usage: Literal["Verify"] = "Verify"
    key: str = Field(description="The certificate, DER, base64")
    displayName: str  # noqa: N815 - Graph's field name


class AzureCertificate(BaseModel):
    """A certificate Cloudivize issued for a connection: public, to add to the application. Its private key never
    leaves Cloudivize."""

    pem: str = Field(description="The certificate (PEM): save it as a file for `az ad app credential reset --cert`")
    thumbprint: str = Field(description="SHA-1 thumbprint, hex, as the Azure portal shows it")
    thumbprint_sha256: str = Field(description="SHA-256 thumbprint, hex")
    expires_at: datetime
    key_credential: GraphKeyCredential
    command: str = Field(description="The Azure CLI command that adds it to the application")


class AzureDescriptors(BaseModel):
    directory_id: str
    application_id: str
    subscription_ids: list[str] | None
    credential_type: AzureCredentialType = "secret"
    secret_hint: str | None = Field(
        default=None,
        description="secret only: the secret's first 3 characters, as Azure shows them (its hint), to tell "
        "secrets apart",
    )
    secret_expires_at: datetime | None = Field(
        description="When the credential expires: the secret's (if known) or the newest certificate's"
    )
    certificate: AzureCertificate | None = Field(
        default=None, description="certificate only: the newest certificate, to add to the application"
    )
    previous_certificate_thumbprint: str | None = Field(
        default=None,
        description="certificate only, after a rotation: the certificate Cloudivize still signs in with until the "
        "new one is added. Remove it from the application once the connection verifies with the new one",
    )


class SyncSummary(BaseModel):
    """What a sync of an organization connection did, by member connection id (account ids are in each member)."""

    synced_at: datetime
    accounts: int = Field(description="Accounts of the organization Cloudivize connects (active or suspended)")
    members: int = Field(description="Member connections after the sync, those of accounts that left included")
    added: list[str] = Field(description="Member connections created for accounts new to Cloudivize")
    left: list[str] = Field(description="Members whose account left the organization (kept, marked left)")
    suspended: list[str] = Field(description="Members whose account is newly suspended")
    rejoined: list[str] = Field(description="Members whose account is active again (rejoined or reopened)")
    already_connected: list[str] = Field(
        description="Connections of yours, outside this organization connection, that already connect one of its "
        "accounts (no member is made for those)"
    )


class Connection(BaseModel):
    """Connection metadata, as answered by the API."""

    id: str
    provider: Provider
    name: str
    status: ConnectionStatus
    version: int
    created_at: datetime
    updated_at: datetime
    last_verified_at: datetime | None = None
    scope: ConnectionScope = "account"
    organization_connection_id: str | None = Field(
        default=None, description="A member connection: the organization connection it belongs to"
    )
    account_state: AccountState | None = Field(
        default=None,
        description="A member connection: its account in the organization, as the last sync saw it (left: no "
        "longer in the organization; the connection stays until you delete it)",
    )
    failed_checks: list[str] | None = Field(
        default=None, description="The checks its last verification failed (POST /connections/{id}/verify: details)"
    )
    last_synced_at: datetime | None = Field(default=None, description="An organization connection: its last sync")
    last_sync: SyncSummary | None = Field(default=None, description="An organization connection: its last sync")
    aws: AwsDescriptors | None = None
    azure: AzureDescriptors | None = None


class OrganizationMember(BaseModel):
    connection_id: str
    account_id: str
    name: str
    status: ConnectionStatus
    account_state: AccountState
    failed_checks: list[str] | None = None
    what_to_fix: str | None = Field(default=None, description="When it did not verify: what is missing")


class SyncResult(SyncSummary):
    """The answer of a sync: what it did, and every member as it stands."""

    organization_connection_id: str
    member_connections: list[OrganizationMember]


class ConnectionPage(BaseModel):
    items: list[Connection]
    next_token: str | None = Field(default=None, description="Pass as `next_token` to get the next page")


class Check(BaseModel):
    name: str
    ok: bool
    detail: str
    required: bool = Field(default=True, description="A failed required check means Cloudivize cannot use it")


class Verification(BaseModel):
    ok: bool
    checks: list[Check]
