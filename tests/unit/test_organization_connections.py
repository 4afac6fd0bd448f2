"""Organization connections through the handlers, against an AWS organization in moto: connecting it creates a
verified member connection per account, a sync picks up accounts that joined, marks those that left or were
suspended (never deleting one), is idempotent, and two at once give one result; the organization's assets are
every member's, with each asset's account, and actions reach the member that holds the asset."""

import json
import threading

import pytest
from botocore.exceptions import ClientError

from cloudivize.aws_access.onboarding import trust_policy
from cloudivize.organization_members import plan_sync
from cloudivize.providers.base import MemberAccount
from functions.organization_sync import handler
from infrastructure.local.customer_account import account_session, create_customer_role
from infrastructure.local.customer_organization import (
    DEMO_MANAGEMENT_ACCOUNT_ID,
    add_member_account,
    add_member_account_without_role,
    remove_member_account,
    seed_organization,
    suspend_member_account,
)
from tests.conftest import PRINCIPAL_ARN
from tests.security.test_data_protection import ALLOWED_ATTRIBUTES, SEALED_ATTRIBUTES
from tests.utils import LambdaContext, call_api

MANAGEMENT_ACCOUNT = DEMO_MANAGEMENT_ACCOUNT_ID
REGIONS = ["us-east-1", "eu-west-1"]


class Organization:
    """The local stack's demo organization (``infrastructure.local.customer_organization``), seeded in-process:
    the management account with the discovery role, member accounts with the customer role (as the StackSet would
    create them) and two instances in each of two regions."""

    def __init__(self, external_id: str, names: tuple[str, ...]) -> None:
        self.external_id = external_id
        self.trust = trust_policy(PRINCIPAL_ARN, external_id)
        self.seeded = seed_organization(None, external_id=external_id, principal=PRINCIPAL_ARN, member_names=names)
        self.id, self.discovery_role_arn = self.seeded.organization_id, self.seeded.discovery_role_arn
        self.members = dict(self.seeded.members)
        self.names = dict(zip(self.seeded.member_account_ids, names, strict=True))

    def add(self, name: str, *, with_role: bool = True) -> str:
        if with_role:
            account = add_member_account(None, self.seeded, self.external_id, name, PRINCIPAL_ARN)
            self.members[account.account_id] = account
            account_id = account.account_id
        else:
            account_id = add_member_account_without_role(None, self.seeded, name)
        self.names[account_id] = name
        return account_id

    def remove(self, account_id: str) -> None:
        remove_member_account(None, self.seeded, account_id)

    def suspend(self, account_id: str) -> None:
        suspend_member_account(None, self.seeded, account_id)


@pytest.fixture
def organization(customer):
    return customer, Organization(customer.external_id, ("Member 1", "Member 2", "Member 3"))


def connect(customer, organization, **extra):
    body = {"provider": "aws", "scope": "organization", "name": "Acme", "role_arn": organization.discovery_role_arn,
            "regions": REGIONS, **extra}  # fmt: skip
    return call_api("POST", "/connections", claims=customer.claims, body=body)


def sync(customer, connection_id):
    response = call_api("POST", f"/connections/{connection_id}/sync", claims=customer.claims)
    assert response.status == 200, response.text
    return response.json()


def members_of(customer, connection_id):
    listed = call_api("GET", "/connections", claims=customer.claims, query="limit=100").json()["items"]
    return {c["aws"]["account_id"]: c for c in listed if c["organization_connection_id"] == connection_id}


def test_a_connected_organization_has_a_verified_member_per_account_and_their_assets(organization, monkeypatch):
    """One organization for several checks: each account's moto backends take seconds to make."""
    customer, org = organization
    response = connect(customer, org)

    assert response.status == 201, response.text
    connection = response.json()
    connection_id = connection["id"]
    assert connection["scope"] == "organization" and connection["status"] == "verified"
    assert connection["aws"]["organization"] == {
        "organization_id": org.id,
        "management_account_id": MANAGEMENT_ACCOUNT,
        "member_role_name": "CloudivizeAccess",
        "include_management_account": False,
    }
    assert connection["last_sync"]["accounts"] == 3 and len(connection["last_sync"]["added"]) == 3
    verified = call_api("POST", f"/connections/{connection_id}/verify", claims=customer.claims).json()
    assert [check["name"] for check in verified["checks"]] == [
        "role_assumable", "cloudtrail_session", "trust_policy", "source_identity", "can_discover"
    ]  # a discovery role's checks: it may list the organization, nothing of an account  # fmt: skip
    members = members_of(customer, connection_id)
    assert set(members) == set(org.members)  # the management account is left out by default
    for account_id, member in members.items():
        assert (member["status"], member["account_state"]) == ("verified", "active"), member
        assert member["aws"]["role_arn"] == f"arn:aws:iam::{account_id}:role/CloudivizeAccess"
        assert member["aws"]["regions"] == REGIONS and member["name"] == org.names[account_id]

    # Its assets: every member's, each with its account, account after account.
    page = assets(customer, connection_id, "limit=500")
    instances = [a for a in page["items"] if a["type"] == "ec2:instance"]
    assert page["errors"] == [] and page["next_token"] is None
    assert {(a["account_id"], a["id"]) for a in instances} == {
        (account_id, instance)
        for account_id, account in org.members.items()
        for ids in account.instance_ids.values()
        for instance in ids
    }
    assert [a["account_id"] for a in page["items"]] == sorted(a["account_id"] for a in page["items"])
    assert len(page["items"]) == 3 * (4 + 1)  # per account: two instances in each of two regions, and a bucket

    # Paged: every asset once, in the same order.
    walked, token = [], None
    while True:
        listed = assets(customer, connection_id, "limit=4" + (f"&next_token={token}" if token else ""))
        walked += listed["items"]
        if (token := listed["next_token"]) is None:
            break
    assert [a["arn"] for a in walked] == [a["arn"] for a in page["items"]]

    # Actions reach the member holding each asset, and answer per asset.
    first, second, third = sorted(org.members)
    arns = [org.members[first].instance_arn("us-east-1"), org.members[second].instance_arn("eu-west-1")]
    stranger = "arn:aws:ec2:us-east-1:999988887777:instance/i-0123456789abcdef0"
    sent = [*arns, stranger, "i-0123456789abcdef0"]
    acted = call_api("POST", f"/connections/{connection_id}/actions", claims=customer.claims,
                     body={"action": "stop", "asset_ids": sent})  # fmt: skip
    assert acted.status == 200, acted.text
    results = acted.json()["results"]
    assert [(r["asset_id"], r["ok"]) for r in results] == [(arns[0], True), (arns[1], True), (stranger, False),
                                                           ("i-0123456789abcdef0", False)]  # fmt: skip
    assert "not an active member" in results[2]["detail"] and "ARN" in results[3]["detail"]
    for account_id, arn in zip((first, second), arns, strict=True):
        region, instance = arn.split(":")[3], arn.rsplit("/", 1)[1]
        ec2 = account_session(account_id).client("ec2", region_name=region)
        assert ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"] == (
            "stopped"
        )

    # A member AWS refuses (its role deleted, say) is reported like a region, and the others still list.
    refuse_assuming_roles_of(monkeypatch, first)
    page = assets(customer, connection_id, "limit=500")
    assert {a["account_id"] for a in page["items"]} == {second, third}
    assert [(e["account_id"], e["service"]) for e in page["errors"]] == [(first, "sts")]
    assert "could not assume" in page["errors"][0]["detail"]
    assert call_api("GET", f"/connections/{connection_id}/activity", claims=customer.claims).status == 422


def refuse_assuming_roles_of(monkeypatch, account_id):
    """AWS refuses AssumeRole of the account's roles from now on (in-process moto enforces no trust policy)."""
    from cloudivize import composition
    from cloudivize.aws_access import sessions
    from cloudivize.aws_access.failures import cannot_assume

    assume = sessions.CustomerSessions._assume

    def refusing(self, *, user_id, role_arn, external_id):
        if f":{account_id}:" in role_arn:
            refusal = ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "AssumeRole")
            raise cannot_assume(role_arn, PRINCIPAL_ARN, refusal)
        return assume(self, user_id=user_id, role_arn=role_arn, external_id=external_id)

    monkeypatch.setattr(sessions.CustomerSessions, "_assume", refusing)
    composition.backend.cache_clear()  # a new container: no session held from earlier calls


def assets(customer, connection_id, query):
    response = call_api("GET", f"/connections/{connection_id}/assets", claims=customer.claims, query=query)
    assert response.status == 200, response.text
    return response.json()


def test_a_sync_adds_new_accounts_marks_those_that_left_or_were_suspended_and_is_idempotent(organization, cloud):
    customer, org = organization
    connection_id = connect(customer, org).json()["id"]
    first, second, third = sorted(org.members)
    token = assets(customer, connection_id, "limit=2")["next_token"]  # a listing of the three members under way
    joined = org.add("Member 4")
    no_role = org.add("Member 5", with_role=False)  # outside the StackSet's OUs, say
    org.remove(first)
    org.suspend(second)

    result = sync(customer, connection_id)

    # The listing under way spans members that are no longer active: its token says to start again.
    stale = call_api("GET", f"/connections/{connection_id}/assets", claims=customer.claims,
                     query=f"limit=2&next_token={token}")  # fmt: skip
    assert stale.status == 400 and "start again" in stale.json()["detail"]

    members = members_of(customer, connection_id)
    assert set(members) == {first, second, third, joined, no_role}  # the one that left is kept
    assert set(result["added"]) == {members[joined]["id"], members[no_role]["id"]}
    assert result["left"] == [members[first]["id"]] and result["suspended"] == [members[second]["id"]]
    assert (result["accounts"], result["members"]) == (4, 5)
    assert members[first]["account_state"] == "left" and members[second]["account_state"] == "suspended"
    assert members[joined]["status"] == "verified"
    # In-process moto lets any role be assumed, so the missing role shows as the trust policy it cannot read (the
    # local stack's emulator refuses the AssumeRole itself: tests/integration/test_organization_local.py).
    assert members[no_role]["status"] == "failed" and members[no_role]["failed_checks"] == ["trust_policy"]
    by_id = {member["connection_id"]: member for member in result["member_connections"]}
    assert "redeploy it from the StackSet's template" in by_id[members[no_role]["id"]]["what_to_fix"]
    assert by_id[members[joined]["id"]]["what_to_fix"] is None

    again = sync(customer, connection_id)
    assert (again["added"], again["left"], again["suspended"], again["rejoined"]) == ([], [], [], [])
    assert members_of(customer, connection_id) == members  # nothing changed, not even a version

    # The audit trail records each sync and what it did, by member connection ids.
    synced = [event for event in audit_events(customer) if event["action"] == "connection.synced"]
    assert [(event["outcome"], event["target"]) for event in synced] == [
        ("succeeded", {"connection_id": connection_id}),
        ("succeeded", {"connection_id": connection_id, "added": result["added"], "left": result["left"],
                       "suspended": result["suspended"]}),
    ]  # newest first  # fmt: skip

    # The schedule syncs every organization connection, as Cloudivize, recorded in the organization's trail.
    org.remove(third)
    outcome = handler.lambda_handler({"source": "cloudivize.schedule"}, LambdaContext())
    assert outcome == {"organizations": 1, "synced": 1, "failed": 0}
    assert members_of(customer, connection_id)[third]["account_state"] == "left"
    scheduled = audit_events(customer)[0]
    assert (scheduled["action"], scheduled["actor"]["sign_in_mode"], scheduled["actor"]["user_id"]) == (
        "connection.synced", "schedule", "cloudivize:schedule"
    )  # fmt: skip
    assert scheduled["target"] == {"connection_id": connection_id, "left": [members[third]["id"]]}

    # Stored: only the allowed attributes, and no account id outside the sealed descriptors.
    for item in cloud.items():
        assert set(item) <= ALLOWED_ATTRIBUTES[item["kind"]], item
        clear = json.dumps({name: value for name, value in item.items() if name not in SEALED_ATTRIBUTES}, default=str)
        assert not [account for account in (*org.members, joined, no_role, MANAGEMENT_ACCOUNT) if account in clear]

    # Deleting the organization connection deletes its members, and its entry in the schedule's list.
    assert call_api("DELETE", f"/connections/{connection_id}", claims=customer.claims).status == 204
    assert call_api("GET", "/connections", claims=customer.claims).json()["items"] == []
    assert [item for item in cloud.items() if item["pk"].startswith("SCHEDULE#")] == []


def audit_events(customer):
    response = call_api("GET", "/audit", claims=customer.claims, query="limit=100")
    assert response.status == 200, response.text
    return response.json()["items"]


def test_two_syncs_at_once_give_one_result(organization):
    customer, org = organization
    connection_id = connect(customer, org).json()["id"]
    org.add("Member 4")
    results, barrier = [], threading.Barrier(2)

    def run():
        barrier.wait()
        results.append(call_api("POST", f"/connections/{connection_id}/sync", claims=customer.claims))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status for r in results] == [200, 200]
    assert results[0].json() == results[1].json()
    assert len(results[0].json()["added"]) == 1
    assert len(members_of(customer, connection_id)) == 4


def test_an_account_connected_alone_stays_so_and_the_management_account_is_a_member_only_when_asked(organization):
    customer, org = organization
    alone = sorted(org.members)[0]
    body = {"provider": "aws", "name": "Alone", "role_arn": org.members[alone].role_arn}
    existing = call_api("POST", "/connections", claims=customer.claims, body=body).json()["id"]
    create_customer_role(account_session(MANAGEMENT_ACCOUNT), trust_policy=org.trust, role_name="CloudivizeAccess")

    connection = connect(customer, org, include_management_account=True).json()

    assert connection["last_sync"]["already_connected"] == [existing]
    members = members_of(customer, connection["id"])
    assert set(members) == set(org.members) - {alone} | {MANAGEMENT_ACCOUNT}
    assert members[MANAGEMENT_ACCOUNT]["status"] == "verified"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "aws", "name": "x", "role_arn": "arn:aws:iam::123456789012:role/x",
          "include_management_account": True}, "include_management_account"),
        ({"provider": "aws", "name": "x", "role_arn": "arn:aws:iam::123456789012:role/x",
          "member_role_name": "Other"}, "member_role_name"),
        ({"provider": "aws", "scope": "organization", "name": "x", "role_arn": "arn:aws:iam::123456789012:role/x",
          "member_role_name": "no spaces allowed"}, "member_role_name"),
    ],
)  # fmt: skip
def test_organization_fields_are_refused_where_they_do_not_apply(customer, body, field):
    response = call_api("POST", "/connections", claims=customer.claims, body=body)

    assert response.status == 422, response.text
    assert field in response.text


def test_syncing_an_account_connection_is_a_422_naming_the_path(customer):
    body = {"provider": "aws", "name": "One", "role_arn": customer.account.role_arn}
    connection_id = call_api("POST", "/connections", claims=customer.claims, body=body).json()["id"]

    response = call_api("POST", f"/connections/{connection_id}/sync", claims=customer.claims)

    assert response.status == 422 and "Only an organization connection syncs" in response.json()["detail"]


def test_the_plan_is_the_reconciliation():
    accounts = [MemberAccount("111", "a", False), MemberAccount("222", "b", True), MemberAccount("333", "c", False),
                MemberAccount("444", "d", False)]  # fmt: skip
    members = {"111": ("m1", "active"), "222": ("m2", "active"), "333": ("m3", "left"), "555": ("m5", "active"),
               "666": ("m6", "left")}  # fmt: skip

    plan = plan_sync(accounts, members, {"444": "alone"})

    assert plan.add == [] and plan.already_connected == ["alone"]
    assert (plan.left, plan.suspended, plan.rejoined) == (["m5"], ["m2"], ["m3"])
