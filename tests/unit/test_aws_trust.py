"""The trust-policy audit: only Cloudivize's principal, only with this tenant's External ID."""

import json
from urllib.parse import quote

import pytest

from cloudivize.aws_access.onboarding import trust_policy
from cloudivize.aws_access.trust import audit_trust_policy

PRINCIPAL = "arn:aws:iam::123456789012:role/Cloudivize-CustomerAccess"
EXTERNAL_ID = "a" * 48


def statement(**overrides):
    return {
        "Effect": "Allow",
        "Principal": {"AWS": PRINCIPAL},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
    } | overrides


def audit(*statements):
    return audit_trust_policy({"Version": "2012-10-17", "Statement": list(statements)}, PRINCIPAL, EXTERNAL_ID)


def test_the_onboarding_trust_policy_passes():
    [finding] = audit_trust_policy(trust_policy(PRINCIPAL, EXTERNAL_ID), PRINCIPAL, EXTERNAL_ID)

    assert finding.ok


def test_url_encoded_documents_as_iam_returns_them_are_read():
    encoded = quote(json.dumps(trust_policy(PRINCIPAL, EXTERNAL_ID)))

    assert all(f.ok for f in audit_trust_policy(encoded, PRINCIPAL, EXTERNAL_ID))


@pytest.mark.parametrize(
    ("bad", "advice"),
    [
        (statement(Principal="*"), "any principal"),
        (statement(Principal={"AWS": "*"}), "any principal"),
        (statement(Condition={}), "does not require an External ID"),
        (statement(Condition={"StringLike": {"sts:ExternalId": "*"}}), "does not require an External ID"),
        (statement(Condition={"StringEquals": {"sts:ExternalId": "guessable"}}), "not exactly"),
        (statement(Principal={"AWS": [PRINCIPAL, "arn:aws:iam::999999999999:root"]}), "also trusts"),
        (statement(Principal={"AWS": "arn:aws:iam::999999999999:root"}), "does not allow"),
        (statement(Action="sts:*", Principal={"Service": "ec2.amazonaws.com"}), "also trusts"),
    ],
)
def test_unsafe_trust_policies_are_refused_with_what_to_change(bad, advice):
    findings = audit(bad)

    assert not all(f.ok for f in findings)
    assert any(advice in f.detail for f in findings), [f.detail for f in findings]


def test_a_second_statement_trusting_someone_else_is_refused():
    findings = audit(statement(), statement(Principal={"AWS": "arn:aws:iam::999999999999:role/Other"}, Condition={}))

    assert not all(f.ok for f in findings)


def test_not_principal_is_refused():
    findings = audit(statement(), {"Effect": "Allow", "NotPrincipal": {"AWS": PRINCIPAL}, "Action": "sts:AssumeRole"})

    assert not all(f.ok for f in findings)


def test_deny_statements_do_not_make_a_safe_policy_unsafe():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:x": "y"}}}

    assert all(f.ok for f in audit(statement(), deny))
