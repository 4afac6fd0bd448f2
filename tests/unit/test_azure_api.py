"""Azure connections end to end through the handlers, the Azure SDK answered by a fake through its transport.

The fake (tests/azure_fake.py: the local stack's demo Azure with the tests' content) plays Microsoft Entra ID and
Resource Manager: AADSTS sign-in errors, ARM error codes, throttling, and RBAC enforced from each subscription's
role permissions.
"""

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest

from tests.azure_fake import (
    APPLICATION_ID,
    DIRECTORY_ID,
    READER,
    SECRET,
    STORAGE,
    SUB_A,
    SUB_B,
    SUB_HIDDEN,
    TAG_CONTRIBUTOR,
    VM_CONTRIBUTOR,
    WEB_1,
    WEB_2,
    clear_azure_caches,
    plug_fake_transport,
    point_azure_at,
)
from tests.utils import call_api, claims_for


@pytest.fixture
def ana(cloud):
    return claims_for("tenant-azure", "user-ana")


def azure_body(**overrides):
    return {
        "provider": "azure",
        "name": "Subscriptions",
        "directory_id": DIRECTORY_ID,
        "application_id": APPLICATION_ID,
        "application_secret": SECRET,
    } | overrides


def connect(claims, **overrides):
    return call_api("POST", "/connections", claims=claims, body=azure_body(**overrides))


def checks_of(body) -> dict[str, dict]:
    return {check["name"]: check for check in body["checks"]}


def connections_of(claims) -> list:
    return call_api("GET", "/connections", claims=claims).json()["items"]


# --- connect and verify ---------------------------------------------------------------------------------
def test_connecting_signs_in_lists_subscriptions_and_reads_the_roles(azure, ana):
    response = connect(ana)

    assert response.status == 201, response.text
    assert response.json()["status"] == "verified"
    verification = call_api("POST", f"/connections/{response.json()['id']}/verify", claims=ana)
    assert verification.status == 200, verification.text
    checks = checks_of(verification.json())
    assert verification.json()["ok"] is True
    assert checks["credential_accepted"]["ok"] and APPLICATION_ID in checks["credential_accepted"]["detail"]
    assert checks["subscriptions_reachable"]["ok"]
    assert "Production" in checks["subscriptions_reachable"]["detail"] and SUB_HIDDEN not in response.text
    for sub in (SUB_A, SUB_B):
        assert checks[f"can_read:{sub}"]["ok"] and checks[f"can_read:{sub}"]["required"]
        write = checks[f"can_write:{sub}"]
        assert write["ok"] is False and write["required"] is False  # Reader: view only
        assert "Microsoft.Compute/virtualMachines/start/action" in write["detail"]
    expiry = checks["secret_expiry"]  # not sent: advice only
    assert (expiry["ok"], expiry["required"]) == (True, False) and "secret_expires_at" in expiry["detail"]
    # The ARM token's scope follows the configured Resource Manager endpoint.
    assert {request["scope"] for request in azure.token_requests} == {f"{azure.arm_url}/.default"}
    assert {request["grant_type"] for request in azure.token_requests} == {"client_credentials"}


def test_a_refused_secret_is_422_with_the_checks_saying_what_to_fix(azure, ana, debug_logs):
    wrong = "Wro8Q~secret-that-must-not-leak-anywhere"

    response = connect(ana, application_secret=wrong)

    assert response.status == 422, response.text
    problem = response.json()
    assert "AADSTS7000215" in problem["detail"] and "secret's Value" in problem["detail"]
    credential = checks_of(problem)["credential_accepted"]
    assert credential["ok"] is False and "AADSTS7000215" in credential["detail"]
    assert connections_of(ana) == []
    assert wrong not in response.text and SECRET not in response.text
    assert wrong not in debug_logs()


def test_an_expired_secret_date_fails_and_a_near_one_warns(azure, ana):
    soon = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()

    expired = connect(ana, secret_expires_at=past)  # refused, so nothing stored: no duplicate of the next
    warned = connect(ana, secret_expires_at=soon)

    assert warned.status == 201
    check = checks_of(call_api("POST", f"/connections/{warned.json()['id']}/verify", claims=ana).json())
    assert check["secret_expiry"]["ok"] is True and check["secret_expiry"]["detail"].startswith("Warning")
    assert expired.status == 422
    assert checks_of(expired.json())["secret_expiry"]["ok"] is False
    assert "secret_expiry: The application secret expired" in expired.json()["detail"]


def test_reverifying_after_the_secret_expired_marks_the_connection_failed(azure, ana, monkeypatch):
    connection = connect(ana).json()
    azure.secret_expired = True
    plug_fake_transport(monkeypatch, azure)  # a new container: no token cached

    response = call_api("POST", f"/connections/{connection['id']}/verify", claims=ana)

    assert response.status == 200
    assert response.json()["ok"] is False
    assert "AADSTS7000222" in checks_of(response.json())["credential_accepted"]["detail"]
    assert call_api("GET", f"/connections/{connection['id']}", claims=ana).json()["status"] == "failed"


def test_throttling_that_persists_is_503_and_stores_nothing(azure, ana):
    azure.subscriptions[SUB_A].throttled = 10

    response = connect(ana)

    assert response.status == 503
    assert "throttling" in response.json()["detail"]
    assert azure.calls.count(("GET", f"/subscriptions/{SUB_A}/providers/Microsoft.Authorization/permissions")) == 3
    assert connections_of(ana) == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_azure_is_a_clear_503_that_stores_nothing_and_never_shows_the_secret(
    cloud, ana, monkeypatch, debug_logs
):
    port = _closed_port()
    point_azure_at(monkeypatch, f"https://127.0.0.1:{port}", f"https://127.0.0.1:{port}")
    try:
        response = connect(ana)
    finally:
        clear_azure_caches()

    assert response.status == 503, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith(f"Cloudivize could not reach Azure (127.0.0.1:{port})")
    assert problem["type"].endswith("/azure-unreachable") and problem["azure_endpoint"] == f"127.0.0.1:{port}"
    assert connections_of(ana) == [] and all(item.get("kind") != "connection" for item in cloud.items())
    assert SECRET not in response.text
    assert SECRET not in debug_logs()


# --- assets ---------------------------------------------------------------------------------------------
def assets(claims, connection_id, query=""):
    return call_api("GET", f"/connections/{connection_id}/assets", claims=claims, query=query)


def test_assets_are_listed_live_in_the_shared_shape_and_never_stored(azure, ana, cloud):
    azure.page_size = 1  # Resource Manager pages its listings: every page is followed
    connection = connect(ana).json()
    stored_before = cloud.items()

    response = assets(ana, connection["id"])

    assert response.status == 200, response.text
    page = response.json()
    by_id = {asset["id"]: asset for asset in page["items"]}
    assert by_id[WEB_1] == {
        "provider": "azure",
        "id": WEB_1,
        "arn": WEB_1,
        "name": "web-1",
        "account_id": None,
        "type": "Microsoft.Compute/virtualMachines",
        "region": "westeurope",
        "state": "running",
        "tags": {"env": "prod"},
    }
    assert by_id[WEB_2]["state"] == "deallocated"
    assert by_id[STORAGE]["type"] == "Microsoft.Storage/storageAccounts" and by_id[STORAGE]["region"] == "northeurope"
    assert by_id[f"/subscriptions/{SUB_A}"]["type"] == "Microsoft.Resources/subscriptions"
    assert by_id[f"/subscriptions/{SUB_A}"]["name"] == "Production"
    assert by_id[f"/subscriptions/{SUB_A}/resourceGroups/web"]["type"] == "Microsoft.Resources/resourceGroups"
    assert any(a["id"].startswith(f"/subscriptions/{SUB_B}/") and a["state"] == "stopped" for a in page["items"])
    assert not any(SUB_HIDDEN in a["id"] for a in page["items"])
    assert len(page["items"]) == len(by_id) == 2 + 3 + 3 + 1  # subscriptions, groups, VMs, storage account
    assert page["errors"] == []
    assert cloud.items() == stored_before
    for asset in page["items"]:
        assert all(asset["id"] not in json.dumps(item, default=str) for item in cloud.items())


# --- actions --------------------------------------------------------------------------------------------
def act(claims, connection_id, **body):
    return call_api("POST", f"/connections/{connection_id}/actions", claims=claims, body=body)


@pytest.fixture
def operator(azure, ana):
    azure.subscriptions[SUB_A].permissions = [READER, VM_CONTRIBUTOR, TAG_CONTRIBUTOR]
    return ana, connect(ana).json()["id"]


def test_vm_start_runs_with_the_applications_role(azure, operator):
    claims, connection_id = operator

    response = act(claims, connection_id, action="start", asset_ids=[WEB_2])

    assert response.status == 200, response.text
    assert response.json() == {
        "action": "start",
        "results": [{"asset_id": WEB_2, "ok": True, "state": "starting", "detail": None}],
    }
    assert azure.subscriptions[SUB_A].vms[1].power == "running"


def test_what_the_role_does_not_allow_is_403_naming_the_permission(azure, ana):
    connection_id = connect(ana).json()["id"]  # Reader only

    response = act(ana, connection_id, action="stop", asset_ids=[WEB_1])

    assert response.status == 403, response.text
    problem = response.json()
    permission = "Microsoft.Compute/virtualMachines/deallocate/action"
    assert problem["missing_permission"] == permission and problem["azure_error"] == "AuthorizationFailed"
    assert permission in problem["detail"] and APPLICATION_ID in problem["detail"]
    assert azure.subscriptions[SUB_A].vms[0].power == "running"
