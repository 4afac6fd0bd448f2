"""Configuration of the functions, read once from the environment by the composition root (lazily: importing
needs no environment). Logic receives these objects; it never reads the environment itself."""

from __future__ import annotations

import os
from functools import cache
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

PUBLIC_AUTHORITY_HOST = "https://login.microsoftonline.com"
PUBLIC_RESOURCE_MANAGER_URL = "https://management.azure.com"


class FunctionConfig(BaseModel):
    """Where a function's resources are: what the CDK stack (or the local stack) puts in its environment."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(validation_alias="TABLE_NAME")
    field_key_arn: str = Field(validation_alias="FIELD_KEY_ARN")
    idempotency_table_name: str | None = Field(default=None, validation_alias="IDEMPOTENCY_TABLE_NAME")
    # The one principal customers trust (docs/architecture.md, "Security model"); functions assume it, then
    # the customer's role.
    customer_access_role_arn: str | None = Field(default=None, validation_alias="CUSTOMER_ACCESS_ROLE_ARN")
    onboarding_template_url: str | None = Field(default=None, validation_alias="ONBOARDING_TEMPLATE_URL")
    # The management-account template of an AWS organization, published beside the customer-role one.
    onboarding_organization_template_url: str | None = Field(
        default=None, validation_alias="ONBOARDING_ORGANIZATION_TEMPLATE_URL"
    )
    # The issuer of the principal's web identity tokens (AWS IAM outbound identity federation of Cloudivize's
    # account): what a customer's federated credential names. Unset: federated Azure credentials are unavailable.
    azure_federation_issuer: str | None = Field(default=None, validation_alias="AZURE_FEDERATION_ISSUER")
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    # The audit trail (cloudivize.audit): unset for a function that serves no route (the sign-up trigger).
    audit_table_name: str | None = Field(default=None, validation_alias="AUDIT_TABLE_NAME")
    audit_retention_days: int = Field(default=400, ge=1, validation_alias="AUDIT_RETENTION_DAYS")


@cache
def function_config() -> FunctionConfig:
    return FunctionConfig.model_validate(dict(os.environ))


class CorsSettings(BaseModel):
    """Which browser origins may read the functions' responses (the stack's CORS policy, see
    ``infrastructure.resources.CorsPolicy``). No origins: no CORS headers."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    allowed_origins: tuple[str, ...] = Field(default=(), validation_alias="CORS_ALLOWED_ORIGINS")
    allow_headers: tuple[str, ...] = Field(default=(), validation_alias="CORS_ALLOW_HEADERS")
    expose_headers: tuple[str, ...] = Field(default=(), validation_alias="CORS_EXPOSE_HEADERS")
    max_age_seconds: int | None = Field(default=None, validation_alias="CORS_MAX_AGE")

    @field_validator("allowed_origins", "allow_headers", "expose_headers", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value


def cors_settings() -> CorsSettings:
    """Read when a resolver is built (once per container, at import), so not cached here."""
    return CorsSettings.model_validate(dict(os.environ))


class InvitationSettings(BaseModel):
    """How invitations are delivered: emailed from ``sender`` (an SES identity, context
    ``cloudivize:invitationSender``), or, with none (the local stack, a deployment without one), logged."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sender: str | None = Field(default=None, validation_alias="INVITATION_SENDER")


def invitation_settings() -> InvitationSettings:
    """Read per use (a few dictionary look-ups), so not cached."""
    return InvitationSettings.model_validate(dict(os.environ))


class AzureCloud(BaseModel):
    """Where Azure is: the public cloud unless told otherwise (sovereign clouds, or a test's fake).

    ``AZURE_AUTHORITY_HOST`` is azure-identity's own variable (e.g. https://login.microsoftonline.us for Azure
    Government, https://login.chinacloudapi.cn for Azure China); ``AZURE_RESOURCE_MANAGER_URL`` is the ARM
    endpoint of the same cloud (https://management.usgovcloudapi.net, https://management.chinacloudapi.cn).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    authority_host: str = Field(default=PUBLIC_AUTHORITY_HOST, validation_alias="AZURE_AUTHORITY_HOST")
    resource_manager_url: str = Field(
        default=PUBLIC_RESOURCE_MANAGER_URL, validation_alias="AZURE_RESOURCE_MANAGER_URL"
    )

    @field_validator("authority_host", "resource_manager_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        # azure-identity's rule: a bare host means https; anything but https is refused (tokens travel there).
        value = value.strip().rstrip("/")
        if "://" not in value:
            value = f"https://{value}"
        if urlsplit(value).scheme != "https" or not urlsplit(value).hostname:
            raise ValueError(f"{value!r} is not an https URL")
        return value

    @property
    def credential_scope(self) -> str:
        """The scope of ARM tokens: the audience is the Resource Manager endpoint of the same cloud."""
        return f"{self.resource_manager_url}/.default"

    @property
    def authority_hostname(self) -> str:
        return urlsplit(self.authority_host).netloc


@cache
def azure_cloud() -> AzureCloud:
    return AzureCloud.model_validate(dict(os.environ))
