"""The connections and settings API over real HTTP, with real tokens, for two tenants (issue: data protection)."""

from __future__ import annotations

import json
import uuid

import pytest

from infrastructure.local.aws.emulator import aws_client

from .conftest import run_cli, sign_in

pytestmark = pytest.mark.integration

PASSWORD = "Another-Strong-Passw0rd!"
AZURE_SECRET = "Kq8~integration-secret-value-42"
ROLE_ARN = "arn:aws:iam::210987654321:role/SomeRole"
SUBSCRIPTION_ID = "2c3d4e5f-6071-4829-a3b4-c5d6e7f8091a"


@pytest.fixture(scope="module")
def tenants(api, local_stack, info_file, demo_token):
    """The demo user's tenant and a second tenant of a newly added user."""
    email = f"second-{uuid.uuid4().hex[:8]}@example.com"
    assert run_cli(info_file, "users", "add", email, PASSWORD).returncode == 0
    return demo_token, sign_in(local_stack, email, PASSWORD)


def aws_body(**overrides):
    return {"provider": "aws", "name": "Prod", "role_arn": ROLE_ARN, "verify": False} | overrides


def azure_body(**overrides):
    return {
        "provider": "azure",
        "name": "Subscriptions",
        "directory_id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
        "application_id": "1a2b3c4d-5e6f-4081-9223-b4c5d6e7f809",
        "application_secret": AZURE_SECRET,
        "verify": False,
    } | overrides


def test_the_whole_lifecycle_of_a_connection(api, tenants):
    mine, _ = tenants

    created = api.request("POST", "/connections", token=mine, json=aws_body())
    assert created.status_code == 201, created.text
    connection = created.json()
    path = f"/connections/{connection['id']}"
    assert created.headers["Location"] == path and created.headers["X-Request-Id"]

    assert api.get(path, token=mine).json() == connection
    assert connection["id"] in [c["id"] for c in api.get("/connections", token=mine).json()["items"]]

    renamed = api.request("PATCH", path, token=mine, json={"version": 1, "name": "Production"})
    assert renamed.status_code == 200 and renamed.json()["version"] == 2

    stale = api.request("PATCH", path, token=mine, json={"version": 1, "name": "lost update"})
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    assert api.get(path, token=mine).json()["name"] == "Production"

    assert api.request("DELETE", path, token=mine).status_code == 204
    assert api.request("DELETE", path, token=mine).status_code == 404
    assert api.get(path, token=mine).status_code == 404


def test_another_tenant_sees_nothing_and_can_change_nothing(api, tenants):
    mine, theirs = tenants
    connection = api.request(
        "POST", "/connections", token=mine, json=aws_body(name="Mine", role_arn=ROLE_ARN + "Mine")
    ).json()
    path = f"/connections/{connection['id']}"

    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"version": 1, "name": "taken"}),
        ("DELETE", "", None),
        ("POST", "/verify", None),
        ("GET", "/assets", None),
    ]:
        response = api.request(method, path + suffix, token=theirs, json=body)
        assert response.status_code == 404, (method, suffix, response.text)
    assert connection["id"] not in [c["id"] for c in api.get("/connections", token=theirs).json()["items"]]
    assert api.get(path, token=mine).json()["name"] == "Mine"


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        ('{"provider": "aws", "name": ', 400, "body"),
        (json.dumps(aws_body(name=["not", "a", "string"])), 422, "name"),
        (json.dumps(aws_body(role_arn="arn:aws:iam::1:role/x")), 422, "role_arn"),
        (json.dumps(aws_body(external_id="mine-now")), 422, "external_id"),
        (json.dumps(azure_body(subscription_ids=["nope"])), 422, "subscription_ids.0"),
        (json.dumps(azure_body(application_secret="too-short")), 422, "application_secret"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_stores_nothing(api, tenants, raw, status, field):
    mine, _ = tenants
    before = api.get("/connections", token=mine).json()["items"]

    response = api.request("POST", "/connections", token=mine, data=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert api.get("/connections", token=mine).json()["items"] == before


def test_an_oversize_body_is_413(api, tenants):
    mine, _ = tenants

    response = api.request("POST", "/connections", token=mine, json=aws_body(name="x" * 100_000))

    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_the_azure_secret_never_comes_back(api, tenants):
    mine, _ = tenants

    created = api.request("POST", "/connections", token=mine, json=azure_body())
    listed = api.get("/connections", token=mine)
    fetched = api.get(f"/connections/{created.json()['id']}", token=mine)

    assert created.status_code == 201, created.text
    for response in (created, listed, fetched):
        assert AZURE_SECRET not in response.text
    assert fetched.json()["azure"]["secret_hint"] == AZURE_SECRET[:3]


def test_a_retried_create_with_an_idempotency_key_creates_once(api, tenants):
    mine, _ = tenants
    key = {"Idempotency-Key": uuid.uuid4().hex}
    once = aws_body(name="Once", role_arn=ROLE_ARN + "Once")  # a tenant holds one connection per role

    first = api.request("POST", "/connections", token=mine, json=once, headers=key)
    retry = api.request("POST", "/connections", token=mine, json=once, headers=key)

    assert first.status_code == retry.status_code == 201
    assert first.json()["id"] == retry.json()["id"]
    assert [c["name"] for c in api.get("/connections", token=mine).json()["items"]].count("Once") == 1


def test_listing_pages(api, tenants):
    _, theirs = tenants
    for index in range(3):
        api.request(
            "POST", "/connections", token=theirs, json=aws_body(name=f"page-{index}", role_arn=f"{ROLE_ARN}{index}")
        )

    first = api.get("/connections", token=theirs, params={"limit": 2}).json()
    second = api.get("/connections", token=theirs, params={"limit": 2, "next_token": first["next_token"]}).json()

    assert len(first["items"]) == 2 and first["next_token"]
    names = [c["name"] for c in first["items"] + second["items"]]
    assert sorted(n for n in names if n.startswith("page-")) == ["page-0", "page-1", "page-2"]


def test_settings_are_per_user_and_validated(api, tenants):
    mine, theirs = tenants

    saved = api.request("PUT", "/settings", token=mine, json={"theme": "dark", "default_regions": ["eu-west-1"]})
    invalid = api.request("PUT", "/settings", token=mine, json={"theme": "neon"})

    assert saved.status_code == 200 and saved.json()["theme"] == "dark"
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "theme"
    assert api.get("/settings", token=mine).json()["theme"] == "dark"
    assert api.get("/settings", token=theirs).json()["theme"] == "system"


def test_the_table_holds_only_metadata_and_sealed_fields(api, tenants, local_stack):
    mine, _ = tenants
    api.request("POST", "/connections", token=mine, json=azure_body(name="Scanned", subscription_ids=[SUBSCRIPTION_ID]))
    table = aws_client("dynamodb", local_stack.resources.aws_endpoint_url, local_stack.resources.region)

    items = table.scan(TableName=local_stack.resources.table_name)["Items"]

    kinds = {item["kind"]["S"] for item in items}
    assert kinds <= {"tenant", "connection", "user_settings", "member", "membership", "profile"}
    dumped = json.dumps(items)
    for clear in (
        AZURE_SECRET,
        ROLE_ARN,
        "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
        "1a2b3c4d-5e6f-4081-9223-b4c5d6e7f809",
    ):
        assert clear not in dumped


def test_the_openapi_document_describes_the_connections_api(api):
    paths = api.get("/openapi.json").json()["paths"]

    assert {"/connections", "/connections/{connection_id}", "/settings"} <= set(paths)
    assert "patch" in paths["/connections/{connection_id}"]
