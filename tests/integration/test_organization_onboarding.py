"""GET /onboarding/aws-organization over HTTP against the local stack (its answer checked against the served
OpenAPI document by the ``api`` client)."""

from __future__ import annotations

from pathlib import Path

from infrastructure import constants

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_organization_onboarding_names_the_same_principal_and_external_id_as_the_account_one(
    api, local_stack, demo_token
):
    response = api.get("/onboarding/aws-organization", token=demo_token)

    assert response.status_code == 200, response.text
    organization = response.json()
    account = api.get("/onboarding/aws", token=demo_token).json()
    assert organization["principal_arn"] == account["principal_arn"] == local_stack.resources.customer_access_role_arn
    assert organization["external_id"] == account["external_id"]
    assert organization["trust_policy"] == account["trust_policy"]
    assert organization["cloudformation_template"] == (REPO_ROOT / constants.ORGANIZATION_TEMPLATE).read_text()
    assert organization["connect_body"]["scope"] == "organization"
    assert organization["connect_body"]["include_management_account"] is False


def test_the_organization_onboarding_needs_a_signed_in_caller(api):
    response = api.get("/onboarding/aws-organization")

    assert response.status_code == 401
