"""The organization sync runs on an EventBridge schedule, reachable by nothing else, with the grants of its spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns

from infrastructure import constants
from infrastructure.data import DataStore
from infrastructure.functions import CloudivizeFunctions
from infrastructure.organization_sync import SCHEDULE_EVENT, OrganizationSync, organization_sync_hours
from infrastructure.routes import FUNCTIONS, ROUTES
from infrastructure.stack import build_app, stack_of

from .cfn import as_list, references, role_statements, statements_of
from .conftest import SKIP_BUNDLING, Synthesized

SYNC = constants.ORGANIZATION_SYNC_FUNCTION
KEY = constants.ORGANIZATION_SYNC_HOURS_CONTEXT


@pytest.fixture(scope="module")
def synth_12h(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The second synth of this module: the period set in context, as ``-c`` gives it (a string)."""
    outdir = tmp_path_factory.mktemp("cdk.out.12h")
    app = build_app(context={**SKIP_BUNDLING, KEY: "12"}, outdir=str(outdir))
    stack = stack_of(app)
    artifact = app.synth().get_stack_by_name(stack.stack_name)
    return Synthesized(app, stack, artifact.template, Path(artifact.template_full_path), outdir)


def _rule(synth: Synthesized) -> dict:
    return synth.template["Resources"][synth.logical_id(synth.stack.organization_sync.rule)]["Properties"]


def _function_id(synth: Synthesized) -> str:
    return synth.logical_id(synth.stack.functions[SYNC].function)


def _by_sid(statements: list[dict]) -> dict[str, dict]:
    return {statement["Sid"]: statement for statement in statements if "Sid" in statement}


def test_the_schedule_runs_every_6_hours_by_default(synth):
    assert constants.DEFAULT_ORGANIZATION_SYNC_HOURS == 6
    assert synth.app.node.try_get_context(KEY) is None  # cdk.json sets no period: the default is the constant
    rule = _rule(synth)
    assert rule["ScheduleExpression"] == "rate(6 hours)"
    assert rule["State"] == "ENABLED"


def test_the_period_comes_from_context(synth_12h):
    rule = _rule(synth_12h)
    assert rule["ScheduleExpression"] == "rate(12 hours)"
    # The event lives for one period at EventBridge; Lambda's queue keeps an event 6 hours at most.
    [target] = rule["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 12 * 3600, "MaximumRetryAttempts": 3}
    [invoke_config] = synth_12h.resources("AWS::Lambda::EventInvokeConfig").values()
    assert invoke_config["Properties"]["MaximumEventAgeInSeconds"] == 6 * 3600


@pytest.mark.parametrize(
    ("value", "hours"), [(None, 6), ("", 6), (1, 1), (24, 24), ("12", 12), (" 3 ", 3)]
)  # fmt: skip
def test_a_period_is_whole_hours_from_1_to_24(value, hours):
    assert organization_sync_hours(App(context={KEY: value})) == hours


@pytest.mark.parametrize("value", [0, 25, -1, "0", "25", "6h", "rate(6 hours)", "²", 1.5, "1.5", True, [6]])
def test_any_other_period_is_refused_naming_the_context_key(value):
    with pytest.raises(ValueError, match=rf"^context {KEY} must be a whole number of hours from 1 to 24, got "):
        organization_sync_hours(App(context={KEY: value}))


def test_an_invalid_period_fails_the_synth_naming_the_context_key(tmp_path):
    with pytest.raises(ValueError, match=f"context {KEY} must be a whole number of hours from 1 to 24, got '0'"):
        build_app(context={**SKIP_BUNDLING, KEY: "0"}, outdir=str(tmp_path))


def test_the_rule_invokes_the_sync_function_with_the_fixed_event_and_a_bounded_retry_policy(synth):
    [target] = _rule(synth)["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [_function_id(synth), "Arn"]}
    assert json.loads(target["Input"]) == {"source": "cloudivize.schedule", "detail-type": "Organization sync"}
    assert json.loads(target["Input"]) == SCHEDULE_EVENT
    # A few delivery attempts, and never an event older than the period: the next run replaces it.
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 6 * 3600, "MaximumRetryAttempts": 3}
    assert set(target) == {"Arn", "Id", "Input", "RetryPolicy"}  # no role: the function's resource policy allows it


def test_a_failed_run_is_retried_twice_within_the_period(synth):
    [invoke_config] = synth.resources("AWS::Lambda::EventInvokeConfig").values()
    assert invoke_config["Properties"] == {
        "FunctionName": {"Ref": _function_id(synth)},
        "MaximumEventAgeInSeconds": 6 * 3600,
        "MaximumRetryAttempts": 2,
        "Qualifier": "$LATEST",
    }


def test_the_only_invoke_permission_is_eventbridge_from_this_rule(synth):
    function_id = _function_id(synth)
    permissions = [
        resource["Properties"]
        for resource in synth.resources("AWS::Lambda::Permission").values()
        if references(resource["Properties"]["FunctionName"], function_id)
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [synth.logical_id(synth.stack.organization_sync.rule), "Arn"]},
        }
    ]


def test_api_gateway_cannot_reach_the_sync_function(synth):
    assert [route for route in ROUTES if route.function == SYNC] == []
    function_id = _function_id(synth)
    methods = synth.resources("AWS::ApiGateway::Method").values()
    assert [m for m in methods if references(m["Properties"].get("Integration", {}), function_id)] == []
    # It is given no route policy: it answers no request.
    variables = synth.template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    assert constants.ENV_ROUTE_POLICY not in variables


def test_the_schedule_refuses_a_function_that_serves_routes():
    stack = Stack(App(), "Throwaway")
    layer = lambda_.LayerVersion.from_layer_version_arn(
        stack, "Layer", "arn:aws:lambda:eu-west-1:123456789012:layer:cloudivize:1"
    )
    functions = CloudivizeFunctions(
        stack, "Functions", repo_root=Path(__file__).parents[2], layer=layer, data=DataStore(stack, "Data"),
        specs=[FUNCTIONS["me"]],
    )  # fmt: skip
    with pytest.raises(ValueError, match="^function me serves routes: the schedule invokes only a function that"):
        OrganizationSync(stack, "Sync", function=functions["me"], hours=6, alarm_topic=sns.Topic(stack, "Topic"))


def test_the_function_runs_as_long_as_its_spec_allows(synth):
    properties = synth.template["Resources"][_function_id(synth)]["Properties"]
    assert FUNCTIONS[SYNC].timeout_seconds == 300
    assert properties["Timeout"] == 300


def test_the_function_records_to_the_audit_trail(synth):
    variables = synth.template["Resources"][_function_id(synth)]["Properties"]["Environment"]["Variables"]
    assert variables[constants.ENV_AUDIT_TABLE_NAME] == {"Ref": synth.logical_id(synth.stack.data.audit_table)}
    assert variables[constants.ENV_AUDIT_RETENTION_DAYS] == str(constants.DEFAULT_AUDIT_RETENTION_DAYS)
    statements = _by_sid(role_statements(synth.template, synth.logical_id(synth.stack.functions[SYNC].role)))
    assert statements["AddAuditEvents"]["Action"] == "dynamodb:PutItem"
    assert statements["AddAuditEvents"]["Resource"] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.data.audit_table), "Arn"]
    }


def test_the_function_reaches_customers_and_seals_like_the_connections_function(synth):
    sync_role = synth.logical_id(synth.stack.functions[SYNC].role)
    sync = _by_sid(role_statements(synth.template, sync_role))
    connections = _by_sid(role_statements(synth.template, synth.logical_id(synth.stack.functions["connections"].role)))

    # Into customers' roles only through Cloudivize's principal ...
    assert sync["AssumeCustomerAccessRole"] == {
        "Sid": "AssumeCustomerAccessRole",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": {"Fn::GetAtt": [synth.logical_id(synth.stack.customer_access.role), "Arn"]},
    }
    # ... which trusts this function's role in return.
    trust = synth.template["Resources"][synth.logical_id(synth.stack.customer_access.role)]["Properties"]
    [statement] = statements_of(trust["AssumeRolePolicyDocument"])
    assert {"Fn::GetAtt": [sync_role, "Arn"]} in as_list(statement["Principal"]["AWS"])

    # The field key: data keys to seal, decrypt to unseal, each only with the whole encryption context.
    field_key = {"Fn::GetAtt": [synth.logical_id(synth.stack.data.field_key), "Arn"]}
    context = {"Null": {f"kms:EncryptionContext:{key}": "false" for key in constants.ENCRYPTION_CONTEXT_KEYS}}
    assert context == {
        "Null": {
            "kms:EncryptionContext:tenant_id": "false",
            "kms:EncryptionContext:record": "false",
            "kms:EncryptionContext:purpose": "false",
        }
    }
    for sid, action in (("SealFields", "kms:GenerateDataKey"), ("UnsealFields", "kms:Decrypt")):
        expected = {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": field_key, "Condition": context}
        assert sync[sid] == expected
        assert sync[sid] == connections[sid]
    # The connections function's idempotency records are not the schedule's (it retries no create).
    assert "IdempotencyRecords" in connections and "IdempotencyRecords" not in sync


def test_its_errors_and_failed_deliveries_alarm_on_the_alarm_topic(synth):
    alarms = synth.resources("AWS::CloudWatch::Alarm")
    topic = {"Ref": synth.logical_id(synth.stack.node.find_child("Observability").alarm_topic)}
    function_id = _function_id(synth)

    errors = [
        alarm["Properties"]
        for alarm in alarms.values()
        if alarm["Properties"]["MetricName"] == "Errors"
        and alarm["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    ]
    assert [(e["Statistic"], e["Threshold"], e["AlarmActions"]) for e in errors] == [("Sum", 1, [topic])]

    failed = alarms[synth.logical_id(synth.stack.organization_sync.failed_invocations_alarm)]["Properties"]
    assert failed["Namespace"] == "AWS/Events"
    assert failed["MetricName"] == "FailedInvocations"
    assert failed["Dimensions"] == [
        {"Name": "RuleName", "Value": {"Ref": synth.logical_id(synth.stack.organization_sync.rule)}}
    ]
    assert (failed["Statistic"], failed["Threshold"], failed["ComparisonOperator"]) == (
        "Sum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert failed["AlarmActions"] == [topic]
