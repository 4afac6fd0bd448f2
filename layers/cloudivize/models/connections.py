"""API models of connections: what a customer sends, and the metadata we answer with (never a secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictBool, StrictInt

from cloudivize.models.fields import AwareTimestamp, AwsRegions, ConnectionName, Guid, RoleArn, SubscriptionIds

Provider = Literal["aws", "azure"]
PROVIDERS: tuple[str, ...] = Provider.__args__
ConnectionStatus = Literal["unverified", "verified", "failed"]

AzureSecret = Annotated[
    SecretStr, Field(min_length=1, max_length=256, description="The application's client secret (write-only)")
]


class _Strict(BaseModel):
    # Unknown fields are refused, so a request cannot smuggle an External ID or anything else in.
    model_config = ConfigDict(extra="forbid")


class AwsConnectionCreate(_Strict):
    provider: Literal["aws"]
    name: ConnectionName
    role_arn: RoleArn
    regions: AwsRegions | None = Field(default=None, description="Regions to use; default: all enabled regions")
    verify: StrictBool = Field(default=True, description="Verify the connection live before storing it")


class AzureConnectionCreate(_Strict):
    provider: Literal["azure"]
    name: ConnectionName
    # Sealed at rest, so kept out of reprs that debug logging may print.
    directory_id: Guid = Field(description="Microsoft Entra (Azure AD) directory (tenant) id", repr=False)
    application_id: Guid = Field(description="Application (client) id", repr=False)
    application_secret: AzureSecret
    subscription_ids: SubscriptionIds | None = Field(
        default=None, description="Default: every visible subscription", repr=False
    )
    secret_expires_at: AwareTimestamp | None = Field(default=None, description="When the secret expires, if known")
    verify: StrictBool = Field(default=True, description="Verify the connection live before storing it")


ConnectionCreate = Annotated[AwsConnectionCreate | AzureConnectionCreate, Field(discriminator="provider")]


class ConnectionPatch(_Strict):
    version: StrictInt | None = Field(
        default=None, ge=1, description="The version you read (or send it as If-Match); a stale one answers 412"
    )
    name: ConnectionName | None = None
    regions: AwsRegions | None = Field(default=None, description="AWS only")
    subscription_ids: SubscriptionIds | None = Field(default=None, description="Azure only")
    application_secret: AzureSecret | None = Field(default=None, description="Azure only: rotate the secret")
    secret_expires_at: AwareTimestamp | None = Field(default=None, description="Azure only")
    verify: StrictBool = Field(default=True, description="Verify a rotated secret live before storing it")


class AwsDescriptors(BaseModel):
    account_id: str
    role_arn: str
    regions: list[str] | None


class AzureDescriptors(BaseModel):
    directory_id: str
    application_id: str
    subscription_ids: list[str] | None
    secret_hint: str = Field(description="The first characters of the secret, to tell secrets apart")
    secret_expires_at: datetime | None


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
    aws: AwsDescriptors | None = None
    azure: AzureDescriptors | None = None


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
