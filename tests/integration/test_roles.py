"""Organizations with members in every role, over real HTTP against the local stack: each role can do exactly
its column of the issue's table (a test per route and role), members share the organization's connections, and
authority follows the membership at the next request whatever the token says.

The team is made by writing the memberships as accepting invitations does (``MembershipStore.join``, into the
emulated table): invitations themselves have their own end-to-end test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
import pytest

from infrastructure.routes import ROUTES, Needs
from tests.integration.conftest import run_cli, sign_in

PASSWORD = "Team-Passw0rd-2026!"
ROLES = ("viewer", "operator", "admin", "owner")
RANK = {needs.value: rank for rank, needs in enumerate(Needs)}
MISSING = "00000000-0000-4000-8000-000000000000"  # a connection or member that does not exist
ORGANIZATION = "X-Cloudivize-Organization"


@dataclass
class Member:
    email: str
    user_id: str
    token: str


@dataclass
class Team:
    organization_id: str
    members: dict[str, Member]  # by role
    connection_id: str


def _add(local_stack, info_file, name: str) -> tuple[str, str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    added = run_cli(info_file, "users", "add", email, PASSWORD)
    assert added.returncode == 0, added.stderr
    return email, sign_in(local_stack, email, PASSWORD)


def _join(local_stack, organization_id: str, user_id: str, email: str, role: str) -> None:
    from cloudivize.repository import Table
    from cloudivize.roles import Role
    from cloudivize.store.memberships import Member as Membership
    from cloudivize.store.memberships import MembershipStore

    resources = local_stack.resources
    table = boto3.resource(
        "dynamodb", endpoint_url=resources.aws_endpoint_url, region_name=resources.region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    ).Table(resources.table_name)  # fmt: skip
    member = Membership(user_id=user_id, email=email, role=Role(role), joined_at=datetime.now(UTC))
    assert MembershipStore(Table(resources.table_name, table)).join(organization_id, member)


@pytest.fixture(scope="module")
def team(api, local_stack, info_file) -> Team:
    """An owner's organization with a connection, and a member in each other role."""
    members: dict[str, Member] = {}
    owner_email, owner_token = _add(local_stack, info_file, "owner")
    me = api.get("/me", token=owner_token).json()
    organization_id = me["tenant_id"]
    members["owner"] = Member(owner_email, me["user_id"], owner_token)
    for role in ("viewer", "operator", "admin"):
        email, token = _add(local_stack, info_file, role)
        user_id = api.get("/me", token=token).json()["user_id"]
        _join(local_stack, organization_id, user_id, email, role)
        members[role] = Member(email, user_id, token)
    body = {"provider": "aws", "name": "Shared", "role_arn": "arn:aws:iam::123456789012:role/Shared", "verify": False}
    created = api.request("POST", "/connections", token=owner_token, json=body)
    assert created.status_code == 201, created.text
    return Team(organization_id, members, created.json()["id"])


def _probe(route) -> tuple[str, dict | None]:
    """A request of ``route`` that changes nothing once allowed: it names what does not exist, or sends a body
    the route refuses as invalid, or is a read. What a refusal for the role looks like is the same whatever it
    sends: authorization comes first."""
    path = route.path.replace("{connection_id}", MISSING).replace("{user_id}", MISSING)
    body = {} if route.method in ("POST", "PUT", "PATCH") else None
    if route.key == "DELETE /organization":
        body = None  # refused while the organization has connections (409): nothing is deleted
    return path, body


ROLE_ROUTES = [route for route in ROUTES if route.needs not in (None, Needs.SIGNED_IN)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROLE_ROUTES, ids=lambda route: route.key)
def test_each_role_can_do_exactly_its_column(api, team, route, role):
    path, body = _probe(route)
    member = team.members[role]

    response = api.request(route.method, path, token=member.token, json=body,
                           headers={ORGANIZATION: team.organization_id})  # fmt: skip

    # Removing someone else needs the admin role, whatever the route lets a member (leave) do.
    needed = "admin" if route.key == "DELETE /members/{user_id}" else route.needs.value
    if RANK[role] >= RANK[needed]:
        assert response.status_code != 403, response.text
    else:
        assert response.status_code == 403, response.text
        problem = response.json()
        assert problem["role_needed"] == needed
        assert f"needs the {needed} role; you are a" in problem["detail"] and role in problem["detail"]


def test_members_share_the_organizations_connections(api, team):
    for member in team.members.values():
        listed = api.get("/connections", token=member.token, headers={ORGANIZATION: team.organization_id})
        assert [c["id"] for c in listed.json()["items"]] == [team.connection_id]


def test_each_member_sees_the_others_with_their_roles(api, team):
    listed = api.get("/members", token=team.members["viewer"].token, headers={ORGANIZATION: team.organization_id})

    assert {m["user_id"]: m["role"] for m in listed.json()["items"]} == {
        member.user_id: role for role, member in team.members.items()
    }


def test_a_lowered_role_and_a_removal_take_effect_at_the_next_request(api, local_stack, info_file, team):
    email, token = _add(local_stack, info_file, "temp")
    user_id = api.get("/me", token=token).json()["user_id"]
    _join(local_stack, team.organization_id, user_id, email, "admin")
    owner, there = team.members["owner"].token, {ORGANIZATION: team.organization_id}
    assert api.get("/onboarding/aws", token=token, headers=there).status_code == 200

    lowered = api.request("PATCH", f"/members/{user_id}", token=owner, headers=there, json={"role": "viewer"})
    refused = api.get("/onboarding/aws", token=token, headers=there)  # the same token as before
    removed = api.request("DELETE", f"/members/{user_id}", token=owner, headers=there)
    after = api.get("/connections", token=token, headers=there)

    assert lowered.status_code == 200 and lowered.json()["role"] == "viewer"
    assert refused.status_code == 403 and refused.json()["role_needed"] == "admin"
    assert removed.status_code == 204
    assert after.status_code == 404  # exactly as an organization that does not exist
    # Their own organization is still theirs.
    assert api.get("/connections", token=token).json()["items"] == []


def test_a_member_naming_another_organization_reads_nothing_of_it(api, team, demo_token):
    demo_organization = api.get("/me", token=demo_token).json()["tenant_id"]
    viewer = team.members["viewer"].token

    for path in ("/connections", "/organization", "/members", f"/connections/{team.connection_id}"):
        response = api.get(path, token=viewer, headers={ORGANIZATION: demo_organization})
        assert response.status_code == 404, path
        assert response.json()["detail"] == "No such organization, or you are not a member of it."


def test_the_last_owner_can_neither_leave_nor_be_demoted(api, team):
    owner, there = team.members["owner"], {ORGANIZATION: team.organization_id}

    leave = api.request("DELETE", f"/members/{owner.user_id}", token=owner.token, headers=there)
    demote = api.request("PATCH", f"/members/{owner.user_id}", token=owner.token, headers=there,
                         json={"role": "admin"})  # fmt: skip

    assert leave.status_code == demote.status_code == 409
    assert "at least one owner" in leave.json()["detail"]


def test_an_admin_cannot_make_an_owner(api, team):
    admin, there = team.members["admin"].token, {ORGANIZATION: team.organization_id}

    response = api.request("PATCH", f"/members/{team.members['viewer'].user_id}", token=admin, headers=there,
                           json={"role": "owner"})  # fmt: skip

    assert response.status_code == 403 and response.json()["role_needed"] == "owner"
