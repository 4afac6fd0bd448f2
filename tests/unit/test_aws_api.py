"""AWS connections end to end through the handlers, against moto accounts (the customer's is its own account).

moto accepts any AssumeRole and enforces no IAM policy, so refusals by the customer's role are played with
botocore's Stubber on the client Cloudivize would have used.
"""

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from infrastructure.local.customer_account import account_session
from tests.conftest import PRINCIPAL_ARN
from tests.utils import call_api, cloudtrail_event, stub_customer_client

BROKER_CREDENTIALS = {
    "Credentials": {
        "AccessKeyId": "ASIABROKER0000000000",
        "SecretAccessKey": "broker-secret",
        "SessionToken": "broker-session-token",
        "Expiration": datetime(2099, 1, 1, tzinfo=UTC),
    },
    "AssumedRoleUser": {"AssumedRoleId": "AROA:Cloudivize-Broker", "Arn": f"{PRINCIPAL_ARN}/Cloudivize-Broker"},
}


def connect(customer, **overrides):
    body = {"provider": "aws", "name": "Demo", "role_arn": customer.account.role_arn} | overrides
    return call_api("POST", "/connections", claims=customer.claims, body=body)


def checks_of(body) -> dict[str, dict]:
    return {check["name"]: check for check in body["checks"]}


def test_connecting_verifies_live_and_stores_a_verified_connection(customer):
    response = connect(customer)

    assert response.status == 201, response.text
    assert response.json()["status"] == "verified"
    verification = call_api("POST", f"/connections/{response.json()['id']}/verify", claims=customer.claims).json()
    checks = checks_of(verification)
    assert verification["ok"] is True
    assert checks["role_assumable"]["ok"]
    assert checks["cloudtrail_session"]["detail"].endswith(
        f"assumed-role/{customer.account.role_arn.rsplit('/', 1)[1]}/Cloudivize-Session."
    )
    assert checks["trust_policy"]["ok"]
    assert checks["can_view"]["ok"]
    assert checks["can_operate"]["required"] is False


@pytest.mark.parametrize(
    ("trust", "advice"),
    [
        (lambda external_id: {"AWS": "*"}, "any principal"),
        (lambda external_id: {"AWS": PRINCIPAL_ARN}, "does not require an External ID"),
    ],
)
def test_a_role_others_could_assume_is_refused_with_what_to_change(customer, trust, advice):
    role = customer.account.role_arn.rsplit("/", 1)[1]
    unsafe = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": trust(customer.external_id),
                                                      "Action": "sts:AssumeRole"}]}  # fmt: skip
    account_session(customer.account.account_id).client("iam").update_assume_role_policy(
        RoleName=role, PolicyDocument=json.dumps(unsafe)
    )

    response = connect(customer)

    assert response.status == 422
    assert advice in response.json()["detail"]
    assert checks_of(response.json())["trust_policy"]["ok"] is False
    assert call_api("GET", "/connections", claims=customer.claims).json()["items"] == []


def test_external_id_mismatch_is_422_naming_what_to_check(customer, monkeypatch):
    client = boto3.client("sts", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response("assume_role", BROKER_CREDENTIALS)  # Cloudivize's own customer-access role
    for _ in range(2):  # the customer's role refuses, with and without SourceIdentity
        stubber.add_client_error("assume_role", "AccessDenied", "not authorized")
    monkeypatch.setattr("cloudivize.principal.sts_client", lambda region, session=None: client)

    with stubber:
        response = call_api("POST", "/connections", claims=customer.claims,
                            body={"provider": "aws", "name": "x", "role_arn": customer.account.role_arn})  # fmt: skip

    assert response.status == 422
    assert "External ID" in response.json()["detail"]
    assert customer.external_id not in response.text


def test_assets_are_listed_live_across_regions_in_one_shape_and_never_stored(customer, cloud):
    connection = connect(customer, regions=["us-east-1", "eu-west-1"]).json()
    stored_before = cloud.items()

    response = call_api("GET", f"/connections/{connection['id']}/assets", claims=customer.claims)

    assert response.status == 200, response.text
    page = response.json()
    instances = [a for a in page["items"] if a["type"] == "ec2:instance"]
    assert {a["region"] for a in instances} == {"us-east-1", "eu-west-1"}
    assert {a["id"] for a in instances} == {i for ids in customer.account.instance_ids.values() for i in ids}
    first = next(a for a in instances if a["id"] == customer.account.instance_ids["eu-west-1"][0])
    assert first["arn"] == customer.account.instance_arn("eu-west-1")
    assert first["name"] == "web-eu-west-1-1" and first["tags"]["env"] == "demo" and first["state"] == "running"
    assert any(a["type"] == "s3:bucket" and a["id"] == customer.account.bucket for a in page["items"])
    assert page["errors"] == []
    assert cloud.items() == stored_before  # nothing about an asset is written
    for asset in page["items"]:
        assert all(asset["id"] not in json.dumps(item, default=str) for item in cloud.items())


def test_assets_filter_by_type_and_region_and_page(customer):
    connection = connect(customer, regions=["us-east-1", "eu-west-1"]).json()
    path = f"/connections/{connection['id']}/assets"

    only_eu = call_api("GET", path, claims=customer.claims, query="type=ec2:instance&region=eu-west-1").json()
    first = call_api("GET", path, claims=customer.claims, query="type=ec2:instance&limit=3").json()
    rest = call_api(
        "GET", path, claims=customer.claims, query=f"type=ec2:instance&limit=3&next_token={first['next_token']}"
    )
    other_query = call_api("GET", path, claims=customer.claims, query=f"limit=3&next_token={first['next_token']}")

    assert {a["region"] for a in only_eu["items"]} == {"eu-west-1"} and len(only_eu["items"]) == 2
    assert len(first["items"]) == 3 and first["next_token"]
    assert len(rest.json()["items"]) == 1 and rest.json()["next_token"] is None
    assert other_query.status == 400  # a token only continues the query it came from


def test_asking_for_a_region_outside_the_connection_is_422(customer):
    connection = connect(customer, regions=["us-east-1"]).json()

    response = call_api(
        "GET", f"/connections/{connection['id']}/assets", claims=customer.claims, query="region=eu-west-1"
    )

    assert response.status == 422


def test_default_regions_are_those_enabled_in_the_account(customer):
    connection = connect(customer).json()

    page = call_api("GET", f"/connections/{connection['id']}/assets", claims=customer.claims, query="type=ec2:instance")

    assert {a["region"] for a in page.json()["items"]} == {"us-east-1", "eu-west-1"}


def test_a_failing_region_is_reported_and_the_others_still_answer(customer, monkeypatch):
    connection = connect(customer, regions=["us-east-1", "eu-west-1"]).json()
    deny = lambda operation, code: lambda stubber: stubber.add_client_error(operation, code)  # noqa: E731
    stub_customer_client(monkeypatch, "ec2", deny("describe_instances", "UnauthorizedOperation"), region="eu-west-1")
    stub_customer_client(
        monkeypatch, "resourcegroupstaggingapi", deny("get_resources", "AccessDeniedException"), region="eu-west-1"
    )
    page = call_api("GET", f"/connections/{connection['id']}/assets", claims=customer.claims).json()

    assert sorted((e["region"], e["service"], e["error"]) for e in page["errors"]) == [
        ("eu-west-1", "ec2", "UnauthorizedOperation"),
        ("eu-west-1", "tagging", "AccessDeniedException"),
    ]
    assert {a["region"] for a in page["items"] if a["type"] == "ec2:instance"} == {"us-east-1"}


def test_operations_act_per_asset_with_the_customers_role(operating_customer):
    customer = operating_customer
    connection = connect(customer).json()
    target = customer.account.instance_arn("eu-west-1")
    path = f"/connections/{connection['id']}/actions"

    stopped = call_api("POST", path, claims=customer.claims, body={"action": "stop", "asset_ids": [target, "nope"]})
    tagged = call_api("POST", path, claims=customer.claims, body={"action": "tag", "asset_ids": [target],
                                                                   "tags": {"owner": "ops"}})  # fmt: skip

    assert stopped.status == 200, stopped.text
    assert stopped.json()["results"][0] == {"asset_id": target, "ok": True, "state": "stopping", "detail": None}
    assert stopped.json()["results"][1]["ok"] is False
    assert tagged.json()["results"] == [{"asset_id": target, "ok": True, "state": None, "detail": None}]
    ec2 = account_session(customer.account.account_id).client("ec2", region_name="eu-west-1")
    instance = ec2.describe_instances(InstanceIds=[target.rsplit("/", 1)[1]])["Reservations"][0]["Instances"][0]
    assert {"Key": "owner", "Value": "ops"} in instance["Tags"]
    assert instance["State"]["Name"] in ("stopping", "stopped")


def test_an_operation_the_role_denies_is_403_naming_the_permission(customer, monkeypatch):
    connection = connect(customer).json()
    stub_customer_client(
        monkeypatch, "ec2", lambda stubber: stubber.add_client_error("stop_instances", "UnauthorizedOperation")
    )
    response = call_api("POST", f"/connections/{connection['id']}/actions", claims=customer.claims,
                        body={"action": "stop", "asset_ids": [customer.account.instance_arn("us-east-1")]})  # fmt: skip

    assert response.status == 403
    problem = response.json()
    assert problem["missing_permission"] == "ec2:StopInstances"
    assert "Grant ec2:StopInstances" in problem["detail"] and customer.account.role_arn in problem["detail"]


def test_plain_instance_ids_need_a_region(operating_customer):
    connection = connect(operating_customer).json()
    instance_id = operating_customer.account.instance_ids["us-east-1"][0]
    path = f"/connections/{connection['id']}/actions"

    without = call_api(
        "POST", path, claims=operating_customer.claims, body={"action": "start", "asset_ids": [instance_id]}
    )
    with_region = call_api("POST", path, claims=operating_customer.claims,
                           body={"action": "reboot", "asset_ids": [instance_id], "region": "us-east-1"})  # fmt: skip

    assert without.status == 422 and without.json()["errors"][0]["field"] == "region"
    assert with_region.json()["results"][0]["ok"] is True


def test_activity_is_the_customers_cloudtrail_for_cloudivize_sessions(customer, monkeypatch):
    connection = connect(customer).json()
    event = cloudtrail_event("i-0abc")

    stub_customer_client(
        monkeypatch,
        "cloudtrail",
        lambda stubber: stubber.add_response(
                "lookup_events",
                {"Events": [event], "NextToken": "next-1"},
                {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "Cloudivize-Session"}],
                 "MaxResults": 10, "StartTime": ANY},
        ),
    )  # fmt: skip
    response = call_api("GET", f"/connections/{connection['id']}/activity", claims=customer.claims,
                        query="limit=10&start=2026-11-28T00:00:00Z")  # fmt: skip

    assert response.status == 200, response.text
    [item] = response.json()["items"]
    assert item["name"] == "StopInstances" and item["source_identity"] == "user-1" and item["read_only"] is False
    assert response.json()["next_token"] == "next-1"


def test_activity_denied_names_the_permission(customer, monkeypatch):
    connection = connect(customer).json()
    stub_customer_client(
        monkeypatch, "cloudtrail", lambda stubber: stubber.add_client_error("lookup_events", "AccessDeniedException")
    )
    response = call_api("GET", f"/connections/{connection['id']}/activity", claims=customer.claims)

    assert response.status == 403
    assert response.json()["missing_permission"] == "cloudtrail:LookupEvents"
