"""GET /onboarding/aws, /onboarding/aws-organization and /onboarding/azure: what a customer needs to let Cloudivize
in."""

from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.aws_access.onboarding import AwsOnboarding, aws_onboarding
from cloudivize.aws_access.organization_onboarding import AwsOrganizationOnboarding, aws_organization_onboarding
from cloudivize.azure_onboarding import AzureOnboarding, azure_onboarding
from cloudivize.composition import backend
from cloudivize.errors import Forbidden, ServiceUnavailable
from cloudivize.openapi import ok, problems
from cloudivize.principal import organization_audience
from cloudivize.tenancy import current_caller

router = Router()


@router.get(
    "/onboarding/aws",
    summary="Create the role Cloudivize uses in an AWS account",
    tags=["onboarding"],
    responses={**ok("What to create in the account, with your organisation's External ID"), **problems(403, 503)},
)
def get_aws_onboarding() -> AwsOnboarding:
    caller = current_caller(router)
    config = backend().config
    return aws_onboarding(
        principal_arn=_principal_arn(),
        external_id=_external_id(caller.tenant_id),
        template_url=config.onboarding_template_url,
        region=config.region,
    )


@router.get(
    "/onboarding/aws-organization",
    summary="Connect every account of an AWS organization at once",
    tags=["onboarding"],
    responses={
        **ok("What to deploy in the management account, with your organisation's External ID"),
        **problems(403, 503),
    },
)
def get_aws_organization_onboarding() -> AwsOrganizationOnboarding:
    caller = current_caller(router)
    config = backend().config
    return aws_organization_onboarding(
        principal_arn=_principal_arn(),
        external_id=_external_id(caller.tenant_id),
        organization_template_url=config.onboarding_organization_template_url,
        customer_role_template_url=config.onboarding_template_url,
        region=config.region,
    )


@router.get(
    "/onboarding/azure",
    summary="Create the application Cloudivize uses in Azure",
    tags=["onboarding"],
    responses={
        **ok("What to create in Microsoft Entra ID and Azure, with your organisation's federated credential"),
        **problems(403),
    },
)
def get_azure_onboarding() -> AzureOnboarding:
    caller = current_caller(router)
    service = backend()
    config = service.config
    return azure_onboarding(
        issuer=config.azure_federation_issuer,
        subject=config.customer_access_role_arn,
        audience=organization_audience(_external_id(caller.tenant_id)),
    )


def _principal_arn() -> str:
    principal_arn = backend().config.customer_access_role_arn
    if not principal_arn:
        raise ServiceUnavailable("AWS onboarding is not configured on this Cloudivize deployment.")
    return principal_arn


def _external_id(tenant_id: str) -> str:
    external_id = backend().tenants.external_id(tenant_id)
    if external_id is None:
        raise Forbidden("Your organisation is still being set up. Sign in again in a moment.")
    return external_id


lambda_handler = api_handler(router)
