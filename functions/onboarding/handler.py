"""GET /onboarding/aws and /onboarding/azure: what a customer needs to let Cloudivize in."""

from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.aws_access.access import tenant_external_id
from cloudivize.aws_access.onboarding import AwsOnboarding, aws_onboarding
from cloudivize.azure_onboarding import AzureOnboarding, azure_onboarding
from cloudivize.config import get_settings
from cloudivize.errors import ServiceUnavailable
from cloudivize.tenancy import current_caller

router = Router()


@router.get("/onboarding/aws", summary="Create the role Cloudivize uses in an AWS account", tags=["onboarding"])
def get_aws_onboarding() -> AwsOnboarding:
    caller = current_caller(router)
    settings = get_settings()
    if not settings.customer_access_role_arn:
        raise ServiceUnavailable("AWS onboarding is not configured on this Cloudivize deployment.")
    return aws_onboarding(
        principal_arn=settings.customer_access_role_arn,
        external_id=tenant_external_id(caller.tenant_id),
        template_url=settings.onboarding_template_url,
        region=settings.region,
    )


@router.get("/onboarding/azure", summary="Create the application Cloudivize uses in Azure", tags=["onboarding"])
def get_azure_onboarding() -> AzureOnboarding:
    current_caller(router)  # signed-in callers only, like every route
    return azure_onboarding()


lambda_handler = api_handler(router)
