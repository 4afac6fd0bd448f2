"""Reaching customers' AWS accounts (docs/architecture.md): Cloudivize's principal (the customer-access role), who may
assume it and what it may do, and the onboarding template published for customers' CloudFormation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint

from infrastructure import constants
from infrastructure.customer_access import CustomerAccess, OnboardingTemplate
from infrastructure.data import DataStore
from infrastructure.functions import CloudivizeFunctions
from infrastructure.resources import customer_access_role_name
from infrastructure.routes import FUNCTIONS, Access, FunctionSpec
from infrastructure.stack import cdk_json_context

from .cfn import as_list, iam_statements, role_statements, statements_of

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FILE = REPO_ROOT / constants.CUSTOMER_ROLE_TEMPLATE
ASSUMERS = sorted(name for name, spec in FUNCTIONS.items() if Access.ASSUME_CUSTOMER_ROLE in spec.access)
CUSTOMER_ROLE_ACTIONS = {"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"}
PARTITION = {"Ref": "AWS::Partition"}


def _actions(statement: dict) -> set[str]:
    return {str(action) for action in as_list(statement.get("Action", []))}


def _role_id(synth) -> str:
    return synth.logical_id(synth.stack.customer_access.role)


def _role_arn(synth) -> dict:
    return {"Fn::GetAtt": [_role_id(synth), "Arn"]}


def _template_url(synth) -> dict:
    bucket_id = synth.logical_id(synth.stack.onboarding.bucket)
    return {
        "Fn::Join": [
            "",
            ["https://", {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}, f"/{constants.ONBOARDING_TEMPLATE_KEY}"],
        ]
    }


def _environment(synth, name: str) -> dict:
    function = synth.template["Resources"][synth.logical_id(synth.stack.functions[name].function)]
    return function["Properties"]["Environment"]["Variables"]


def _bucket_policy(synth, bucket) -> list[dict]:
    bucket_ref = {"Ref": synth.logical_id(bucket)}
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == bucket_ref
    ]
    return statements_of(policy)


def _is_anyone(principal) -> bool:
    return principal in ("*", {"AWS": "*"})


# --- Cloudivize's principal -------------------------------------------------------------------------------


def test_the_route_table_has_functions_that_reach_customer_accounts():
    # Without one the tests below would hold vacuously (and the stack refuses a role no function can assume).
    assert ASSUMERS
    assert "connections" in ASSUMERS  # live verification of a new connection


def test_the_principal_has_a_fixed_documented_name_and_one_hour_sessions(synth):
    properties = synth.template["Resources"][_role_id(synth)]["Properties"]
    assert properties["RoleName"] == f"{synth.stack.stack_name}-CustomerAccess"
    assert properties["RoleName"] == customer_access_role_name(synth.stack.stack_name)
    assert properties["MaxSessionDuration"] == 3600
    assert not properties.get("ManagedPolicyArns")
    assert "Path" not in properties  # arn:...:role/<name>, as documented


def test_the_role_name_stays_within_iams_64_characters():
    assert len(customer_access_role_name("S" * 49)) == 64
    with pytest.raises(ValueError, match="too long"):
        customer_access_role_name("S" * 50)


def test_only_the_roles_of_functions_that_reach_customers_are_trusted(synth):
    trust = synth.template["Resources"][_role_id(synth)]["Properties"]["AssumeRolePolicyDocument"]
    [statement] = statements_of(trust)
    assert statement["Effect"] == "Allow"
    assert _actions(statement) == {"sts:AssumeRole"}
    assert set(statement["Principal"]) == {"AWS"}
    expected = [{"Fn::GetAtt": [synth.logical_id(synth.stack.functions[name].role), "Arn"]} for name in ASSUMERS]
    assert sorted(map(json.dumps, as_list(statement["Principal"]["AWS"]))) == sorted(map(json.dumps, expected))
    # Never the account root, never anyone.
    text = json.dumps(trust)
    assert ":root" not in text and '"*"' not in text and "AWS::AccountId" not in text


def test_the_principal_opens_only_cloudivize_sessions_with_an_external_id_outside_its_own_account(synth):
    statements = role_statements(synth.template, _role_id(synth))
    # Its other Allow, minting web identity tokens, is test_outbound_federation.py's.
    allows = [s for s in statements if s["Effect"] == "Allow" and _actions(s) != {"sts:GetWebIdentityToken"}]
    denies = [s for s in statements if s["Effect"] == "Deny"]

    [allow] = allows
    assert _actions(allow) == CUSTOMER_ROLE_ACTIONS
    assert allow["Resource"] == {"Fn::Join": ["", ["arn:", PARTITION, ":iam::*:role/*"]]}
    assert allow["Condition"] == {
        "StringEquals": {"sts:RoleSessionName": constants.CUSTOMER_SESSION_NAME},
        "Null": {"sts:ExternalId": "false"},
    }
    assert constants.CUSTOMER_SESSION_NAME == "Cloudivize-Session"

    # Roles of this account that trust the account root must stay out of reach of a connection's role ARN.
    [deny] = denies
    assert _actions(deny) == CUSTOMER_ROLE_ACTIONS
    assert deny["Resource"] == {"Fn::Join": ["", ["arn:", PARTITION, ":iam::", {"Ref": "AWS::AccountId"}, ":role/*"]]}
    assert "Condition" not in deny


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_only_functions_that_reach_customers_may_assume_the_principal(synth, name):
    function = synth.stack.functions[name]
    statements = role_statements(synth.template, synth.logical_id(function.role))
    sts = [s for s in statements if any(action.startswith("sts:") for action in _actions(s))]
    if name in ASSUMERS:
        assert sts == [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Resource": _role_arn(synth),
                "Sid": "AssumeCustomerAccessRole",
            }
        ]
        # In the policy the function waits for: no cold start without the permission.
        policy_id = synth.logical_id(function.access_policy)
        assert policy_id in synth.template["Resources"][synth.logical_id(function.function)]["DependsOn"]
    else:
        assert sts == []


def test_no_other_iam_policy_grants_any_sts_action(synth):
    assumer_policies = {synth.logical_id(synth.stack.functions[name].access_policy) for name in ASSUMERS}
    for logical_id, statement in iam_statements(synth.template):
        if any(action.startswith("sts:") for action in _actions(statement)):
            assert logical_id in assumer_policies | {_role_id(synth)}, logical_id


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_knows_the_principal_and_the_template_url(synth, name):
    # Not secrets (customers are given both) and no permission: onboarding shows them without assuming anything.
    variables = _environment(synth, name)
    assert variables[constants.ENV_CUSTOMER_ACCESS_ROLE_ARN] == _role_arn(synth)
    assert variables[constants.ENV_ONBOARDING_TEMPLATE_URL] == _template_url(synth)


def test_outputs_name_the_principal_and_the_template_url(synth):
    outputs = synth.template["Outputs"]
    assert outputs["CustomerAccessRoleArn"]["Value"] == _role_arn(synth)
    assert "principal ARN customers trust" in outputs["CustomerAccessRoleArn"]["Description"]
    assert outputs["OnboardingTemplateUrl"]["Value"] == _template_url(synth)


def _throwaway_functions(stack: Stack, spec: FunctionSpec, **wiring) -> CloudivizeFunctions:
    layer = lambda_.LayerVersion.from_layer_version_arn(
        stack, "Layer", "arn:aws:lambda:eu-west-1:123456789012:layer:cloudivize:1"
    )
    return CloudivizeFunctions(
        stack, "Functions", repo_root=REPO_ROOT, layer=layer, data=DataStore(stack, "Data"), specs=[spec], **wiring
    )


def test_a_role_no_function_can_assume_is_refused():
    stack = Stack(App(), "Throwaway")
    customer_access = CustomerAccess(stack, "CustomerAccess", role_name="Throwaway-CustomerAccess")
    no_assumer = FunctionSpec(name="me", description="test only")
    with pytest.raises(ValueError, match="at least one function"):
        _throwaway_functions(stack, no_assumer, customer_access=customer_access, onboarding_template_url="https://x")


def test_a_function_that_needs_the_principal_but_never_got_it_fails_the_synth(tmp_path):
    # Given a stack whose function has ASSUME_CUSTOMER_ROLE, and no customer-access role given to it
    app = App(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
    stack = Stack(app, "Throwaway")
    spec = FunctionSpec(name="me", description="test only", access=frozenset({Access.ASSUME_CUSTOMER_ROLE}))
    # When synthesized / Then it fails, naming the function
    with pytest.raises(RuntimeError, match="function me has assume_customer_role"):
        _throwaway_functions(stack, spec)
        app.synth()


# --- The onboarding template ------------------------------------------------------------------------------


def test_the_template_is_publicly_readable_only_under_onboarding(synth):
    bucket_id = synth.logical_id(synth.stack.onboarding.bucket)
    assert constants.ONBOARDING_TEMPLATE_KEY.startswith("onboarding/")
    allows = [s for s in _bucket_policy(synth, synth.stack.onboarding.bucket) if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/onboarding/*"]]},
            "Sid": "PublicReadOnboardingTemplates",
        }
    ]


def test_no_other_bucket_grants_anything_to_anyone(synth):
    template_policy = synth.logical_id(synth.stack.onboarding.bucket.policy)
    for logical_id, policy in synth.resources("AWS::S3::BucketPolicy").items():
        for statement in statements_of(policy["Properties"]["PolicyDocument"]):
            if statement["Effect"] == "Allow" and _is_anyone(statement.get("Principal")):
                assert logical_id == template_policy and statement["Sid"] == "PublicReadOnboardingTemplates"


@pytest.mark.parametrize("which", ["bucket", "access_logs"])
def test_both_buckets_refuse_plain_http_and_old_tls(synth, which):
    bucket = getattr(synth.stack.onboarding, which)
    bucket_arn = {"Fn::GetAtt": [synth.logical_id(bucket), "Arn"]}
    denies = [s for s in _bucket_policy(synth, bucket) if s["Effect"] == "Deny"]
    conditions = [s["Condition"] for s in denies]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
    for statement in denies:
        assert statement["Action"] == "s3:*" and _is_anyone(statement["Principal"])
        assert statement["Resource"] == [bucket_arn, {"Fn::Join": ["", [bucket_arn, "/*"]]}]


def test_template_bucket_blocks_acls_is_sse_s3_versioned_and_logged(synth):
    properties = synth.resources("AWS::S3::Bucket")[synth.logical_id(synth.stack.onboarding.bucket)]["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,  # the onboarding/* read statement is the one public grant
        "RestrictPublicBuckets": False,
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}  # no ACLs
    # SSE-S3: a KMS key would refuse anonymous reads.
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    log_bucket_id = synth.logical_id(synth.stack.onboarding.access_logs)
    assert properties["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_bucket_id}


def test_access_log_bucket_is_private_and_written_only_by_s3_logging_for_the_stacks_buckets(synth):
    log_bucket = synth.stack.onboarding.access_logs
    properties = synth.resources("AWS::S3::Bucket")[synth.logical_id(log_bucket)]["Properties"]
    assert all(properties["PublicAccessBlockConfiguration"].values())
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert [rule["ExpirationInDays"] for rule in properties["LifecycleConfiguration"]["Rules"]] == [90]
    allows = [s for s in _bucket_policy(synth, log_bucket) if s["Effect"] == "Allow"]
    for allow in allows:
        assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert allow["Action"] == "s3:PutObject"
    # The onboarding template's bucket and the hosted console's two (its files, its CloudFront logs).
    logged = (synth.stack.onboarding.bucket, synth.stack.console.bucket, synth.stack.console.cdn_logs)
    assert [allow["Condition"]["ArnLike"] for allow in allows] == [
        {"aws:SourceArn": {"Fn::GetAtt": [synth.logical_id(bucket), "Arn"]}} for bucket in logged
    ]


def test_the_published_templates_are_the_files_at_the_documented_keys(synth):
    template_bucket = {"Ref": synth.logical_id(synth.stack.onboarding.bucket)}
    [properties] = [
        deployment["Properties"]
        for deployment in synth.resources("Custom::CDKBucketDeployment").values()
        if deployment["Properties"]["DestinationBucketName"] == template_bucket
    ]
    assert "DestinationBucketKeyPrefix" not in properties
    assert properties["SystemMetadata"] == {"content-type": "application/yaml"}

    # Each staged asset the handler unzips into the bucket: one file, at the key the API and the emulator use.
    assets = json.loads((synth.outdir / f"{synth.stack.artifact_id}.assets.json").read_text())["files"]
    published = {}
    for object_key in properties["SourceObjectKeys"]:
        [source] = [
            asset["source"]
            for asset in assets.values()
            if any(destination["objectKey"] == object_key for destination in asset["destinations"].values())
        ]
        staged = synth.outdir / source["path"]
        [file] = [path for path in staged.rglob("*") if path.is_file()]
        published[file.relative_to(staged).as_posix()] = file.read_bytes()
    assert published == {
        constants.ONBOARDING_TEMPLATE_KEY: TEMPLATE_FILE.read_bytes(),
        constants.ONBOARDING_ORGANIZATION_TEMPLATE_KEY: (REPO_ROOT / constants.ORGANIZATION_TEMPLATE).read_bytes(),
    }


def test_the_customer_role_template_passes_cfn_lint():
    matches = lint(TEMPLATE_FILE.read_text(), regions=["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"])
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_the_customer_role_template_trusts_only_the_given_principal_with_the_external_id():
    # Its trust statement is the one the onboarding page shows, and allows what the principal's policy does.
    text = TEMPLATE_FILE.read_text()
    for action in CUSTOMER_ROLE_ACTIONS:
        assert f"- {action}" in text
    assert "AWS: !Ref CloudivizePrincipalArn" in text
    assert "sts:ExternalId: !Ref ExternalId" in text


def test_acknowledgements_hold_when_the_cli_sets_an_account_and_region(tmp_path):
    # `cdk deploy` sets CDK_DEFAULT_ACCOUNT/REGION: the asset bucket name becomes a literal, and the finding on
    # the BucketDeployment handler's policy changes with it. The acknowledgements must follow.
    app = App(outdir=str(tmp_path), context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    stack = Stack(app, "Concrete", env=Environment(account="123456789012", region="eu-west-1"))
    assumer = iam.Role(stack, "FunctionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    access = CustomerAccess(stack, "CustomerAccess", role_name="Concrete-CustomerAccess")
    access.trust(assumer)
    onboarding = OnboardingTemplate(stack, "OnboardingTemplate", template_file=TEMPLATE_FILE)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))

    assembly = app.synth()  # raises ValidationFailed on any unacknowledged finding

    template = assembly.get_stack_by_name("Concrete").template
    policy_id = stack.get_logical_id(
        onboarding.deployment.handler_role.node.find_child("DefaultPolicy").node.default_child
    )
    resources = json.dumps(template["Resources"][policy_id]["Properties"]["PolicyDocument"])
    assert "cdk-hnb659fds-assets-123456789012-eu-west-1" in resources  # the case this test is about
    role = template["Resources"][stack.get_logical_id(access.role.node.default_child)]["Properties"]
    assert role["RoleName"] == "Concrete-CustomerAccess"
