"""An AWS organization connected over real HTTP against the local stack (``make run``'s, a process of its own): the
demo organization's discovery role and member roles in the emulator, which enforces their trust and permission
policies as AWS does. Connecting it makes three verified member connections, its assets are theirs, and a sync
picks up an account that joins (with the role, or not yet) and marks one that left.

The demo organization ends as it began (the accounts this test adds leave again), for the other tests of the stack.
"""

from __future__ import annotations

import pytest

from infrastructure.local.customer_organization import (
    DemoOrganization,
    add_member_account,
    add_member_account_without_role,
    remove_member_account,
)

pytestmark = pytest.mark.integration
REGIONS = ["eu-west-1", "us-east-1"]


@pytest.fixture(scope="module")
def demo_organization(local_stack) -> DemoOrganization:
    info = local_stack.demo_organization
    assert info is not None, "the local stack runs without its demo organization"
    return DemoOrganization(**info, members={})


def members_of(api, token, connection_id) -> dict[str, dict]:
    listed = api.get("/connections?limit=100", token=token)
    assert listed.status_code == 200, listed.text
    return {
        c["aws"]["account_id"]: c for c in listed.json()["items"] if c["organization_connection_id"] == connection_id
    }


def sync(api, token, connection_id) -> dict:
    synced = api.request("POST", f"/connections/{connection_id}/sync", token=token)
    assert synced.status_code == 200, synced.text  # and, as every answer, the OpenAPI document's (api.request)
    return synced.json()


def test_the_demo_organization_connects_lists_its_members_assets_and_keeps_in_step(
    api, local_stack, demo_token, demo_organization
):
    endpoint = local_stack.resources.aws_endpoint_url
    onboarding = api.get("/onboarding/aws", token=demo_token).json()
    body = {"provider": "aws", "scope": "organization", "name": "Demo organization",
            "role_arn": demo_organization.discovery_role_arn, "regions": REGIONS}  # fmt: skip
    created = api.request("POST", "/connections", token=demo_token, json=body)
    assert created.status_code == 201, created.text
    connection = created.json()
    connection_id = connection["id"]
    joined = no_role = None
    try:
        # Three verified member connections, one per member account (the management account left out).
        assert connection["status"] == "verified" and connection["scope"] == "organization"
        assert connection["aws"]["organization"]["organization_id"] == demo_organization.organization_id
        members = members_of(api, demo_token, connection_id)
        assert sorted(members) == sorted(demo_organization.member_account_ids)
        assert {(m["status"], m["account_state"]) for m in members.values()} == {("verified", "active")}

        # The organization's assets: the instances of all three accounts, each with its account.
        page = api.get(f"/connections/{connection_id}/assets?type=ec2:instance&limit=500", token=demo_token)
        assert page.status_code == 200, page.text
        instances = page.json()["items"]
        assert page.json()["errors"] == []
        assert {asset["account_id"] for asset in instances} == set(demo_organization.member_account_ids)
        assert len(instances) == 3 * 2 * len(REGIONS)
        assert all(f":{asset['account_id']}:instance/" in asset["arn"] for asset in instances)

        # An action on a member's instance, by its ARN, runs in that member's account.
        target = instances[0]["arn"]
        stopped = api.request("POST", f"/connections/{connection_id}/actions", token=demo_token,
                              json={"action": "stop", "asset_ids": [target]})  # fmt: skip
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["results"][0] | {"detail": None} == {"asset_id": target, "ok": True,
                                                                     "state": "stopping", "detail": None}  # fmt: skip
        api.request("POST", f"/connections/{connection_id}/actions", token=demo_token,
                    json={"action": "start", "asset_ids": [target]})  # fmt: skip

        # An account joins with the role (as the StackSet's auto-deployment gives it), another without it yet.
        joined = add_member_account(endpoint, demo_organization, onboarding["external_id"], "Joined later",
                                    onboarding["principal_arn"]).account_id  # fmt: skip
        no_role = add_member_account_without_role(endpoint, demo_organization, "Not deployed yet")
        added = sync(api, demo_token, connection_id)
        members = members_of(api, demo_token, connection_id)
        assert sorted(added["added"]) == sorted([members[joined]["id"], members[no_role]["id"]])
        assert (members[joined]["status"], members[joined]["account_state"]) == ("verified", "active")
        # The emulator refuses AssumeRole of a role that does not exist, as AWS does.
        assert members[no_role]["status"] == "failed" and members[no_role]["failed_checks"] == ["role_assumable"]
        advice = {m["connection_id"]: m["what_to_fix"] for m in added["member_connections"]}
        assert "target organizational units" in advice[members[no_role]["id"]]

        # Both leave the organization: marked as having left, kept until the customer deletes them.
        for account_id in (joined, no_role):
            remove_member_account(endpoint, demo_organization, account_id)
        joined_id, no_role_id = members[joined]["id"], members[no_role]["id"]
        joined = no_role = None
        left = sync(api, demo_token, connection_id)
        assert sorted(left["left"]) == sorted([joined_id, no_role_id]) and left["added"] == []
        members = members_of(api, demo_token, connection_id)
        assert len(members) == 5
        assert sorted(account for account, m in members.items() if m["account_state"] == "left") == sorted(
            account for account in members if account not in demo_organization.member_account_ids
        )

        # The audit trail records each sync with what it did.
        events = api.get("/audit?action=connection.synced&limit=10", token=demo_token).json()["items"]
        assert [event["target"].get("left") for event in events[:2]] == [left["left"], None]
        assert events[1]["target"]["added"] == added["added"]
    finally:
        for account_id in (joined, no_role):
            if account_id is not None:
                remove_member_account(endpoint, demo_organization, account_id)
        assert api.request("DELETE", f"/connections/{connection_id}", token=demo_token).status_code == 204
    assert members_of(api, demo_token, connection_id) == {}
