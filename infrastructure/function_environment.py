"""The environment every Cloudivize function runs with, in one place for the CDK stack and the local stack.

CDK passes tokens (the table's name, the keys' ARNs) as values; the local runtime passes the emulator's values and
adds what the Lambda runtime itself provides. No CDK import: the local stack must not load it.
"""

from __future__ import annotations

from dataclasses import dataclass

from infrastructure import constants
from infrastructure.resources import NO_CORS, CorsPolicy


@dataclass(frozen=True)
class AzureCloud:
    """Which Azure cloud the functions call. Unset fields: the public cloud (the Azure SDKs' defaults)."""

    authority_host: str | None = None  # e.g. https://login.microsoftonline.us (Azure Government)
    resource_manager_url: str | None = None  # e.g. https://management.usgovcloudapi.net


PUBLIC_AZURE = AzureCloud()


def function_environment(
    *,
    table_name: str,
    field_key_arn: str,
    idempotency_table_name: str,
    customer_access_role_arn: str | None,
    onboarding_template_url: str | None,
    onboarding_organization_template_url: str | None = None,
    azure: AzureCloud = PUBLIC_AZURE,
    cors: CorsPolicy = NO_CORS,
    route_policy: str | None = None,
    audit_table_name: str | None = None,
    audit_retention_days: int = constants.DEFAULT_AUDIT_RETENTION_DAYS,
    invitation_sender: str | None = None,
    azure_federation_issuer: str | None = None,
) -> dict[str, str]:
    """The variables ``cloudivize.config`` and Powertools read. A value given as None is left out."""
    optional = {
        # Cloudivize's principal and the onboarding templates: no secret (customers are given both) and no
        # permission (onboarding shows them without being able to assume the role).
        constants.ENV_CUSTOMER_ACCESS_ROLE_ARN: customer_access_role_arn,
        constants.ENV_ONBOARDING_TEMPLATE_URL: onboarding_template_url,
        constants.ENV_ONBOARDING_ORGANIZATION_TEMPLATE_URL: onboarding_organization_template_url,
        constants.ENV_AZURE_AUTHORITY_HOST: azure.authority_host,
        constants.ENV_AZURE_RESOURCE_MANAGER_URL: azure.resource_manager_url,
        # The account's outbound identity federation issuer (the ``iss`` of the principal's tokens): like the
        # principal's ARN, no secret and no permission; onboarding shows it, the functions reaching Azure use it.
        constants.ENV_AZURE_FEDERATION_ISSUER: azure_federation_issuer,
        # The function's routes (routes.route_policy); a trigger has none.
        constants.ENV_ROUTE_POLICY: route_policy,
        # Where the audit trail goes (every function that serves a route may add to it) and for how long.
        constants.ENV_AUDIT_TABLE_NAME: audit_table_name,
        constants.ENV_AUDIT_RETENTION_DAYS: str(audit_retention_days) if audit_table_name is not None else None,
        # Only the function that sends invitations, and only when the stack has a sender identity.
        constants.ENV_INVITATION_SENDER: invitation_sender,
    }
    return {
        constants.ENV_TABLE_NAME: table_name,
        constants.ENV_FIELD_KEY_ARN: field_key_arn,
        constants.ENV_IDEMPOTENCY_TABLE_NAME: idempotency_table_name,
        "POWERTOOLS_SERVICE_NAME": constants.SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        **{name: value for name, value in optional.items() if value is not None},
        **cors_environment(cors),
    }


def cors_environment(cors: CorsPolicy) -> dict[str, str]:
    """The policy as the functions read it (Powertools' CORSConfig): nothing when no origin is allowed."""
    if not cors.enabled:
        return {}
    return {
        constants.ENV_CORS_ALLOWED_ORIGINS: ",".join(cors.allowed_origins),
        constants.ENV_CORS_ALLOW_HEADERS: ",".join(cors.allow_headers),
        constants.ENV_CORS_EXPOSE_HEADERS: ",".join(cors.expose_headers),
        constants.ENV_CORS_MAX_AGE: str(cors.max_age_seconds),
    }
