"""Every FunctionSpec becomes one Lambda function with the same runtime, layer, tracing and logging."""

from __future__ import annotations

import pytest

from infrastructure import constants
from infrastructure.routes import FUNCTIONS

from .cfn import bucket_deployment_handler, custom_resource_handler


def test_every_function_spec_has_exactly_one_function(synth):
    assert set(synth.stack.functions.by_name) == set(FUNCTIONS)
    ours = {synth.logical_id(function.function) for function in synth.stack.functions}
    # ... and the only others are CDK's handlers: of its BucketDeployment (the onboarding template) and of its
    # AwsCustomResource (outbound identity federation).
    cdk_handlers = {
        synth.logical_id(handler(synth.stack)) for handler in (bucket_deployment_handler, custom_resource_handler)
    }
    assert set(synth.resources("AWS::Lambda::Function")) == ours | cdk_handlers
    assert len(ours) == len(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_runtime_architecture_layer_and_tracing(synth, name):
    spec = FUNCTIONS[name]
    function = synth.template["Resources"][synth.logical_id(synth.stack.functions[name].function)]["Properties"]
    assert function["Runtime"] == "python3.12"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == spec.handler
    assert function["MemorySize"] == spec.memory_mb
    assert function["Timeout"] == spec.timeout_seconds
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["Layers"] == [{"Ref": synth.logical_id(synth.stack.node.find_child("SharedLayer").layer)}]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_logs_json_to_its_own_log_group_with_retention(synth, name):
    function = synth.stack.functions[name]
    properties = synth.template["Resources"][synth.logical_id(function.function)]["Properties"]
    log_group_id = synth.logical_id(function.log_group)
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    assert properties["LoggingConfig"]["LogGroup"] == {"Ref": log_group_id}
    assert synth.template["Resources"][log_group_id]["Properties"]["RetentionInDays"] > 0


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_environment(synth, name):
    properties = synth.template["Resources"][synth.logical_id(synth.stack.functions[name].function)]["Properties"]
    variables = properties["Environment"]["Variables"]
    assert variables[constants.ENV_TABLE_NAME] == {"Ref": synth.logical_id(synth.stack.data.table)}
    assert variables[constants.ENV_FIELD_KEY_ARN] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.data.field_key), "Arn"]
    }
    assert variables["POWERTOOLS_SERVICE_NAME"] == constants.SERVICE_NAME
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == constants.METRICS_NAMESPACE
    assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_layer_is_python_312_on_arm64(synth):
    layer = synth.resources("AWS::Lambda::LayerVersion")[
        synth.logical_id(synth.stack.node.find_child("SharedLayer").layer)
    ]
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
