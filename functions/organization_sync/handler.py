"""The schedule's function (EventBridge): reconciles every AWS organization connection of every organization with
its AWS organization. It reads nothing of its event: when it runs is the whole message."""

from dataclasses import asdict

from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudivize.composition import backend
from cloudivize.observability import logger, metrics, tracer
from cloudivize.organization_sync import sync_every_organization


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    outcome = sync_every_organization(backend(), context.aws_request_id)
    logger.info("Scheduled syncs done", extra=asdict(outcome))
    return asdict(outcome)
