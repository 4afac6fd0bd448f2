"""Alarms and a dashboard: API 5XX and latency, function errors and throttles, to an encrypted SNS topic."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infrastructure.functions import CloudivizeFunctions

PERIOD = Duration.minutes(5)


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rest_api: apigw.RestApi,
        functions: CloudivizeFunctions,
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)

        # CloudWatch can publish to an encrypted topic only with a customer-managed key that lets it.
        self.alarm_key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Cloudivize: encryption of the alarm notification topic",
            enable_key_rotation=True,
        )
        self.alarm_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="Cloudivize alarms",
            master_key=self.alarm_key,
            enforce_ssl=True,
        )
        if alarm_email:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        notify = cloudwatch_actions.SnsAction(self.alarm_topic)

        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(construct_id: str, metric: cloudwatch.IMetric, description: str, threshold: float = 1) -> None:
            created = cloudwatch.Alarm(
                self,
                construct_id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            created.add_alarm_action(notify)
            self.alarms.append(created)

        api_5xx = rest_api.metric_server_error(period=PERIOD, statistic="Sum")
        api_4xx = rest_api.metric_client_error(period=PERIOD, statistic="Sum")
        api_count = rest_api.metric_count(period=PERIOD, statistic="Sum")
        api_latency = rest_api.metric_latency(period=PERIOD, statistic="p99")
        alarm("Api5xx", api_5xx, "The API answered 5XX (server or integration error)")

        function_errors: list[cloudwatch.IMetric] = []
        function_throttles: list[cloudwatch.IMetric] = []
        function_durations: list[cloudwatch.IMetric] = []
        for function in functions:
            name = function.spec.name
            errors = function.function.metric_errors(period=PERIOD, statistic="Sum")
            throttles = function.function.metric_throttles(period=PERIOD, statistic="Sum")
            alarm(f"{function.node.id}Errors", errors, f"The {name} function raised errors")
            alarm(f"{function.node.id}Throttles", throttles, f"The {name} function was throttled")
            function_errors.append(errors.with_(label=name))
            function_throttles.append(throttles.with_(label=name))
            function_durations.append(function.function.metric_duration(period=PERIOD, statistic="p99", label=name))

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API requests", left=[api_count], right=[api_4xx, api_5xx], width=12),
            cloudwatch.GraphWidget(title="API latency p99 (ms)", left=[api_latency], width=12),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Function errors", left=function_errors, width=8),
            cloudwatch.GraphWidget(title="Function throttles", left=function_throttles, width=8),
            cloudwatch.GraphWidget(title="Function duration p99 (ms)", left=function_durations, width=8),
        )
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))
