"""What the local stack serves and accepts: the published document at /openapi.json, and its request-body examples
sent as they are (each response is also checked against the document by ``Api``)."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import run_cli, sign_in

from .openapi_contract import published_document

pytestmark = pytest.mark.integration

PASSWORD = "Examples-Are-Real-2026!"


@pytest.fixture(scope="module")
def newcomer(local_stack, info_file) -> str:
    """A token of a user of their own organisation, so the examples meet no earlier connection."""
    email = f"examples-{uuid.uuid4().hex[:8]}@example.com"
    assert run_cli(info_file, "users", "add", email, PASSWORD).returncode == 0
    return sign_in(local_stack, email, PASSWORD)


def body_examples(schema_name: str) -> list[dict]:
    return published_document()["components"]["schemas"][schema_name]["examples"]


def test_the_local_stack_serves_the_published_document(api):
    response = api.get("/openapi.json")

    assert response.status_code == 200
    assert response.json() == published_document()


@pytest.mark.parametrize(
    ("schema_name", "index"),
    [
        ("AwsConnectionCreate", 0),
        ("AzureConnectionCreate", 0),
        ("AzureConnectionCreate", 1),
        ("AzureConnectionCreate", 2),
    ],
)
def test_the_connection_examples_are_accepted_as_they_are(api, newcomer, schema_name, index):
    example = body_examples(schema_name)[index]

    created = api.request("POST", "/connections", token=newcomer, json=example)

    assert created.status_code == 201, created.text
    connection = created.json()
    assert (connection["provider"], connection["name"], connection["status"]) == (
        example["provider"],
        example["name"],
        "unverified",
    )
    assert created.headers["Location"] == f"/connections/{connection['id']}"
    assert created.headers["ETag"] == '"1"'


def test_the_settings_example_is_accepted_and_read_back(api, newcomer):
    [example] = body_examples("UserSettings")

    saved = api.request("PUT", "/settings", token=newcomer, json=example)

    assert saved.status_code == 200, saved.text
    read = api.get("/settings", token=newcomer).json()
    assert {key: read[key] for key in example} == example


def test_the_rename_example_changes_a_connection_at_version_1(api, newcomer):
    aws = body_examples("AwsConnectionCreate")[0]  # an account's (the next is an organization's)
    rename = body_examples("ConnectionPatch")[0]
    another_role = {"name": "Before the rename", "role_arn": "arn:aws:iam::123456789012:role/CloudivizeRenamed"}
    created = api.request("POST", "/connections", token=newcomer, json=aws | another_role).json()

    renamed = api.request("PATCH", f"/connections/{created['id']}", token=newcomer, json=rename)

    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["aws"]["regions"]) == (rename["name"], rename["regions"])
    assert renamed.headers["ETag"] == '"2"'
