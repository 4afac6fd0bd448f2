"""cdk-nag (AwsSolutions) runs on every synth; every finding is fixed or acknowledged precisely."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from infrastructure.routes import FUNCTIONS

from .cfn import bucket_deployment_handler, custom_resource_handler


def _acknowledgements(app: App) -> dict[tuple[str, str], str]:
    found = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    found[(construct.node.path, rule.removeprefix("Annotation::"))] = reason
    return found


def test_synth_reports_no_unacknowledged_finding(synth):
    # The session fixture's app.synth() raised nothing; the report, if written, holds no violation.
    report_file = synth.outdir / "validation-report.json"
    if report_file.exists():
        report = json.loads(report_file.read_text())
        violations = [v for plugin in report.get("pluginReports", []) for v in plugin.get("violations", [])]
        assert violations == []


def test_acknowledgements_are_exactly_the_reviewed_ones_each_with_a_reason(synth):
    stack = synth.stack.node.id
    expected = {
        (f"{stack}/Auth/UserPool", "AwsSolutions-COG2"),
        (
            f"{stack}/Api/RestApi/CloudWatchRole",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
        ),
    }
    for name in FUNCTIONS:
        construct = synth.stack.functions[name].node.path
        expected.add((f"{construct}/Role/DefaultPolicy", "AwsSolutions-IAM5[Resource::*]"))
        expected.add((f"{construct}/Function", "AwsSolutions-L1"))

    # Cloudivize's principal may assume roles in any account (customers' accounts are unknown at deploy time).
    expected.add((f"{stack}/CustomerAccess/Role", "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/*]"))
    # ... and mint its own web identity tokens (the action has no resource type).
    expected.add((f"{stack}/CustomerAccess/Role", "AwsSolutions-IAM5[Resource::*]"))
    # CDK's AwsCustomResource handler (a singleton at stack level) enabling outbound identity federation and reading
    # its issuer: two IAM actions without a resource type, and the managed basic execution policy CDK attaches.
    expected |= {
        (f"{stack}/OutboundFederation/{call}/CustomResourcePolicy", "AwsSolutions-IAM5[Resource::*]")
        for call in ("Enable", "Issuer")
    }
    expected.add(
        (
            f"{custom_resource_handler(synth.stack).node.path}/ServiceRole",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        )
    )
    # The onboarding template is public (onboarding/* only) for customers' CloudFormation.
    expected.add((f"{stack}/OnboardingTemplate/Bucket", "AwsSolutions-S2"))
    # CDK's BucketDeployment handler (a singleton at stack level) that publishes the template.
    handler = bucket_deployment_handler(synth.stack).node.path
    template_bucket = synth.logical_id(synth.stack.onboarding.bucket)
    expected |= {
        (handler, "AwsSolutions-L1"),
        (
            f"{handler}/ServiceRole",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        ),
    }
    for finding in (
        "Action::s3:Abort*",
        "Action::s3:DeleteObject*",
        "Action::s3:GetBucket*",
        "Action::s3:GetObject*",
        "Action::s3:List*",
        "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
        f"Resource::<{template_bucket}.Arn>/*",
    ):
        expected.add((f"{handler}/ServiceRole/DefaultPolicy", f"AwsSolutions-IAM5[{finding}]"))

    # The hosted console: no geo restriction, the default certificate and no CloudFront web ACL unless the context
    # names them (test_console_hosting.py checks these three go away with a domain and a web ACL); its deployment
    # writes the console bucket and invalidates the distribution.
    distribution = synth.stack.console.distribution.node.path
    expected |= {(distribution, rule) for rule in ("AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR4")}
    console_bucket = synth.logical_id(synth.stack.console.bucket)
    for finding in (f"Resource::<{console_bucket}.Arn>/*", "Resource::*"):
        expected.add((f"{handler}/ServiceRole/DefaultPolicy", f"AwsSolutions-IAM5[{finding}]"))

    acknowledgements = _acknowledgements(synth.app)
    assert set(acknowledgements) == expected
    for (path, rule), reason in acknowledgements.items():
        assert len(reason) > 60, (path, rule)


def test_an_unacknowledged_finding_fails_the_synth(tmp_path):
    # Given a throwaway app with cdk-nag and a bucket that breaks AwsSolutions rules (S1, S10)
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Throwaway")
    s3.Bucket(stack, "NoLogsNoTls")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    # When it is synthesized / Then synthesis fails
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules
