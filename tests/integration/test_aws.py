"""AWS accounts end to end over real HTTP with real tokens: onboarding, connecting the demo account's role,
the External ID defence, live assets, operations, and the refusals only AWS (here: Stubber) produces.

The session's stack (a subprocess, as ``make run``) seeds the demo tenant's "customer" account; its emulator
refuses AssumeRole as AWS does (``trust_enforcement``). The Stubber tests run against a second stack started
in this process, so they can patch the client the functions open in the customer account.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from infrastructure.local.aws.emulator import aws_client
from infrastructure.local.customer_account import DEMO_REGIONS, account_session
from infrastructure.local.stack_info import StackInfo
from tests.utils import cloudtrail_event, stub_customer_client

from .conftest import Api, run_cli, sign_in

pytestmark = pytest.mark.integration

PASSWORD = "Second-Tenant-Passw0rd!"
ASSET_FIELDS = {"provider", "id", "arn", "name", "type", "region", "account_id", "state", "tags"}


def connect(api: Api, token: str, role_arn: str, **extra):
    body = {"provider": "aws", "name": "Demo", "role_arn": role_arn} | extra
    return api.request("POST", "/connections", token=token, json=body)


def checks_of(verification: dict) -> dict[str, dict]:
    return {check["name"]: check for check in verification["checks"]}


def customer_ec2(info: StackInfo, region: str):
    """The demo account's EC2, as its owner sees it (the emulator's admin role for the account)."""
    endpoint = info.resources.aws_endpoint_url
    session = account_session(info.demo_customer_account_id, endpoint_url=endpoint)
    return session.client("ec2", region_name=region, endpoint_url=endpoint)


def demo_instances(info: StackInfo) -> dict[str, set[str]]:
    return {
        region: {
            instance["InstanceId"]
            for reservation in customer_ec2(info, region).describe_instances()["Reservations"]
            for instance in reservation["Instances"]
        }
        for region in DEMO_REGIONS
    }


@pytest.fixture(scope="module")
def demo_connection(api, local_stack, demo_token) -> dict:
    """The demo role, connected for the demo tenant in the two regions that have instances."""
    created = connect(api, demo_token, local_stack.demo_role_arn, name="Demo assets", regions=list(DEMO_REGIONS))
    assert created.status_code == 201, created.text
    return created.json()


def test_onboarding_tells_the_tenant_what_to_trust_and_the_demo_role_trusts_exactly_that(api, local_stack, demo_token):
    response = api.get("/onboarding/aws", token=demo_token)

    assert response.status_code == 200, response.text
    onboarding = response.json()
    principal, external_id = onboarding["principal_arn"], onboarding["external_id"]
    assert principal == local_stack.resources.customer_access_role_arn
    assert len(external_id) == 48 and external_id.isalnum()
    [statement] = onboarding["trust_policy"]["Statement"]
    assert statement["Principal"] == {"AWS": principal}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}
    assert "ExternalId" in onboarding["cloudformation_template"]
    link = urlsplit(onboarding["quick_create_url"])
    filled = parse_qs(link.fragment.split("?", 1)[1])
    assert filled["templateURL"] == [local_stack.resources.onboarding_template_url]
    assert filled["param_ExternalId"] == [external_id]
    assert filled["param_CloudivizePrincipalArn"] == [principal]

    endpoint = local_stack.resources.aws_endpoint_url
    iam = account_session(local_stack.demo_customer_account_id, endpoint_url=endpoint).client(
        "iam", endpoint_url=endpoint
    )
    role = iam.get_role(RoleName=local_stack.demo_role_arn.rsplit("/", 1)[1])["Role"]
    assert role["AssumeRolePolicyDocument"] == onboarding["trust_policy"]


def test_the_demo_role_connects_verified_and_every_check_passes(api, local_stack, demo_token):
    created = connect(api, demo_token, local_stack.demo_role_arn)

    assert created.status_code == 201, created.text
    connection = created.json()
    assert connection["status"] == "verified"
    assert connection["aws"]["account_id"] == local_stack.demo_customer_account_id

    verified = api.request("POST", f"/connections/{connection['id']}/verify", token=demo_token)

    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"] is True
    checks = checks_of(verified.json())
    assert all(checks[name]["ok"] for name in ("role_assumable", "trust_policy", "can_view", "can_operate"))
    role_name = local_stack.demo_role_arn.rsplit("/", 1)[1]
    session = f"arn:aws:sts::{local_stack.demo_customer_account_id}:assumed-role/{role_name}/Cloudivize-Session"
    assert checks["cloudtrail_session"]["ok"] and session in checks["cloudtrail_session"]["detail"]

    again = connect(api, demo_token, local_stack.demo_role_arn, name="Demo again")
    assert again.status_code == 409, again.text
    assert again.json()["existing_connection_id"] == connection["id"] and connection["id"] in again.json()["detail"]
    assert local_stack.demo_role_arn not in again.text  # the role ARN is sealed data: the id names it
    # A tenant holds one connection per role: this one goes, so that the tests below connect it their way.
    assert api.request("DELETE", f"/connections/{connection['id']}", token=demo_token).status_code == 204


def test_another_tenant_cannot_use_the_demo_role_and_no_external_id_leaks(api, local_stack, info_file, demo_token):
    email = f"intruder-{uuid.uuid4().hex[:8]}@example.com"
    assert run_cli(info_file, "users", "add", email, PASSWORD).returncode == 0
    intruder = sign_in(local_stack, email, PASSWORD)
    external_ids = [api.get("/onboarding/aws", token=token).json()["external_id"] for token in (demo_token, intruder)]
    assert external_ids[0] != external_ids[1]

    response = connect(api, intruder, local_stack.demo_role_arn)

    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert "External ID" in problem["detail"] and local_stack.demo_role_arn in problem["detail"]
    assert checks_of(problem)["role_assumable"]["ok"] is False
    assert all(external_id not in response.text for external_id in external_ids)
    assert api.get("/connections", token=intruder).json()["items"] == []


def test_assets_of_both_regions_come_live_in_one_shape_with_filters_and_pages(api, local_stack, demo_token,
                                                                             demo_connection):  # fmt: skip
    path = f"/connections/{demo_connection['id']}/assets"
    expected = demo_instances(local_stack)

    everything = api.get(path, token=demo_token)

    assert everything.status_code == 200, everything.text
    page = everything.json()
    assert page["errors"] == [] and page["next_token"] is None
    assert all(set(asset) == ASSET_FIELDS and asset["provider"] == "aws" for asset in page["items"])
    assert {asset["account_id"] for asset in page["items"]} == {local_stack.demo_customer_account_id}
    instances = [asset for asset in page["items"] if asset["type"] == "ec2:instance"]
    assert {region: {a["id"] for a in instances if a["region"] == region} for region in DEMO_REGIONS} == expected
    first = next(a for a in instances if a["region"] == "eu-west-1")
    assert first["arn"] == f"arn:aws:ec2:eu-west-1:{local_stack.demo_customer_account_id}:instance/{first['id']}"
    assert first["tags"]["env"] == "demo" and first["name"].startswith("web-eu-west-1-")
    assert f"demo-assets-{local_stack.demo_customer_account_id}" in {a["id"] for a in page["items"]}

    only_eu = api.get(path, token=demo_token, params={"type": "ec2:instance", "region": "eu-west-1"}).json()
    assert {a["id"] for a in only_eu["items"]} == expected["eu-west-1"]
    first_page = api.get(path, token=demo_token, params={"type": "ec2:instance", "limit": 3}).json()
    second_page = api.get(
        path, token=demo_token, params={"type": "ec2:instance", "limit": 3, "next_token": first_page["next_token"]}
    ).json()
    assert len(first_page["items"]) == 3 and first_page["next_token"]
    assert len(second_page["items"]) == 1 and second_page["next_token"] is None
    assert {a["id"] for a in first_page["items"] + second_page["items"]} == set().union(*expected.values())

    dynamodb = aws_client("dynamodb", local_stack.resources.aws_endpoint_url, local_stack.resources.region)
    stored = json.dumps(dynamodb.scan(TableName=local_stack.resources.table_name)["Items"])
    for asset in page["items"]:
        assert asset["id"] not in stored and asset["arn"] not in stored


def test_stop_and_tag_act_on_the_instance_per_asset(api, local_stack, demo_token, demo_connection):
    instance_id = sorted(demo_instances(local_stack)["us-east-1"])[-1]
    target = f"arn:aws:ec2:us-east-1:{local_stack.demo_customer_account_id}:instance/{instance_id}"
    path = f"/connections/{demo_connection['id']}/actions"

    stopped = api.request("POST", path, token=demo_token, json={"action": "stop", "asset_ids": [target, "nope"]})
    tagged = api.request(
        "POST", path, token=demo_token, json={"action": "tag", "asset_ids": [target], "tags": {"owner": "ops"}}
    )

    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["action"] == "stop"
    assert stopped.json()["results"][0] == {"asset_id": target, "ok": True, "state": "stopping", "detail": None}
    assert stopped.json()["results"][1]["asset_id"] == "nope" and stopped.json()["results"][1]["ok"] is False
    assert tagged.status_code == 200, tagged.text
    assert tagged.json()["results"] == [{"asset_id": target, "ok": True, "state": None, "detail": None}]
    reservations = customer_ec2(local_stack, "us-east-1").describe_instances(InstanceIds=[instance_id])["Reservations"]
    instance = reservations[0]["Instances"][0]
    assert instance["State"]["Name"] in ("stopping", "stopped")
    assert {"Key": "owner", "Value": "ops"} in instance["Tags"]


def test_activity_is_an_empty_trail_in_the_emulator(api, demo_token, demo_connection):
    response = api.get(f"/connections/{demo_connection['id']}/activity", token=demo_token)

    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_token": None}


# Refusals moto cannot produce, played by botocore's Stubber inside an in-process stack.


@pytest.fixture(scope="module")
def in_process(in_process_stack):
    """The in-process stack's API, the demo user's token and a connection of the demo role."""
    api = Api(in_process_stack.api_url)
    token = sign_in(in_process_stack, in_process_stack.demo_username, in_process_stack.demo_password)
    created = connect(api, token, in_process_stack.demo_role_arn, regions=list(DEMO_REGIONS))
    assert created.status_code == 201, created.text
    instance = sorted(demo_instances(in_process_stack)["eu-west-1"])[0]
    arn = f"arn:aws:ec2:eu-west-1:{in_process_stack.demo_customer_account_id}:instance/{instance}"
    return api, token, f"/connections/{created.json()['id']}", arn, in_process_stack


def refuse(operation: str, code: str, status: int):
    return lambda stubber: stubber.add_client_error(operation, code, "refused", http_status_code=status)


def test_an_operation_the_role_does_not_allow_is_403_naming_the_permission(in_process, monkeypatch):
    api, token, path, instance_arn, info = in_process
    stub_customer_client(monkeypatch, "ec2", refuse("stop_instances", "UnauthorizedOperation", 403))

    response = api.request("POST", f"{path}/actions", token=token, json={"action": "stop", "asset_ids": [instance_arn]})

    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["missing_permission"] == "ec2:StopInstances"
    assert "Grant ec2:StopInstances" in problem["detail"] and info.demo_role_arn in problem["detail"]
    assert (
        customer_ec2(info, "eu-west-1").describe_instances(InstanceIds=[instance_arn.rsplit("/", 1)[1]])[
            "Reservations"
        ][0]["Instances"][0]["State"]["Name"]
        == "running"
    )


def test_throttling_by_aws_is_503_retry_later(in_process, monkeypatch):
    api, token, path, instance_arn, _ = in_process
    stub_customer_client(monkeypatch, "ec2", refuse("stop_instances", "Throttling", 400))

    response = api.request("POST", f"{path}/actions", token=token, json={"action": "stop", "asset_ids": [instance_arn]})

    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "throttling" in response.json()["detail"]


def test_activity_is_read_from_the_customers_cloudtrail(in_process, monkeypatch):
    api, token, path, instance_arn, _ = in_process
    event = cloudtrail_event(instance_arn.rsplit("/", 1)[1])
    lookup = {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "Cloudivize-Session"}],
              "MaxResults": 10}  # fmt: skip
    stub_customer_client(
        monkeypatch, "cloudtrail", lambda stubber: stubber.add_response("lookup_events", {"Events": [event]}, lookup)
    )

    response = api.get(f"{path}/activity", token=token, params={"limit": 10})

    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["name"] == "StopInstances" and item["source_identity"] == "user-1" and item["read_only"] is False
    assert item["resources"] == [{"type": "AWS::EC2::Instance", "name": instance_arn.rsplit("/", 1)[1]}]


def test_activity_the_role_may_not_read_is_403_naming_the_permission(in_process, monkeypatch):
    api, token, path, _, info = in_process
    stub_customer_client(monkeypatch, "cloudtrail", refuse("lookup_events", "AccessDeniedException", 400))

    response = api.get(f"{path}/activity", token=token)

    assert response.status_code == 403, response.text
    assert response.json()["missing_permission"] == "cloudtrail:LookupEvents"
    assert info.demo_role_arn in response.json()["detail"]
