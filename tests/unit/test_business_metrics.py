"""The metrics an operator watches are emitted as CloudWatch EMF, by provider, with no tenant or id in them."""

import json

import pytest

from tests.utils import call_api, claims_for

ROLE_ARN = "arn:aws:iam::210987654321:role/CloudivizeReadOnly"


@pytest.fixture
def emf_lines(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Cloudivize")
    from cloudivize.observability import metrics

    monkeypatch.setattr(metrics, "namespace", "Cloudivize")

    def lines() -> list[dict]:
        out = capsys.readouterr().out.splitlines()
        return [json.loads(line) for line in out if line.startswith("{") and '"_aws"' in line]

    return lines


def _names(documents: list[dict]) -> dict[str, dict]:
    found = {}
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                found[metric["Name"]] = document
    return found


def test_creating_and_verifying_connections_is_counted_by_provider(cloud, emf_lines, monkeypatch):
    from cloudivize.aws_access.provider import AwsProvider
    from cloudivize.models.connections import Check, Verification

    failing = Verification(ok=False, checks=[Check(name="role_assumable", ok=False, detail="Trust Cloudivize.")])
    claims = claims_for("tenant-1")
    body = {"provider": "aws", "name": "a", "role_arn": ROLE_ARN, "verify": False}

    assert call_api("POST", "/connections", claims=claims, body=body).status == 201
    monkeypatch.setattr(AwsProvider, "verify", lambda self, connection: failing)
    another_role = body | {"role_arn": ROLE_ARN + "Too", "verify": True}  # the first role is connected already
    assert call_api("POST", "/connections", claims=claims, body=another_role).status == 422

    metrics = _names(emf_lines())
    assert metrics["ConnectionCreated"]["ConnectionCreated"] == [1.0]
    assert metrics["ConnectionCreated"]["provider"] == "aws"
    assert metrics["ConnectionVerificationFailed"]["provider"] == "aws"
    assert "tenant-1" not in json.dumps(metrics)


def test_an_audit_event_that_could_not_be_written_is_counted(cloud, emf_lines):
    import boto3

    from tests.conftest import AUDIT_TABLE_NAME

    boto3.client("dynamodb").delete_table(TableName=AUDIT_TABLE_NAME)
    body = {"provider": "aws", "name": "a", "role_arn": ROLE_ARN, "verify": False}

    assert call_api("POST", "/connections", claims=claims_for("tenant-1"), body=body).status == 201
    metrics = _names(emf_lines())
    assert metrics["AuditWriteFailed"]["AuditWriteFailed"] == [1.0]
    assert "tenant-1" not in json.dumps(metrics)
