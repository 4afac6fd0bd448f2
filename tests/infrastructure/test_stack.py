"""Stack outputs, configuration from context, and alarms."""

from __future__ import annotations

import pytest

from infrastructure import constants
from infrastructure.stack import (
    CTX_CALLBACK_URLS,
    CTX_DOMAIN_PREFIX,
    StackConfig,
    build_app,
    stack_of,
)


def test_outputs_name_what_a_frontend_and_an_operator_need(synth):
    outputs = synth.template["Outputs"]
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId", "TableName", "FieldKeyArn"} <= set(outputs)
    assert outputs["TableName"]["Value"] == {"Ref": synth.logical_id(synth.stack.data.table)}
    assert outputs["FieldKeyArn"]["Value"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.data.field_key), "Arn"]}


def test_alarms_cover_api_5xx_and_every_function_and_notify_an_encrypted_topic(synth):
    [(topic_id, topic)] = synth.resources("AWS::SNS::Topic").items()
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = synth.resources("AWS::CloudWatch::Alarm").values()
    metrics = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    assert ("AWS/ApiGateway", "5XXError") in metrics
    assert {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles")} <= metrics
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    lambda_alarms = [a for a in alarms if a["Properties"]["Namespace"] == "AWS/Lambda"]
    assert len(lambda_alarms) == 2 * len(synth.stack.functions.by_name)


def test_settings_come_from_context_with_defaults():
    app = build_app(
        context={
            "aws:cdk:bundling-stacks": [],
            CTX_CALLBACK_URLS: "https://app.example.com/callback, https://admin.example.com/callback",
            CTX_DOMAIN_PREFIX: "cloudivize-test",
        }
    )
    settings = StackConfig.from_context(app)
    assert list(settings.auth.callback_urls) == [
        "https://app.example.com/callback",
        "https://admin.example.com/callback",
    ]
    assert settings.auth.domain_prefix == "cloudivize-test"
    assert settings.auth.amazon_secret_name == "cloudivize/login-with-amazon"
    assert list(settings.auth.logout_urls) == ["http://localhost:5173/"]


@pytest.mark.parametrize("value", ["0", "-5"])
def test_invalid_numbers_in_context_are_not_silently_accepted(value):
    with pytest.raises(ValueError):
        build_app(context={"aws:cdk:bundling-stacks": [], "cloudivize:throttleRateLimit": value})


# Which Azure cloud (the federation issuer is the account's, not the cloud's: test_outbound_federation.py).
AZURE_CLOUD_VARIABLES = (constants.ENV_AZURE_AUTHORITY_HOST, constants.ENV_AZURE_RESOURCE_MANAGER_URL)


def _azure_variables(template: dict) -> list[dict]:
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    # CDK's own handlers have no Environment, or not ours.
    variables = [f["Properties"].get("Environment", {}).get("Variables", {}) for f in functions]
    cloudivize = [v for v in variables if "POWERTOOLS_SERVICE_NAME" in v]
    assert cloudivize
    return [{k: v for k, v in each.items() if k in AZURE_CLOUD_VARIABLES} for each in cloudivize]


def test_functions_call_the_azure_public_cloud_unless_a_sovereign_cloud_is_configured(synth, tmp_path):
    government = {
        "AZURE_AUTHORITY_HOST": "https://login.microsoftonline.us",
        "AZURE_RESOURCE_MANAGER_URL": "https://management.usgovcloudapi.net",
    }
    app = build_app(
        context={
            "aws:cdk:bundling-stacks": [],
            "cloudivize:azureAuthorityHost": government["AZURE_AUTHORITY_HOST"],
            "cloudivize:azureResourceManagerUrl": government["AZURE_RESOURCE_MANAGER_URL"],
        },
        outdir=str(tmp_path),
    )
    sovereign = app.synth().get_stack_by_name(stack_of(app).stack_name).template

    assert all(variables == {} for variables in _azure_variables(synth.template))
    assert all(variables == government for variables in _azure_variables(sovereign))
