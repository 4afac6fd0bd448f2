"""Azure federated credentials, the AWS side: only Cloudivize's principal may mint web identity tokens, and only
Cloudivize organization audiences, 300 s, RS256; the stack enables outbound identity federation for the account
(never disables it), reads its issuer, and hands it to the functions and to an output."""

from __future__ import annotations

import json
import re

import pytest

from infrastructure import constants, outbound_federation
from infrastructure.function_environment import function_environment
from infrastructure.routes import FUNCTIONS

from .cfn import as_list, custom_resource_handler, iam_statements, role_statements, statements_of

MINT = "sts:GetWebIdentityToken"
FEDERATION_ACTIONS = {"iam:EnableOutboundWebIdentityFederation", "iam:GetOutboundWebIdentityFederationInfo"}


def _actions(statement: dict) -> set[str]:
    return {str(action) for action in as_list(statement.get("Action", []))}


def _principal_id(synth) -> str:
    return synth.logical_id(synth.stack.customer_access.role)


def _resource(synth, construct) -> dict:
    return synth.template["Resources"][synth.logical_id(construct.node.find_child("Resource"))]


def _issuer(synth) -> dict:
    reader = synth.logical_id(synth.stack.federation.issuer_reader.node.find_child("Resource"))
    return {"Fn::GetAtt": [reader, "IssuerIdentifier"]}


def _sdk_call(resource: dict, phase: str) -> dict:
    return json.loads(resource["Properties"][phase])


def test_the_shared_facts_are_the_features():
    assert constants.AZURE_FEDERATION_AUDIENCE_PREFIX == "api://cloudivize/organizations/"
    assert constants.WEB_IDENTITY_TOKEN_SECONDS == 300
    assert constants.WEB_IDENTITY_SIGNING_ALGORITHM == "RS256"
    assert constants.ENV_AZURE_FEDERATION_ISSUER == "AZURE_FEDERATION_ISSUER"


# --- Minting: the principal alone, narrowly ---------------------------------------------------------------


def test_the_principal_mints_only_cloudivize_organization_tokens_of_300_seconds_signed_rs256(synth):
    statements = role_statements(synth.template, _principal_id(synth))
    [mint] = [s for s in statements if MINT in _actions(s)]
    assert mint == {
        "Sid": "CloudivizeOrganizationTokensOnly",
        "Effect": "Allow",
        "Action": MINT,  # alone: no sts:TagGetWebIdentityToken, so no caller-chosen claims
        "Resource": "*",
        "Condition": {
            # Every audience asked for (a request may ask several) is a Cloudivize organization's ...
            "ForAllValues:StringLike": {"sts:IdentityTokenAudience": "api://cloudivize/organizations/*"},
            # ... and there is one (ForAllValues alone holds for a request without the key).
            "Null": {"sts:IdentityTokenAudience": "false"},
            "NumericLessThanEquals": {"sts:DurationSeconds": 300},
            "StringEquals": {"sts:SigningAlgorithm": "RS256"},
        },
    }


def test_no_statement_of_the_stack_allows_tagging_tokens(synth):
    for logical_id, statement in iam_statements(synth.template):
        for action in _actions(statement):
            assert action.lower() != "sts:taggetwebidentitytoken", logical_id
            assert not (action.startswith("sts:") and "*" in action), (logical_id, action)


def test_no_other_role_of_the_stack_may_mint_tokens(synth):
    # Every statement naming the action (or a wildcard that would cover it) belongs to the principal's role.
    principal = _principal_id(synth)
    minting = {
        logical_id
        for logical_id, statement in iam_statements(synth.template)
        if statement["Effect"] == "Allow" and _actions(statement) & {MINT, "sts:*", "*"}
    }
    assert minting == {principal}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_roles_get_no_token_permission(synth, name):
    # They mint through the principal's session, never as themselves.
    role_id = synth.logical_id(synth.stack.functions[name].role)
    assert [s for s in role_statements(synth.template, role_id) if MINT in _actions(s)] == []


# --- Enabling the feature and reading the issuer -----------------------------------------------------------


def test_the_feature_is_enabled_on_create_tolerating_an_account_that_has_it_and_never_disabled(synth):
    enable = _resource(synth, synth.stack.federation.enable)
    assert enable["Type"] == "Custom::OutboundWebIdentityFederation"
    call = _sdk_call(enable, "Create")
    assert (call["service"], call["action"]) == ("IAM", "enableOutboundWebIdentityFederation")
    assert call["ignoreErrorCodesMatching"] == "^FeatureEnabled(Exception)?$"
    # Nothing on update (it is enabled once) and nothing on delete (other workloads of the account may use it).
    assert "Update" not in enable["Properties"]
    assert "Delete" not in enable["Properties"]
    # The Lambda runtime's SDK: nothing is downloaded from npm at deploy time.
    assert enable["Properties"]["InstallLatestAwsSdk"] is False


@pytest.mark.parametrize(
    ("error_name", "tolerated"),
    [
        ("FeatureEnabledException", True),  # SDK v3's modeled exception
        ("FeatureEnabled", True),  # IAM's error code, should the SDK not model it
        ("AccessDeniedException", False),
        ("FeatureDisabledException", False),
        ("NotFeatureEnabledException", False),
        ("FeatureEnabledExceptionX", False),
    ],
)
def test_only_an_already_enabled_feature_is_tolerated(error_name, tolerated):
    # The handler tests the pattern against the error's name (RegExp.test: a search, hence the anchors).
    assert bool(re.search(outbound_federation.ALREADY_ENABLED, error_name)) is tolerated


def test_the_issuer_is_read_on_create_and_update_after_the_feature_is_enabled(synth):
    federation = synth.stack.federation
    reader = _resource(synth, federation.issuer_reader)
    assert reader["Type"] == "Custom::OutboundWebIdentityFederationIssuer"
    for phase in ("Create", "Update"):
        call = _sdk_call(reader, phase)
        assert (call["service"], call["action"]) == ("IAM", "getOutboundWebIdentityFederationInfo")
        assert call["outputPaths"] == ["IssuerIdentifier"]
        assert "ignoreErrorCodesMatching" not in call  # a disabled feature fails the deploy, visibly
    assert "Delete" not in reader["Properties"]
    assert reader["Properties"]["InstallLatestAwsSdk"] is False
    enable_id = synth.logical_id(federation.enable.node.find_child("Resource"))
    assert enable_id in reader["DependsOn"]


def test_the_handler_role_may_call_exactly_the_two_federation_actions(synth):
    handler = custom_resource_handler(synth.stack)
    role_id = synth.logical_id(handler.role)
    statements = role_statements(synth.template, role_id)
    assert {action for statement in statements for action in _actions(statement)} == FEDERATION_ACTIONS
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == "*"  # neither action has a resource type
        assert "Condition" not in statement


def test_the_handler_runs_node_with_its_logs_kept_three_months(synth):
    handler = custom_resource_handler(synth.stack)
    properties = synth.template["Resources"][synth.logical_id(handler)]["Properties"]
    assert properties["Runtime"].startswith("nodejs")
    log_group_id = synth.logical_id(synth.stack.federation.log_group)
    assert properties["LoggingConfig"]["LogGroup"] == {"Ref": log_group_id}
    assert synth.template["Resources"][log_group_id]["Properties"]["RetentionInDays"] == 90


def test_each_federation_call_waits_for_its_policy(synth):
    # CloudFormation must not run a call before its permission exists.
    for resource in (synth.stack.federation.enable, synth.stack.federation.issuer_reader):
        policy_id = synth.logical_id(resource.node.find_child("CustomResourcePolicy"))
        assert policy_id in _resource(synth, resource)["DependsOn"]
        policy = synth.template["Resources"][policy_id]["Properties"]
        assert len(statements_of(policy["PolicyDocument"])) == 1


# --- The issuer, exposed ------------------------------------------------------------------------------------


def test_the_output_names_the_issuer(synth):
    output = synth.template["Outputs"]["AzureFederationIssuer"]
    assert output["Value"] == _issuer(synth)
    assert "federated credential" in output["Description"]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_knows_the_issuer_and_is_created_after_it(synth, name):
    # Not a secret and no permission (like the principal's ARN): onboarding shows it to customers, the functions that
    # reach Azure name it in their tokens' checks. Referring to the reader makes CloudFormation create the function
    # after it, hence after the feature is enabled.
    function = synth.template["Resources"][synth.logical_id(synth.stack.functions[name].function)]
    assert function["Properties"]["Environment"]["Variables"][constants.ENV_AZURE_FEDERATION_ISSUER] == _issuer(synth)


def test_the_function_environment_leaves_the_issuer_out_when_there_is_none():
    common = dict(
        table_name="t", field_key_arn="k", idempotency_table_name="i", customer_access_role_arn=None,
        onboarding_template_url=None,
    )  # fmt: skip
    assert constants.ENV_AZURE_FEDERATION_ISSUER not in function_environment(**common)
    issuer = "https://0123abcd.tokens.sts.global.api.aws"
    with_issuer = function_environment(**common, azure_federation_issuer=issuer)
    assert with_issuer[constants.ENV_AZURE_FEDERATION_ISSUER] == issuer
