"""Least privilege: each function holds exactly the data permissions its FunctionSpec.access names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_

from infrastructure import constants, grants
from infrastructure.constants import ORGANIZATION_SYNC_FUNCTION
from infrastructure.customer_access import nag_flatten
from infrastructure.data import DataStore
from infrastructure.functions import CloudivizeFunctions
from infrastructure.routes import FUNCTIONS, ROUTES, Access, FunctionSpec

from .cfn import as_list, custom_resource_handler, iam_statements, references, role_statements

DATA_SERVICES = ("dynamodb:", "kms:")


def _actions(statement: dict) -> list[str]:
    return [str(action) for action in as_list(statement.get("Action", []))]


def _data_statements(synth, name: str) -> list[dict]:
    role_id = synth.logical_id(synth.stack.functions[name].role)
    statements = role_statements(synth.template, role_id)
    return [s for s in statements if any(a.startswith(DATA_SERVICES) for a in _actions(s))]


def test_every_access_has_a_grant():
    assert set(grants.GRANTS) == set(Access)


def test_an_access_without_a_grant_stops_the_synth(monkeypatch):
    # Given an access the grant table does not know (as a new Access member would be)
    monkeypatch.delitem(grants.GRANTS, Access.SEAL)
    stack = Stack(App(), "Throwaway")
    layer = lambda_.LayerVersion.from_layer_version_arn(
        stack, "Layer", "arn:aws:lambda:eu-west-1:123456789012:layer:cloudivize:1"
    )
    spec = FunctionSpec(name="me", description="test only", access=frozenset({Access.SEAL}))
    # When a function with it is built / Then it fails, naming the function and the access
    with pytest.raises(grants.MissingGrant, match="function me: no grant is defined for access seal$"):
        CloudivizeFunctions(
            stack, "Functions", repo_root=Path(__file__).parents[2], layer=layer, data=DataStore(stack, "Data"),
            specs=[spec],
        )  # fmt: skip


def test_no_iam_statement_grants_every_action_or_a_wildcard_data_action(synth):
    for logical_id, statement in iam_statements(synth.template):
        assert "NotAction" not in statement, logical_id
        for action in _actions(statement):
            assert action != "*", logical_id
            if action.startswith(DATA_SERVICES):
                assert "*" not in action, (logical_id, action)


def test_no_iam_statement_applies_data_actions_to_every_resource(synth):
    for logical_id, statement in iam_statements(synth.template):
        if any(a.startswith(DATA_SERVICES) for a in _actions(statement)):
            assert "*" not in json.dumps(statement.get("Resource")), logical_id


def test_no_role_uses_an_aws_managed_policy_except_three_cdk_service_roles(synth):
    # API Gateway's logging role, and the basic execution roles of CDK's BucketDeployment and AwsCustomResource
    # handlers.
    cloudwatch_role = synth.logical_id(synth.stack.api.rest_api.node.find_child("CloudWatchRole"))
    deployment_role = synth.logical_id(synth.stack.onboarding.deployment.handler_role)
    custom_resource_role = synth.logical_id(custom_resource_handler(synth.stack).role)
    basic_execution = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    allowed = {
        cloudwatch_role: "arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        deployment_role: basic_execution,
        custom_resource_role: basic_execution,
    }
    for logical_id, role in synth.resources("AWS::IAM::Role").items():
        managed = [nag_flatten(arn) for arn in role["Properties"].get("ManagedPolicyArns", [])]
        assert managed == ([allowed[logical_id]] if logical_id in allowed else []), logical_id


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_function_reaches_the_table_only_if_its_spec_says_so(synth, name):
    spec = FUNCTIONS[name]
    table_id = synth.logical_id(synth.stack.data.table)
    table_key_id = synth.logical_id(synth.stack.data.table_key)
    statements = _data_statements(synth, name)
    table_statements = [s for s in statements if references(s["Resource"], table_id)]
    table_key_statements = [s for s in statements if references(s["Resource"], table_key_id)]

    expected: set[str] = set()
    expected_key: set[str] = set()
    if Access.TABLE_READ in spec.access:
        expected |= {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"}
        expected_key |= {"kms:Decrypt", "kms:DescribeKey"}
    if Access.TABLE_WRITE in spec.access:
        expected |= {
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:ConditionCheckItem",
        }
        expected_key |= {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
    if Access.IDEMPOTENCY in spec.access or Access.AUDIT_WRITE in spec.access:  # tables under the table key too
        expected_key |= {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
    if Access.AUDIT_READ in spec.access:
        expected_key |= {"kms:Decrypt", "kms:DescribeKey"}

    assert {a for s in table_statements for a in _actions(s)} == expected
    assert {a for s in table_key_statements for a in _actions(s)} == expected_key
    for statement in table_key_statements:
        via = statement["Condition"]["StringEquals"]["kms:ViaService"]
        assert "dynamodb." in json.dumps(via) and ".amazonaws.com" in json.dumps(via)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_function_uses_the_field_key_only_as_its_spec_says_and_only_with_the_context(synth, name):
    spec = FUNCTIONS[name]
    field_key_id = synth.logical_id(synth.stack.data.field_key)
    statements = [s for s in _data_statements(synth, name) if references(s["Resource"], field_key_id)]

    expected: set[str] = set()
    if Access.SEAL in spec.access:
        expected.add("kms:GenerateDataKey")
    if Access.UNSEAL in spec.access:
        expected.add("kms:Decrypt")
    assert {a for s in statements for a in _actions(s)} == expected

    required = {f"kms:EncryptionContext:{key}": "false" for key in constants.ENCRYPTION_CONTEXT_KEYS}
    for statement in statements:
        assert statement["Condition"] == {"Null": required}


def test_the_field_key_is_referenced_only_by_sealing_or_unsealing_functions(synth):
    field_key_id = synth.logical_id(synth.stack.data.field_key)
    for name, spec in FUNCTIONS.items():
        role_id = synth.logical_id(synth.stack.functions[name].role)
        uses_key = any(references(s, field_key_id) for s in role_statements(synth.template, role_id))
        assert uses_key == bool({Access.SEAL, Access.UNSEAL} & spec.access), name


def test_the_table_is_referenced_only_by_functions_with_table_access(synth):
    table_id = synth.logical_id(synth.stack.data.table)
    table_key_id = synth.logical_id(synth.stack.data.table_key)
    for name, spec in FUNCTIONS.items():
        role_id = synth.logical_id(synth.stack.functions[name].role)
        statements = role_statements(synth.template, role_id)
        uses_table = any(references(s, table_id) or references(s, table_key_id) for s in statements)
        assert uses_table == bool({Access.TABLE_READ, Access.TABLE_WRITE} & spec.access), name


def test_idempotency_records_are_reachable_only_by_functions_that_retry_creates(synth):
    idempotency_id = synth.logical_id(synth.stack.data.idempotency_table)
    for name, spec in FUNCTIONS.items():
        role_id = synth.logical_id(synth.stack.functions[name].role)
        statements = [s for s in role_statements(synth.template, role_id) if references(s, idempotency_id)]
        expected = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
        assert {a for s in statements for a in _actions(s)} == (
            expected if Access.IDEMPOTENCY in spec.access else set()
        )


def test_me_may_only_read_the_table(synth):
    # Its caller's memberships, read on every request (authority is the membership, not the token).
    actions = {action for statement in _data_statements(synth, "me") for action in _actions(statement)}
    assert actions == {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem",
                       "kms:Decrypt", "kms:DescribeKey"}  # fmt: skip


def test_no_function_may_call_cognito(synth):
    for name in FUNCTIONS:
        role_id = synth.logical_id(synth.stack.functions[name].role)
        cognito = [a for s in role_statements(synth.template, role_id) for a in _actions(s) if a.startswith("cognito")]
        assert cognito == [], name


def test_functions_write_only_their_own_log_group(synth):
    for name, function in synth.stack.functions.by_name.items():
        statements = role_statements(synth.template, synth.logical_id(function.role))
        logs = [s for s in statements if any(a.startswith("logs:") for a in _actions(s))]
        assert logs == [
            {
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [synth.logical_id(function.log_group), "Arn"]},
                "Sid": "WriteOwnLogs",
            }
        ], name


def test_a_wildcard_resource_appears_only_for_x_ray_customer_roles_tokens_federation_and_the_bucket_deployments(synth):
    # Every allowed resource with a "*" anywhere in it (after joining its parts), and who may have it:
    # X-Ray's write API (no resource-level permissions) in the functions' default policies; the customer-access
    # role into customers' roles (accounts unknown at deploy time) and minting its own web identity tokens (no
    # resource type); CDK's AwsCustomResource handler enabling outbound identity federation and reading its issuer
    # (no resource type); CDK's BucketDeployment handler reading the staged asset, writing the onboarding
    # template's and the console's bucket objects, invalidating the console.
    function_default_policies = {
        synth.logical_id(function.role.node.find_child("DefaultPolicy")) for function in synth.stack.functions
    }
    customer_access_role = synth.logical_id(synth.stack.customer_access.role)
    deployment_policy = synth.logical_id(
        synth.stack.onboarding.deployment.handler_role.node.find_child("DefaultPolicy")
    )
    template_bucket = synth.logical_id(synth.stack.onboarding.bucket)
    console_bucket = synth.logical_id(synth.stack.console.bucket)
    asset_objects = "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*"
    invalidation = {"cloudfront:GetInvalidation", "cloudfront:CreateInvalidation"}
    federation = synth.stack.federation
    federation_policies = {
        synth.logical_id(resource.node.find_child("CustomResourcePolicy"))
        for resource in (federation.enable, federation.issuer_reader)
    }

    found = set()
    for logical_id, statement in iam_statements(synth.template):
        if statement["Effect"] != "Allow":
            continue
        for resource in map(nag_flatten, as_list(statement.get("Resource"))):
            if "*" not in resource:
                continue
            actions = frozenset(_actions(statement))
            if logical_id in function_default_policies:
                assert resource == "*", logical_id
                assert actions == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, logical_id
                found.add("x-ray")
            elif logical_id == customer_access_role and resource == "*":
                assert actions == {"sts:GetWebIdentityToken"}, actions
                found.add("web identity tokens")
            elif logical_id == customer_access_role:
                assert resource == "arn:<AWS::Partition>:iam::*:role/*"
                assert actions == {"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"}
                found.add("customer roles")
            elif logical_id in federation_policies:
                assert resource == "*", resource
                assert len(actions) == 1 and actions < {
                    "iam:EnableOutboundWebIdentityFederation",
                    "iam:GetOutboundWebIdentityFederationInfo",
                }, actions
                found.add("outbound federation")
            elif logical_id == deployment_policy and resource == "*":
                # The console's deployment invalidates its distribution (no resource-level permission).
                assert actions == invalidation, actions
                found.add("invalidation")
            elif logical_id == deployment_policy:
                assert resource in {asset_objects, f"<{template_bucket}.Arn>/*", f"<{console_bucket}.Arn>/*"}, resource
                assert not any(action.startswith(("dynamodb:", "kms:", "sts:", "iam:")) for action in actions)
                found.add(resource)
            else:
                raise AssertionError(f"{logical_id}: wildcard resource {resource} for {sorted(actions)}")
    assert found == {
        "x-ray",
        "customer roles",
        "web identity tokens",
        "outbound federation",
        "invalidation",
        asset_objects,
        f"<{template_bucket}.Arn>/*",
        f"<{console_bucket}.Arn>/*",
    }


def _audit_trail_actions(synth, name: str) -> list[tuple[set[str], dict | None]]:
    audit_id = synth.logical_id(synth.stack.data.audit_table)
    statements = [s for s in _data_statements(synth, name) if references(s["Resource"], audit_id)]
    return [(set(_actions(s)), s.get("Condition")) for s in statements]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_the_audit_trail_is_added_to_with_put_item_alone_and_read_with_query_alone(synth, name):
    # Append-only by construction: no function may update, delete, batch-write or get an audit event; writers may
    # not have an overwritten item returned either (ReturnValues NONE), so no writer learns an event's key.
    spec = FUNCTIONS[name]
    expected = []
    if Access.AUDIT_WRITE in spec.access:
        expected.append(({"dynamodb:PutItem"}, {"StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}}))
    if Access.AUDIT_READ in spec.access:
        expected.append(({"dynamodb:Query"}, None))
    assert _audit_trail_actions(synth, name) == expected


def test_only_the_audit_function_may_read_the_trail(synth):
    readers = {name for name in FUNCTIONS if any("dynamodb:Query" in a for a, _ in _audit_trail_actions(synth, name))}
    assert readers == {"audit"}


def test_every_function_serving_an_audited_route_may_add_to_the_trail_and_no_other(synth):
    # The schedule's sync serves no route and records every sync it runs (docs/architecture.md, "AWS organizations").
    audited = {route.function for route in ROUTES if route.audit} | {ORGANIZATION_SYNC_FUNCTION}
    writers = {name for name in FUNCTIONS if any("dynamodb:PutItem" in a for a, _ in _audit_trail_actions(synth, name))}
    assert writers == audited
    assert {"organizations", "connections", "actions"} <= writers


def test_no_function_may_change_or_remove_an_audit_event(synth):
    audit_id = synth.logical_id(synth.stack.data.audit_table)
    forbidden = {
        "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:Scan",
        "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:DeleteTable",
    }  # fmt: skip
    for logical_id, statement in iam_statements(synth.template):
        if references(statement.get("Resource"), audit_id):
            assert not forbidden & set(_actions(statement)), logical_id
