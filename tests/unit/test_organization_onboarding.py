"""GET /onboarding/aws-organization through the handler: what a customer deploys in the management account."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from cloudivize.aws_access.organization_onboarding import DEFAULT_SYNC_HOURS
from cloudivize.aws_access.trust import audit_trust_policy
from infrastructure import constants
from tests.conftest import PRINCIPAL_ARN, TEMPLATE_URL
from tests.utils import call_api, discovery_policy

REPO_ROOT = Path(__file__).resolve().parents[2]
ORGANIZATION_TEMPLATE_URL = (
    "https://cloudivize-templates.s3.us-east-1.amazonaws.com/onboarding/aws/organization-management.yaml"
)
DISCOVERY_ROLE = "CloudivizeOrganizationDiscovery"
ANSWER_FIELDS = {
    "principal_arn",
    "external_id",
    "session_name",
    "discovery_role_name",
    "member_role_name",
    "discovery_policy",
    "trust_policy",
    "cloudformation_template",
    "quick_create_url",
    "connect_body",
    "steps",
}


@pytest.fixture
def published(cloud, monkeypatch):
    """A deployment that publishes both templates (as the stack does)."""
    monkeypatch.setenv(constants.ENV_ONBOARDING_ORGANIZATION_TEMPLATE_URL, ORGANIZATION_TEMPLATE_URL)
    return cloud


def _onboarding(cloud) -> tuple[dict, str]:
    claims = cloud.confirm_user("ana@example.com")
    response = call_api("GET", "/onboarding/aws-organization", claims=claims)
    assert response.status == 200
    return response.json(), cloud.external_id(claims["custom:tenant_id"])


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_the_answer_gives_the_principal_the_external_id_the_role_names_and_the_template(published):
    body, external_id = _onboarding(published)

    assert set(body) == ANSWER_FIELDS
    assert body["principal_arn"] == PRINCIPAL_ARN
    assert body["external_id"] == external_id
    assert body["session_name"] == "Cloudivize-Session"
    assert body["discovery_role_name"] == DISCOVERY_ROLE
    assert body["member_role_name"] == "CloudivizeAccess"
    assert body["cloudformation_template"] == (REPO_ROOT / constants.ORGANIZATION_TEMPLATE).read_text()
    assert all(finding.ok for finding in audit_trust_policy(body["trust_policy"], PRINCIPAL_ARN, external_id))


def test_the_trust_policy_is_the_customer_roles_one(published):
    claims = published.confirm_user("ana@example.com")

    organization = call_api("GET", "/onboarding/aws-organization", claims=claims).json()
    account = call_api("GET", "/onboarding/aws", claims=claims).json()

    assert organization["trust_policy"] == account["trust_policy"]
    assert organization["trust_policy"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudivizeWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": PRINCIPAL_ARN},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                "Condition": {"StringEquals": {"sts:ExternalId": organization["external_id"]}},
            }
        ],
    }


def test_the_discovery_policy_allows_the_five_organization_reads_and_reading_its_own_role_only(published):
    body, _ = _onboarding(published)

    assert body["discovery_policy"] == discovery_policy(
        # Its own ARN: the principal's partition, the account the role is in (as IAM resolves it).
        f"arn:aws:iam::${{aws:PrincipalAccount}}:role/{DISCOVERY_ROLE}"
    )


def test_the_quick_create_link_opens_the_organization_template_with_the_values_and_the_customer_role_url(published):
    body, external_id = _onboarding(published)

    url = urlsplit(body["quick_create_url"])
    assert (url.scheme, url.netloc, url.path, url.query) == (
        "https",
        "console.aws.amazon.com",
        "/cloudformation/home",
        "region=us-east-1",
    )
    route, _, query = url.fragment.partition("?")
    assert route == "/stacks/quickcreate"
    assert parse_qs(query) == {
        "templateURL": [ORGANIZATION_TEMPLATE_URL],
        "stackName": ["Cloudivize-Organization"],
        "param_CloudivizePrincipalArn": [PRINCIPAL_ARN],
        "param_ExternalId": [external_id],
        "param_CustomerRoleTemplateUrl": [TEMPLATE_URL],
    }


def test_without_a_published_organization_template_there_is_no_link(cloud):
    body, _ = _onboarding(cloud)

    assert body["quick_create_url"] is None
    assert body["cloudformation_template"] == (REPO_ROOT / constants.ORGANIZATION_TEMPLATE).read_text()


def test_without_a_published_customer_role_template_there_is_no_link(published, monkeypatch):
    # The StackSet deploys the customer-role template from its URL: without it the template cannot work.
    monkeypatch.delenv(constants.ENV_ONBOARDING_TEMPLATE_URL)

    body, _ = _onboarding(published)

    assert body["quick_create_url"] is None


def test_the_connect_body_leaves_the_management_account_out_and_names_the_discovery_role(published):
    body, _ = _onboarding(published)

    assert body["connect_body"] == {
        "provider": "aws",
        "scope": "organization",
        "name": "AWS organization",
        "role_arn": f"arn:aws:iam::<management-account-id>:role/{DISCOVERY_ROLE}",
        "member_role_name": "CloudivizeAccess",
        "include_management_account": False,
    }
    assert json.dumps(body["connect_body"], separators=(",", ":")) in body["steps"][3]


def test_the_steps_say_where_to_deploy_the_management_account_choice_new_accounts_and_cloudtrail(published):
    body, _ = _onboarding(published)

    steps = body["steps"]
    assert len(steps) == 7
    assert 'CallAs set to "DELEGATED_ADMIN"' in steps[0]
    assert 'IncludeManagementAccount to "true"' in steps[2]
    assert '"include_management_account": true' in steps[2]
    assert "auto-deployment" in steps[4]
    assert f"every {DEFAULT_SYNC_HOURS} hours" in steps[4]
    assert "POST /connections/{id}/sync" in steps[4]
    assert (
        steps[6] == "Every call Cloudivize makes appears in your CloudTrail under the session name Cloudivize-Session."
    )


def test_the_sync_period_the_steps_state_is_the_stacks_default():
    assert DEFAULT_SYNC_HOURS == constants.DEFAULT_ORGANIZATION_SYNC_HOURS


def test_the_external_id_is_the_only_secret_and_appears_only_where_the_customer_needs_it(published):
    body, external_id = _onboarding(published)

    where = sorted(name for name, value in body.items() if any(external_id in text for text in _strings(value)))
    assert where == ["external_id", "quick_create_url", "steps", "trust_policy"]
    assert [i for i, step in enumerate(body["steps"]) if external_id in step] == [5]  # the hand-made trust policy
    # Nothing of how it is kept: not its sealed form, not the key sealing it, not the table holding it.
    item = boto3.resource("dynamodb").Table("cloudivize-unit").scan()["Items"]
    sealed = [str(value) for record in item for name, value in record.items() if name.endswith("_sealed")]
    text = json.dumps(body)
    assert sealed
    assert all(value not in text for value in sealed)
    assert "cloudivize-unit" not in text
    assert ":kms:" not in text


def test_without_cloudivizes_principal_the_deployment_cannot_onboard(published, monkeypatch):
    monkeypatch.delenv(constants.ENV_CUSTOMER_ACCESS_ROLE_ARN)
    claims = published.confirm_user("ana@example.com")

    response = call_api("GET", "/onboarding/aws-organization", claims=claims)

    assert response.status == 503
    assert response.json()["detail"] == "AWS onboarding is not configured on this Cloudivize deployment."
