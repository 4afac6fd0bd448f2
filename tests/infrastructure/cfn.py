"""Small readers of a synthesized CloudFormation template (plain dicts)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_of(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(policy_document.get("Statement", []))


def iam_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every IAM policy: AWS::IAM::Policy, managed policies and roles' inline policies."""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in statements_of(properties["PolicyDocument"]):
                yield logical_id, statement
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                for statement in statements_of(policy["PolicyDocument"]):
                    yield logical_id, statement


def role_statements(template: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    """Statements of every policy attached to one role (inline or AWS::IAM::Policy)."""
    found: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_logical_id} in properties.get("Roles", []):
            found += statements_of(properties["PolicyDocument"])
    role = template["Resources"][role_logical_id]["Properties"]
    for policy in role.get("Policies", []):
        found += statements_of(policy["PolicyDocument"])
    return found


def references(value: Any, logical_id: str) -> bool:
    """Whether a template fragment refers to a resource (Ref or Fn::GetAtt)."""
    text = json.dumps(value)
    return json.dumps({"Ref": logical_id}) in text or f'"Fn::GetAtt": ["{logical_id}"' in text


def custom_resource_handler(stack: Any) -> Any:
    """The singleton Lambda CDK adds (at stack level) for every AwsCustomResource of the stack."""
    from infrastructure.outbound_federation import singleton_handler

    return singleton_handler(stack)


def bucket_deployment_handler(stack: Any) -> Any:
    """The singleton Lambda CDK adds (at stack level) for every BucketDeployment of the stack."""
    [handler] = [child for child in stack.node.children if child.node.id.startswith("Custom::CDKBucketDeployment")]
    return handler
