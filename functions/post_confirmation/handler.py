"""Cognito post-confirmation trigger: give a newly confirmed user their tenant and External ID."""

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudivize.composition import backend
from cloudivize.identity import set_user_tenant
from cloudivize.observability import logger, metrics, tracer
from cloudivize.tenancy import TENANT_CLAIM
from cloudivize.tenants import ensure_tenant

CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=PostConfirmationTriggerEvent)
def lambda_handler(event: PostConfirmationTriggerEvent, context: LambdaContext) -> dict:
    # A password reset also confirms; only a sign-up (local or first federated sign-in) creates a tenant.
    if event.trigger_source != CONFIRM_SIGN_UP:
        return event.raw_event
    attributes = event.request.user_attributes
    if attributes.get(TENANT_CLAIM):
        logger.info("User already belongs to a tenant", extra={"tenant_id": attributes[TENANT_CLAIM]})
        return event.raw_event

    tenant = ensure_tenant(backend().tenants, event.user_pool_id, attributes["sub"])
    # Set (or, on a retried trigger, set again) the attribute that carries the tenant into every token.
    set_user_tenant(event.user_pool_id, event.user_name, tenant.tenant_id)
    logger.append_keys(tenant_id=tenant.tenant_id, user_id=attributes["sub"])
    logger.info("Tenant ready for confirmed user", extra={"tenant_created": tenant.created})
    return event.raw_event
