"""The AWS organization's management-account template (docs/architecture.md, "AWS organizations"): what it deploys
where, that it reuses the customer-role template's exact role, that no named IAM resource can be created twice in
one account, and that its root lookup answers CloudFormation whatever happens. Also its publication by the stack."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import lint
from cfnlint.decode import cfn_yaml
from moto import mock_aws

from cloudivize.aws_access.onboarding import trust_policy
from infrastructure import constants
from tests.utils import discovery_policy, keys_in

REPO_ROOT = Path(__file__).resolve().parents[2]
ORGANIZATION_FILE = REPO_ROOT / constants.ORGANIZATION_TEMPLATE
CUSTOMER_ROLE_FILE = REPO_ROOT / constants.CUSTOMER_ROLE_TEMPLATE
REGIONS = ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"]
# The customer-role template's parameters, which the StackSet passes on.
MEMBER_PARAMETERS = ["CloudivizePrincipalArn", "ExternalId", "RoleName", "AllowOperations"]
# What makes an IAM resource named (a second one of that name in the account fails).
IAM_NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}
ROOT_RESOLVER = ("OrganizationRootLogs", "OrganizationRootFunctionRole", "OrganizationRootFunction", "OrganizationRoot")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(json.dumps(cfn_yaml.loads(path.read_text())))  # plain dicts and lists


@pytest.fixture(scope="module")
def organization() -> dict[str, Any]:
    return _load(ORGANIZATION_FILE)


@pytest.fixture(scope="module")
def customer_role() -> dict[str, Any]:
    return _load(CUSTOMER_ROLE_FILE)


def _stack_set(organization: dict[str, Any]) -> dict[str, Any]:
    [stack_set] = [r for r in organization["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"]
    return stack_set["Properties"]


# --- What the template is -----------------------------------------------------------------------------------


def test_the_organization_template_passes_cfn_lint():
    matches = lint(ORGANIZATION_FILE.read_text(), regions=REGIONS)

    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


@pytest.mark.parametrize("path", [ORGANIZATION_FILE, CUSTOMER_ROLE_FILE], ids=["organization", "customer-role"])
def test_no_nested_stack_macro_or_transform_in_either_template(path):
    template = _load(path)

    assert "Transform" not in template
    assert "Fn::Transform" not in set(keys_in(template))
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert "AWS::CloudFormation::Stack" not in types
    assert "AWS::CloudFormation::Macro" not in types
    assert not any(t.startswith("AWS::Serverless::") for t in types)


def test_the_parameters_and_their_defaults(organization, customer_role):
    parameters = organization["Parameters"]

    assert list(parameters) == [
        "CloudivizePrincipalArn",
        "ExternalId",
        "CustomerRoleTemplateUrl",
        "RoleName",
        "AllowOperations",
        "DiscoveryRoleName",
        "TargetOrganizationalUnitIds",
        "IncludeManagementAccount",
        "CallAs",
    ]
    for shared in MEMBER_PARAMETERS:  # the same patterns, NoEcho and defaults as the customer-role template
        mine, theirs = (
            {k: v for k, v in parameter_set[shared].items() if k != "Description"}
            for parameter_set in (parameters, customer_role["Parameters"])
        )
        assert mine == theirs, shared
    assert parameters["ExternalId"]["NoEcho"] is True
    assert parameters["RoleName"]["Default"] == "CloudivizeAccess"
    assert parameters["DiscoveryRoleName"]["Default"] == "CloudivizeOrganizationDiscovery"
    assert parameters["TargetOrganizationalUnitIds"]["Type"] == "CommaDelimitedList"
    assert parameters["TargetOrganizationalUnitIds"]["Default"] == ""
    assert (
        parameters["IncludeManagementAccount"]["Default"],
        parameters["IncludeManagementAccount"]["AllowedValues"],
    ) == (
        "false",
        ["false", "true"],
    )
    assert (parameters["CallAs"]["Default"], parameters["CallAs"]["AllowedValues"]) == (
        "SELF",
        ["SELF", "DELEGATED_ADMIN"],
    )
    assert parameters["CustomerRoleTemplateUrl"]["AllowedPattern"].startswith("^https://")


# --- The discovery role ---------------------------------------------------------------------------------------


def test_the_discovery_role_trusts_only_the_principal_with_the_external_id(organization):
    role = organization["Resources"]["CloudivizeDiscoveryRole"]

    assert role["Type"] == "AWS::IAM::Role"
    assert "Condition" not in role
    assert role["Properties"]["RoleName"] == {"Ref": "DiscoveryRoleName"}
    # The very trust policy GET /onboarding/aws shows (aws_access.onboarding.trust_policy), on the parameters.
    assert role["Properties"]["AssumeRolePolicyDocument"] == trust_policy(
        {"Ref": "CloudivizePrincipalArn"}, {"Ref": "ExternalId"}
    )
    assert "ManagedPolicyArns" not in role["Properties"]


def test_the_discovery_role_may_only_read_the_organization_and_its_own_role(organization):
    [policy] = organization["Resources"]["CloudivizeDiscoveryRole"]["Properties"]["Policies"]

    assert policy == {
        "PolicyName": "CloudivizeDiscovery",
        "PolicyDocument": discovery_policy(
            {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${DiscoveryRoleName}"}
        ),
    }
    # No other policy of the template is attached to it.
    attached = [
        logical_id
        for logical_id, resource in organization["Resources"].items()
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy")
        and any(reference in json.dumps(resource) for reference in ('"CloudivizeDiscoveryRole"', '"DiscoveryRoleName"'))
    ]
    assert attached == []


# --- The StackSet -----------------------------------------------------------------------------------------------


def test_the_stack_set_is_service_managed_with_auto_deployment_in_exactly_one_region(organization):
    stack_set = _stack_set(organization)

    assert "CloudivizeMemberRoles" in organization["Resources"]
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert stack_set["ManagedExecution"] == {"Active": True}
    assert stack_set["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert stack_set["CallAs"] == {"Ref": "CallAs"}
    assert stack_set["TemplateURL"] == {"Ref": "CustomerRoleTemplateUrl"}
    assert "TemplateBody" not in stack_set
    [group] = stack_set["StackInstancesGroup"]
    # IAM is global: one region, or the member role would be created twice in each account.
    assert group["Regions"] == [{"Ref": "AWS::Region"}]
    # Organizational units only (auto-deployment follows them); the root unless others are given.
    assert group["DeploymentTargets"] == {
        "OrganizationalUnitIds": {
            "Fn::If": [
                "ResolveRoot",
                [{"Fn::GetAtt": ["OrganizationRoot", "RootId"]}],
                {"Ref": "TargetOrganizationalUnitIds"},
            ]
        }
    }
    preferences = stack_set["OperationPreferences"]
    assert preferences["RegionConcurrencyType"] == "PARALLEL"
    assert 0 < preferences["FailureTolerancePercentage"] < preferences["MaxConcurrentPercentage"] <= 100


def test_the_stack_set_passes_the_four_customer_role_parameters(organization, customer_role):
    parameters = _stack_set(organization)["Parameters"]

    assert list(customer_role["Parameters"]) == MEMBER_PARAMETERS  # what the member template expects, all of it
    assert parameters == [{"ParameterKey": name, "ParameterValue": {"Ref": name}} for name in MEMBER_PARAMETERS]


# --- The management account, only when asked --------------------------------------------------------------------


def test_the_management_account_role_is_the_customer_role_templates_and_only_when_asked(organization, customer_role):
    resources = organization["Resources"]
    conditions = organization["Conditions"]

    for name in ("CloudivizeAccessRole", "CloudivizeOperatePolicy"):
        mine = {k: v for k, v in resources[name].items() if k != "Condition"}
        theirs = {k: v for k, v in customer_role["Resources"][name].items() if k != "Condition"}
        assert mine == theirs, name
    assert customer_role["Conditions"]["OperationsAllowed"] == conditions["OperationsAllowed"]
    assert resources["CloudivizeAccessRole"]["Condition"] == "IncludeManagementAccount"
    assert conditions["IncludeManagementAccount"] == {"Fn::Equals": [{"Ref": "IncludeManagementAccount"}, "true"]}
    operate = resources["CloudivizeOperatePolicy"]["Condition"]
    assert conditions[operate] == {
        "Fn::And": [{"Condition": "IncludeManagementAccount"}, {"Condition": "OperationsAllowed"}]
    }


def test_the_outputs_name_the_discovery_role_the_member_role_and_the_management_role_when_made(organization):
    outputs = organization["Outputs"]

    assert outputs["DiscoveryRoleArn"]["Value"] == {"Fn::GetAtt": ["CloudivizeDiscoveryRole", "Arn"]}
    assert outputs["MemberRoleName"]["Value"] == {"Ref": "RoleName"}
    assert outputs["ManagementAccountRoleArn"] == {
        "Condition": "IncludeManagementAccount",
        "Description": outputs["ManagementAccountRoleArn"]["Description"],
        "Value": {"Fn::GetAtt": ["CloudivizeAccessRole", "Arn"]},
    }
    assert set(outputs) == {"DiscoveryRoleArn", "MemberRoleName", "ManagementAccountRoleArn"}


# --- The region-collision trap: each named IAM resource once per account ------------------------------------------


def _named_iam(template: dict[str, Any]) -> list[Any]:
    return [
        resource["Properties"][IAM_NAME_PROPERTIES[resource["Type"]]]
        for resource in template["Resources"].values()
        if resource["Type"] in IAM_NAME_PROPERTIES and IAM_NAME_PROPERTIES[resource["Type"]] in resource["Properties"]
    ]


def test_every_named_iam_resource_is_created_once_per_account(organization, customer_role):
    # A member account gets the customer-role template's named resources once per region of the StackSet.
    [group] = _stack_set(organization)["StackInstancesGroup"]
    member_account = _named_iam(customer_role) * len(group["Regions"])
    assert member_account == [{"Ref": "RoleName"}]

    # The management account (which the StackSet never reaches) gets this template's, in the one stack.
    management_account = _named_iam(organization)
    assert management_account == [{"Ref": "DiscoveryRoleName"}, {"Ref": "RoleName"}]
    # Two parameters could still name one role twice: a rule refuses that before anything is created.
    [rule] = organization["Rules"].values()
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "RoleName"}, {"Ref": "DiscoveryRoleName"}]}]
    }
    # Everything else IAM in the template is unnamed (CloudFormation names it per stack).
    unnamed = [
        logical_id
        for logical_id, resource in organization["Resources"].items()
        if resource["Type"] in IAM_NAME_PROPERTIES
        and IAM_NAME_PROPERTIES[resource["Type"]] not in resource["Properties"]
    ]
    assert unnamed == ["OrganizationRootFunctionRole"]


# --- The organization's root, looked up only when needed -------------------------------------------------------------


def test_the_root_lookup_exists_only_without_target_units_and_may_only_list_roots(organization):
    resources = organization["Resources"]

    assert organization["Conditions"]["ResolveRoot"] == {
        "Fn::Equals": [{"Fn::Join": ["", {"Ref": "TargetOrganizationalUnitIds"}]}, ""]
    }
    assert [resources[name]["Condition"] for name in ROOT_RESOLVER] == ["ResolveRoot"] * 4
    function = resources["OrganizationRootFunction"]["Properties"]
    assert (function["Runtime"], function["Handler"]) == ("python3.12", "index.handler")
    assert set(function["Code"]) == {"ZipFile"}
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "OrganizationRootLogs"}}
    [policy] = resources["OrganizationRootFunctionRole"]["Properties"]["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Sid": "ListRoots", "Effect": "Allow", "Action": "organizations:ListRoots", "Resource": "*"},
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["OrganizationRootLogs", "Arn"]},
        },
    ]
    root = resources["OrganizationRoot"]["Properties"]
    assert root["ServiceToken"] == {"Fn::GetAtt": ["OrganizationRootFunction", "Arn"]}
    assert 0 < root["ServiceTimeout"] <= 300  # not CloudFormation's default hour, should it never answer


class _ResponseUrl:
    """CloudFormation's pre-signed response URL: records each PUT."""

    def __init__(self) -> None:
        self.answers: list[tuple[dict[str, str], dict[str, Any]]] = []
        recorded = self.answers

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                recorded.append((dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/response?X-Amz-Signature=abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _ResponseUrl:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def root_lookup(organization, monkeypatch) -> Iterator[Any]:
    """The inline function's code, run as Lambda runs it (module ``index``), against moto's Organizations."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    namespace: dict[str, Any] = {"__name__": "index"}
    code = organization["Resources"]["OrganizationRootFunction"]["Properties"]["Code"]["ZipFile"]
    with mock_aws():
        exec(compile(code, "index.py", "exec"), namespace)  # noqa: S102 - the template's own code
        yield namespace["handler"]


def _event(request_type: str, url: str, **extra: str) -> dict[str, str]:
    return {
        "RequestType": request_type,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Cloudivize-Organization/guid",
        "RequestId": "request-1",
        "LogicalResourceId": "OrganizationRoot",
        "ResourceType": "Custom::OrganizationRoot",
        **extra,
    }


def _answer(handler, event: dict[str, str], response: _ResponseUrl) -> tuple[dict[str, str], dict[str, Any]]:
    handler(event, None)
    [answer] = response.answers
    return answer


def test_the_root_lookup_answers_create_with_the_organizations_root(root_lookup):
    boto3.client("organizations").create_organization(FeatureSet="ALL")
    [root] = boto3.client("organizations").list_roots()["Roots"]

    with _ResponseUrl() as response:
        headers, answer = _answer(root_lookup, _event("Create", response.url), response)

    assert headers["Content-Type"] == ""  # what the pre-signed URL is signed for
    assert answer == {
        "Status": "SUCCESS",
        "Reason": "OK",
        "PhysicalResourceId": "OrganizationRoot",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Cloudivize-Organization/guid",
        "RequestId": "request-1",
        "LogicalResourceId": "OrganizationRoot",
        "Data": {"RootId": root["Id"]},
    }


def test_the_root_lookup_answers_a_failure_as_failed_instead_of_leaving_the_stack_waiting(root_lookup):
    # No organization: ListRoots is refused.
    with _ResponseUrl() as response:
        _, answer = _answer(root_lookup, _event("Create", response.url), response)

    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("Could not read the organization's root: ")
    assert "AWSOrganizationsNotInUseException" in answer["Reason"]
    assert answer["Data"] == {}


def test_the_root_lookup_answers_delete_without_calling_organizations(root_lookup):
    # No organization either: had Delete called ListRoots, it would have failed.
    with _ResponseUrl() as response:
        _, answer = _answer(
            root_lookup, _event("Delete", response.url, PhysicalResourceId="OrganizationRoot"), response
        )

    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == ("SUCCESS", "OrganizationRoot", {})


# --- Published by the stack -----------------------------------------------------------------------------------------


def _organization_template_url(synth) -> dict:
    bucket_id = synth.logical_id(synth.stack.onboarding.bucket)
    return {
        "Fn::Join": [
            "",
            [
                "https://",
                {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]},
                f"/{constants.ONBOARDING_ORGANIZATION_TEMPLATE_KEY}",
            ],
        ]
    }


def test_every_function_knows_the_organization_template_url(synth):
    functions = synth.stack.functions
    for name in functions.by_name:
        resource = synth.template["Resources"][synth.logical_id(functions[name].function)]
        variables = resource["Properties"]["Environment"]["Variables"]
        assert variables[constants.ENV_ONBOARDING_ORGANIZATION_TEMPLATE_URL] == _organization_template_url(synth), name
