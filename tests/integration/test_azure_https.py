"""Azure through the real SDK over real HTTPS: a local fake of Entra ID and Resource Manager with a certificate
made at start, trusted through REQUESTS_CA_BUNDLE, and Cloudivize pointed at it the way an operator points it at a
sovereign cloud (AZURE_AUTHORITY_HOST, AZURE_RESOURCE_MANAGER_URL).

The handlers run in this process (tests.utils.call_api over moto); only Azure is on the wire.
"""

from __future__ import annotations

import pytest

from tests.azure_fake import (
    APPLICATION_ID,
    DIRECTORY_ID,
    READER,
    SECRET,
    SUB_A,
    TAG_CONTRIBUTOR,
    VM_CONTRIBUTOR,
    AzureServer,
    FakeAzure,
    clear_azure_caches,
    point_azure_at,
)
from tests.utils import call_api, claims_for

pytestmark = pytest.mark.integration

CLAIMS = claims_for("tenant-https", "user-https")
WEB_2 = f"/subscriptions/{SUB_A}/resourceGroups/web/providers/Microsoft.Compute/virtualMachines/web-2"
BODY = {
    "provider": "azure",
    "name": "Over HTTPS",
    "directory_id": DIRECTORY_ID,
    "application_id": APPLICATION_ID,
    "application_secret": SECRET,
}


@pytest.fixture
def server(tmp_path, monkeypatch):
    fake = FakeAzure()
    fake.subscriptions[SUB_A].permissions = [READER, VM_CONTRIBUTOR, TAG_CONTRIBUTOR]
    with AzureServer(fake, tmp_path) as running:
        point_azure_at(monkeypatch, running.url, running.url)
        yield running
    clear_azure_caches()


def test_verify_list_and_operate_over_https_with_the_real_sdk(cloud, server, monkeypatch, debug_logs):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
    fake = server.fake

    created = call_api("POST", "/connections", claims=CLAIMS, body=BODY)
    assert created.status == 201, created.text
    connection_id = created.json()["id"]
    verification = call_api("POST", f"/connections/{connection_id}/verify", claims=CLAIMS)
    vms = call_api("GET", f"/connections/{connection_id}/assets", claims=CLAIMS,
                   query="type=Microsoft.Compute/virtualMachines")  # fmt: skip
    started = call_api("POST", f"/connections/{connection_id}/actions", claims=CLAIMS,
                       body={"action": "start", "asset_ids": [WEB_2]})  # fmt: skip

    assert verification.status == 200 and verification.json()["ok"] is True, verification.text
    checks = {check["name"]: check for check in verification.json()["checks"]}
    assert checks[f"can_write:{SUB_A}"]["ok"] is True
    assert vms.status == 200, vms.text
    assert [(a["name"], a["state"]) for a in vms.json()["items"]] == [  # subscription by subscription (by id)
        ("web-1", "running"),
        ("web-2", "deallocated"),
        ("dev-1", "stopped"),
    ]
    assert started.status == 200, started.text
    assert started.json()["results"] == [{"asset_id": WEB_2, "ok": True, "state": "starting", "detail": None}]
    assert fake.subscriptions[SUB_A].vms[1].power == "running"
    # One sign-in for all of it (the token is cached in memory), scoped to the configured Resource Manager.
    assert [(r["host"], r["scope"]) for r in fake.token_requests] == [
        (server.url.removeprefix("https://"), f"{server.url}/.default")
    ]
    assert SECRET not in debug_logs()


def test_an_endpoint_whose_certificate_is_not_trusted_gets_no_secret(cloud, server, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

    response = call_api("POST", "/connections", claims=CLAIMS, body=BODY)

    assert response.status == 503, response.text
    assert response.json()["detail"].startswith(
        f"Cloudivize could not reach Azure ({server.url.removeprefix('https://')}) (its TLS certificate is not trusted"
    )
    assert server.fake.token_requests == []  # TLS failed before any secret was sent
    assert call_api("GET", "/connections", claims=CLAIMS).json()["items"] == []
