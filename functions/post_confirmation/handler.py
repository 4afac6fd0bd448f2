"""Cognito post-confirmation trigger: give a newly confirmed user their own organization, as its owner.

The membership is the authority (``cloudivize.tenancy``), so nothing is written back to the user: their first
token, minted in the same flow (a first sign-in with Amazon included), is all their first request needs.
"""

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudivize.composition import backend
from cloudivize.observability import logger, metrics, tracer
from cloudivize.organizations import ensure_personal_organization

CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=PostConfirmationTriggerEvent)
def lambda_handler(event: PostConfirmationTriggerEvent, context: LambdaContext) -> dict:
    # A password reset also confirms; only a sign-up (local or first federated sign-in) makes an organization.
    if event.trigger_source != CONFIRM_SIGN_UP:
        return event.raw_event
    attributes = event.request.user_attributes
    service = backend()
    tenant_id, created = ensure_personal_organization(
        service.tenants,
        service.memberships,
        user_pool_id=event.user_pool_id,
        user_id=attributes["sub"],
        email=attributes.get("email"),
    )
    logger.append_keys(tenant_id=tenant_id, user_id=attributes["sub"])
    logger.info("Organization ready for confirmed user", extra={"organization_created": created})
    return event.raw_event
