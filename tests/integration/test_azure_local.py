"""Azure without stored secrets, over real HTTP against the local stack (``make run``'s, a process of its own): its
functions (in their containers) sign in to the demo Azure over HTTPS with the real azure-identity, federated with
the emulator's ``sts:GetWebIdentityToken`` token, with a certificate Cloudivize issued and the customer added the
way Microsoft Graph adds one, or with the demo application's secret.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests

from infrastructure.local.aws.emulator import aws_client
from tests.integration.conftest import run_cli, sign_in

pytestmark = pytest.mark.integration

VIRTUAL_MACHINES = "type=Microsoft.Compute/virtualMachines"
JWT = re.compile(r"eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{20,}")


@pytest.fixture(scope="module")
def demo_azure(local_stack) -> dict:
    assert local_stack.demo_azure is not None, "the local stack runs without its demo Azure"
    return local_stack.demo_azure


@pytest.fixture
def made(api, demo_token):
    """The connections a test makes in the demo organization, deleted afterwards (other tests list its own)."""
    ids: list[str] = []
    yield ids
    for connection_id in ids:
        api.request("DELETE", f"/connections/{connection_id}", token=demo_token)


def azure_body(demo_azure: dict, credential_type: str, **extra) -> dict:
    return {
        "provider": "azure",
        "name": f"Demo Azure ({credential_type})",
        "credential_type": credential_type,
        "directory_id": demo_azure["directory_id"],
        "application_id": demo_azure["application_id"],
        "subscription_ids": [demo_azure["subscription_id"]],
        **extra,
    }


def connect(api, token, body, made) -> requests.Response:
    response = api.request("POST", "/connections", token=token, json=body)
    if response.status_code == 201:
        made.append(response.json()["id"])
    return response


def machines(api, token, connection_id) -> dict[str, str]:
    listed = api.get(f"/connections/{connection_id}/assets?{VIRTUAL_MACHINES}", token=token)
    assert listed.status_code == 200, listed.text
    return {asset["name"]: asset["state"] for asset in listed.json()["items"]}


def deallocate(api, token, connection_id, demo_azure, name) -> dict:
    group = {"web-frontend": "web", "web-staging": "web", "batch-worker": "batch"}[name]
    asset = (
        f"/subscriptions/{demo_azure['subscription_id']}/resourceGroups/{group}/providers/"
        f"Microsoft.Compute/virtualMachines/{name}"
    )
    acted = api.request(
        "POST", f"/connections/{connection_id}/actions", token=token,
        json={"action": "deallocate", "asset_ids": [asset]},
    )  # fmt: skip
    assert acted.status_code == 200, acted.text
    return acted.json()["results"][0]


def stored_item(local_stack, connection_id) -> dict:
    dynamodb = aws_client("dynamodb", local_stack.resources.aws_endpoint_url, local_stack.resources.region)
    items = dynamodb.scan(TableName=local_stack.resources.table_name)["Items"]
    [item] = [item for item in items if item.get("connection_id", {}).get("S") == connection_id]
    return item


def assert_nothing_secret_in_the_clear(running_stack, item: dict) -> None:
    clear = json.dumps({name: value for name, value in item.items() if not name.endswith("_sealed")})
    logs = running_stack.output()
    for text in (clear, logs):
        assert "PRIVATE KEY" not in text
        assert not JWT.search(text), "a token in the clear"


def test_the_onboarding_shows_the_organizations_federated_credential_first(api, demo_token, local_stack):
    onboarding = api.get("/onboarding/azure", token=demo_token)

    assert onboarding.status_code == 200, onboarding.text
    federated, certificate, secret = onboarding.json()["credential_types"]
    assert (federated["credential_type"], certificate["credential_type"], secret["credential_type"]) == (
        "federated", "certificate", "secret",
    )  # fmt: skip
    credential = federated["federated_credential"]
    assert credential["issuer"] == local_stack.resources.web_identity_issuer
    assert credential["subject"] == local_stack.resources.customer_access_role_arn
    assert credential["audience"].startswith("api://cloudivize/organizations/")


def test_a_federated_connection_verifies_lists_and_deallocates_with_no_secret_anywhere(
    api, demo_token, demo_azure, local_stack, running_stack, made
):
    body = azure_body(demo_azure, "federated")
    created = connect(api, demo_token, body, made)
    assert created.status_code == 201, created.text
    connection = created.json()
    verified = api.request("POST", f"/connections/{connection['id']}/verify", token=demo_token)
    before = machines(api, demo_token, connection["id"])
    result = deallocate(api, demo_token, connection["id"], demo_azure, "web-frontend")

    assert not {"application_secret", "secret_expires_at"} & body.keys()
    assert connection["status"] == "verified"
    assert verified.json()["ok"] is True, verified.text
    accepted = {check["name"]: check for check in verified.json()["checks"]}["credential_accepted"]
    assert "with its federated credential" in accepted["detail"]
    assert before == {"web-frontend": "running", "batch-worker": "deallocated", "web-staging": "stopped"}
    assert (result["ok"], result["state"]) == (True, "deallocating")
    assert machines(api, demo_token, connection["id"])["web-frontend"] == "deallocated"
    item = stored_item(local_stack, connection["id"])
    assert "credentials_sealed" not in item  # a federated connection stores no credential, sealed or not
    assert_nothing_secret_in_the_clear(running_stack, item)


def test_a_certificate_connection_added_through_graph_verifies_lists_and_deallocates(
    api, demo_token, demo_azure, local_stack, running_stack, made
):
    created = connect(api, demo_token, azure_body(demo_azure, "certificate"), made)
    assert created.status_code == 201, created.text
    connection = created.json()
    certificate = connection["azure"]["certificate"]
    refused = api.request("POST", f"/connections/{connection['id']}/verify", token=demo_token)

    # The customer adds the certificate as Microsoft Graph does (what `az ad app credential reset --cert` calls).
    graph, ca = requests.Session(), demo_azure["ca_file"]
    token = graph.post(
        f"{demo_azure['authority_url']}/{demo_azure['directory_id']}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": demo_azure["application_id"],
              "client_secret": demo_azure["application_secret"], "scope": "https://graph.microsoft.com/.default"},
        verify=ca, timeout=10,
    ).json()["access_token"]  # fmt: skip
    added = graph.patch(
        f"{demo_azure['graph_url']}/v1.0/applications(appId='{demo_azure['application_id']}')",
        headers={"Authorization": f"Bearer {token}"},
        json={"keyCredentials": [certificate["key_credential"]]},
        verify=ca,
        timeout=10,
    )
    verified = api.request("POST", f"/connections/{connection['id']}/verify", token=demo_token)
    result = deallocate(api, demo_token, connection["id"], demo_azure, "web-staging")

    assert connection["status"] == "unverified"
    assert "PRIVATE KEY" not in created.text
    assert refused.json()["ok"] is False
    refusal = {check["name"]: check for check in refused.json()["checks"]}["credential_accepted"]["detail"]
    assert "AADSTS700027" in refusal and certificate["thumbprint"] in refusal
    assert added.status_code == 204, added.text
    assert verified.json()["ok"] is True, verified.text
    assert (result["ok"], result["state"]) == (True, "deallocating")
    assert machines(api, demo_token, connection["id"])["web-staging"] == "deallocated"
    assert_nothing_secret_in_the_clear(running_stack, stored_item(local_stack, connection["id"]))


def test_another_organization_is_refused_by_the_demo_application_with_what_to_fix(
    api, local_stack, info_file, demo_azure
):
    email = f"other-org-{uuid.uuid4().hex[:8]}@example.com"
    added = run_cli(info_file, "users", "add", email, "Other-Org-Passw0rd!")
    assert added.returncode == 0, added.stderr
    token = sign_in(local_stack, email, "Other-Org-Passw0rd!")
    audience = api.get("/onboarding/azure", token=token).json()["credential_types"][0]["federated_credential"]

    refused = api.request("POST", "/connections", token=token, json=azure_body(demo_azure, "federated"))

    assert refused.status_code == 422, refused.text
    detail = {check["name"]: check for check in refused.json()["checks"]}["credential_accepted"]["detail"]
    assert "names another audience than your organization's (AADSTS700212)" in detail
    assert audience["audience"] in detail
    assert api.get("/connections", token=token).json()["items"] == []


def test_a_secret_connection_still_works(api, demo_token, demo_azure, made):
    body = azure_body(demo_azure, "secret", application_secret=demo_azure["application_secret"])
    created = connect(api, demo_token, body, made)

    assert created.status_code == 201, created.text
    assert created.json()["status"] == "verified"
    assert created.json()["azure"]["secret_hint"] == demo_azure["application_secret"][:3]
    assert set(machines(api, demo_token, created.json()["id"])) == {"web-frontend", "batch-worker", "web-staging"}
