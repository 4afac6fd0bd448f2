"""The organization sync's schedule: an EventBridge rule invokes the ``organization_sync`` function every N hours.

The function itself (its code, role and grants) is ``routes.FUNCTIONS``'s, built by ``functions.py``; this construct
only adds what makes it scheduled. An EventBridge rule rather than EventBridge Scheduler: a fixed rate is all the sync
needs, and a rule invokes through the function's resource policy (events.amazonaws.com, this rule's ARN) where
Scheduler would need an execution role of its own; neither offers the sync anything the other lacks.

The event is fixed (``SCHEDULE_EVENT``): it only says who invoked the function. The function reads nothing from it:
what to reconcile (every organization connection of every tenant) is in the table.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from constructs import Construct

from infrastructure import constants
from infrastructure.functions import CloudivizeFunction
from infrastructure.routes import ROUTES

SCHEDULE_EVENT = {"source": "cloudivize.schedule", "detail-type": "Organization sync"}
MIN_HOURS, MAX_HOURS = 1, 24
# EventBridge retries delivering the event to Lambda (throttling, service errors) this often within the period.
DELIVERY_ATTEMPTS = 3
# Lambda retries a run that failed this often (its default, said explicitly): a sync is a reconciliation, so running
# it again is safe, and the next period's run repairs what a failed one left.
RUN_RETRIES = 2
LAMBDA_MAX_EVENT_AGE_HOURS = 6  # the most Lambda's asynchronous queue keeps an event


def organization_sync_hours(scope: Construct) -> int:
    """The period from context ``cloudivize:organizationSyncHours``: whole hours, 1 to 24 (default 6).

    ``cdk.json`` gives a number, ``-c key=12`` a string: both are accepted, anything else stops the synth."""
    key = constants.ORGANIZATION_SYNC_HOURS_CONTEXT
    value: Any = scope.node.try_get_context(key)
    if value is None or value == "":
        return constants.DEFAULT_ORGANIZATION_SYNC_HOURS
    hours = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        hours = int(value)
    if hours is None or not MIN_HOURS <= hours <= MAX_HOURS:
        raise ValueError(
            f"context {key} must be a whole number of hours from {MIN_HOURS} to {MAX_HOURS}, got {value!r}"
        )
    return hours


class OrganizationSync(Construct):
    """Invokes the sync function every ``hours`` hours, and alarms when the schedule cannot deliver.

    A run that raises is alarmed on by ``Observability`` like every function's errors; what only this construct
    can see is the rule failing to invoke the function at all (e.g. its permission gone)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: CloudivizeFunction,
        hours: int,
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        name = function.spec.name
        if any(route.function == name for route in ROUTES):
            # API Gateway would be allowed to invoke it too: the schedule's function serves no request.
            raise ValueError(f"function {name} serves routes: the schedule invokes only a function that serves none")
        period = Duration.hours(hours)

        # An event older than the period is dropped rather than delivered: the next period's run replaces it.
        function.function.configure_async_invoke(
            retry_attempts=RUN_RETRIES,
            max_event_age=Duration.hours(min(hours, LAMBDA_MAX_EVENT_AGE_HOURS)),
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"Cloudivize: reconcile every AWS organization connection, every {hours} h",
            schedule=events.Schedule.rate(period),
            targets=[
                targets.LambdaFunction(
                    function.function,
                    event=events.RuleTargetInput.from_object(SCHEDULE_EVENT),
                    retry_attempts=DELIVERY_ATTEMPTS,
                    max_event_age=period,
                )
            ],
        )

        failed = cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="FailedInvocations",
            dimensions_map={"RuleName": self.rule.rule_name},
            period=Duration.minutes(5),
            statistic="Sum",
        )
        self.failed_invocations_alarm = cloudwatch.Alarm(
            self,
            "FailedInvocations",
            metric=failed,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"The schedule could not invoke the {name} function",
        )
        self.failed_invocations_alarm.add_alarm_action(cloudwatch_actions.SnsAction(alarm_topic))
