"""A denied action, for real: the demo account's read-only role, connected over real HTTP, lists its instances and
is refused a stop by the emulator as AWS refuses it (``permission_enforcement``); the API answers the permission
the role lacks. The operating demo role, in the same account, still stops the same instance.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infrastructure.local.customer_account import DEMO_REGIONS
from tests.integration.test_aws import checks_of, connect, customer_ec2, demo_instances

pytestmark = pytest.mark.integration

REGION = DEMO_REGIONS[1]  # eu-west-1: the session's other AWS tests stop an instance of us-east-1


def instance_state(local_stack, instance_id: str) -> str:
    reservations = customer_ec2(local_stack, REGION).describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


@pytest.fixture(scope="module")
def read_only_connection(api, local_stack, demo_token) -> Iterator[dict]:
    created = connect(api, demo_token, local_stack.demo_read_only_role_arn, name="Read-only", regions=[REGION])
    assert created.status_code == 201, created.text
    yield created.json()
    assert api.request("DELETE", f"/connections/{created.json()['id']}", token=demo_token).status_code == 204


@pytest.fixture(scope="module")
def target(local_stack) -> tuple[str, str]:
    """An instance of the demo account, running: its id and ARN."""
    instance_id = sorted(demo_instances(local_stack)[REGION])[0]
    assert instance_state(local_stack, instance_id) == "running"
    return instance_id, f"arn:aws:ec2:{REGION}:{local_stack.demo_customer_account_id}:instance/{instance_id}"


def test_the_read_only_role_is_a_role_of_the_demo_account_beside_the_operating_one(local_stack):
    account = local_stack.demo_customer_account_id

    assert local_stack.demo_read_only_role_arn == f"arn:aws:iam::{account}:role/CloudivizeReadOnly"
    assert local_stack.demo_role_arn == f"arn:aws:iam::{account}:role/CloudivizeAccess"


def test_the_read_only_role_lists_its_instances_and_its_verification_says_it_cannot_operate(
    api, local_stack, demo_token, read_only_connection
):
    path = f"/connections/{read_only_connection['id']}"

    listed = api.get(f"{path}/assets", token=demo_token, params={"type": "ec2:instance", "region": REGION})
    verified = api.request("POST", f"{path}/verify", token=demo_token)

    assert listed.status_code == 200, listed.text
    assert {asset["id"] for asset in listed.json()["items"]} == demo_instances(local_stack)[REGION]
    assert verified.status_code == 200, verified.text
    checks = checks_of(verified.json())
    assert checks["can_view"]["ok"] is True
    assert checks["can_operate"] == {
        "name": "can_operate",
        "ok": False,
        "required": False,
        "detail": "Read-only for ec2:StartInstances, ec2:StopInstances, ec2:RebootInstances: grant them to "
        f"{local_stack.demo_read_only_role_arn} to operate from Cloudivize.",
    }


def test_stopping_with_the_read_only_role_is_403_naming_ec2_stop_instances_and_nothing_stops(
    api, local_stack, demo_token, read_only_connection, target
):
    instance_id, instance_arn = target
    path = f"/connections/{read_only_connection['id']}/actions"

    response = api.request("POST", path, token=demo_token, json={"action": "stop", "asset_ids": [instance_arn]})

    assert response.status_code == 403, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["missing_permission"] == "ec2:StopInstances"
    assert problem["aws_error"] == "UnauthorizedOperation"
    assert problem["detail"] == (
        f"The role {local_stack.demo_read_only_role_arn} does not allow ec2:StopInstances. Grant ec2:StopInstances "
        "to the role to enable this (the Cloudivize template does so with AllowOperations=true); Cloudivize needs "
        "no change."
    )
    assert instance_state(local_stack, instance_id) == "running"


@pytest.fixture
def operating_connection_id(api, local_stack, demo_token) -> Iterator[str]:
    """The operating demo role's connection: the one the session's other AWS tests hold, or one of its own."""
    created = connect(api, demo_token, local_stack.demo_role_arn, regions=[REGION])
    assert created.status_code in (201, 409), created.text
    if created.status_code == 409:
        yield created.json()["existing_connection_id"]
        return
    yield created.json()["id"]
    # Removed again: a tenant holds one connection per role, and the other tests connect it their way.
    assert api.request("DELETE", f"/connections/{created.json()['id']}", token=demo_token).status_code == 204


def test_the_operating_demo_role_still_stops_the_same_instance(
    api, local_stack, demo_token, target, operating_connection_id
):
    instance_id, instance_arn = target
    path = f"/connections/{operating_connection_id}/actions"

    response = api.request("POST", path, token=demo_token, json={"action": "stop", "asset_ids": [instance_arn]})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "action": "stop",
        "results": [{"asset_id": instance_arn, "ok": True, "state": "stopping", "detail": None}],
    }
    assert instance_state(local_stack, instance_id) in ("stopping", "stopped")
