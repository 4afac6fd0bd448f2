"""GET /onboarding/aws and /onboarding/azure through the handler."""

from urllib.parse import parse_qs, urlsplit

import cfnlint.api

from cloudivize.aws_access.onboarding import customer_role_template
from cloudivize.aws_access.trust import audit_trust_policy
from tests.conftest import PRINCIPAL_ARN, TEMPLATE_URL
from tests.utils import call_api


def test_aws_onboarding_gives_the_principal_the_tenants_external_id_and_a_safe_trust_policy(cloud):
    claims = cloud.confirm_user("ana@example.com")
    external_id = cloud.external_id(claims["custom:tenant_id"])

    response = call_api("GET", "/onboarding/aws", claims=claims)

    assert response.status == 200
    body = response.json()
    assert body["principal_arn"] == PRINCIPAL_ARN
    assert body["external_id"] == external_id
    assert body["session_name"] == "Cloudivize-Session"
    assert all(f.ok for f in audit_trust_policy(body["trust_policy"], PRINCIPAL_ARN, external_id))
    assert body["cloudformation_template"] == customer_role_template()


def test_quick_create_link_opens_the_published_template_with_the_tenants_values(cloud):
    claims = cloud.confirm_user("ana@example.com")

    body = call_api("GET", "/onboarding/aws", claims=claims).json()

    url = urlsplit(body["quick_create_url"])
    assert url.netloc == "console.aws.amazon.com"
    assert url.path == "/cloudformation/home"
    route, _, query = url.fragment.partition("?")
    assert route == "/stacks/quickcreate"
    params = parse_qs(query)
    assert params["templateURL"] == [TEMPLATE_URL]
    assert params["param_ExternalId"] == [body["external_id"]]
    assert params["param_CloudivizePrincipalArn"] == [PRINCIPAL_ARN]


def test_two_tenants_never_get_the_same_external_id(cloud):
    first, second = cloud.confirm_user("ana@example.com"), cloud.confirm_user("bo@example.com")

    ids = {call_api("GET", "/onboarding/aws", claims=c).json()["external_id"] for c in (first, second)}

    assert len(ids) == 2


def test_the_customer_template_passes_cfn_lint():
    matches = cfnlint.api.lint_all(customer_role_template())

    assert [m for m in matches if m.rule.id.startswith("E")] == []


def test_the_template_is_read_only_unless_operations_are_allowed():
    template = customer_role_template()

    view, _, operate = template.partition("CloudivizeOperatePolicy:")
    assert "ec2:StopInstances" not in view
    assert "Condition: OperationsAllowed" in operate
    for action in ("ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances", "tag:TagResources"):
        assert action in operate


def test_azure_onboarding_lists_each_credential_type_with_its_fields_and_the_roles(cloud):
    claims = cloud.confirm_user("ana@example.com")

    body = call_api("GET", "/onboarding/azure", claims=claims).json()

    required = {
        o["credential_type"]: {f["name"] for f in o["fields"] if f["required"]} for o in body["credential_types"]
    }
    assert required == {
        "federated": {"directory_id", "application_id"},
        "certificate": {"directory_id", "application_id"},
        "secret": {"directory_id", "application_id", "application_secret"},
    }
    assert body["recommended_role"] == "Reader"
    assert body["commands"][:2] == ["az ad app create --display-name Cloudivize   # its appId is the APPLICATION_ID",
                                    "az ad sp create --id <APPLICATION_ID>"]  # fmt: skip
    assert any("az role assignment create" in c for c in body["commands"])
    # No federation issuer in this function's environment: the certificate is the recommended type then.
    federated, certificate, _ = body["credential_types"]
    assert (federated["available"], federated["federated_credential"], certificate["recommended"]) == (
        False,
        None,
        True,
    )
