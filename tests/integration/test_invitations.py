"""Invitations end to end over HTTP against the local stack: an owner invites a second local user, the stack
prints the invitation, the invitee sees and accepts it, and both are members of the owner's organization."""

from __future__ import annotations

import uuid

import pytest

from infrastructure import constants

from .conftest import run_cli, sign_in

pytestmark = pytest.mark.integration

PASSWORD = "Invited-Strong-Passw0rd!"


@pytest.fixture(scope="module")
def users(local_stack, info_file):
    """Two new local users (each in an organization of their own, as sign-up leaves them): email and token."""
    run = uuid.uuid4().hex[:8]
    emails = (f"owner-{run}@example.com", f"Invitee-{run}@Example.com")
    for email in emails:
        added = run_cli(info_file, "users", "add", email, PASSWORD)  # users.add_user, with the sign-up trigger
        assert added.returncode == 0, added.stderr
    return [(email, sign_in(local_stack, email, PASSWORD)) for email in emails]


def test_an_owner_invites_a_viewer_who_accepts_and_both_are_members(api, running_stack, users):
    (owner_email, owner), (invitee_email, invitee) = users
    organization = api.get("/organization", token=owner).json()

    created = api.request("POST", "/invitations", token=owner, json={"email": invitee_email, "role": "viewer"})

    assert created.status_code == 201, created.text
    invitation_id = created.json()["invitation_id"]
    printed = (
        f"Invitation for {invitee_email.lower()} to {organization['name']}: "
        f"accept with POST /invitations/{invitation_id}/accept"
    )
    assert printed in running_stack.output()

    mine = api.get("/me/invitations", token=invitee)
    assert mine.status_code == 200
    assert [(i["invitation_id"], i["organization_id"], i["role"]) for i in mine.json()["items"]] == [
        (invitation_id, organization["organization_id"], "viewer")
    ]

    accepted = api.request("POST", f"/invitations/{invitation_id}/accept", token=invitee)
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["organization_id"], accepted.json()["role"]) == (organization["organization_id"], "viewer")

    in_owners_organization = {constants.ORGANIZATION_HEADER: organization["organization_id"]}
    members = api.get("/members", token=invitee, headers=in_owners_organization)
    assert members.status_code == 200
    assert sorted((m["email"], m["role"]) for m in members.json()["items"]) == sorted(
        [(owner_email, "owner"), (invitee_email, "viewer")]
    )
    # Used once: accepting again answers as for a missing invitation, and nothing is pending any more.
    again = api.request("POST", f"/invitations/{invitation_id}/accept", token=invitee)
    assert again.status_code == 404
    assert api.get("/invitations", token=owner).json()["items"] == []
    assert api.get("/me/invitations", token=invitee).json()["items"] == []


def test_a_revoked_invitation_cannot_be_accepted(api, users):
    (owner_email, owner), (_, invitee) = users  # the invitee, owner of their own organization, invites the owner
    invitation_id = api.request(
        "POST", "/invitations", token=invitee, json={"email": owner_email, "role": "operator"}
    ).json()["invitation_id"]
    assert [i["invitation_id"] for i in api.get("/me/invitations", token=owner).json()["items"]] == [invitation_id]

    assert api.request("DELETE", f"/invitations/{invitation_id}", token=invitee).status_code == 204

    assert api.get("/me/invitations", token=owner).json()["items"] == []
    assert api.request("POST", f"/invitations/{invitation_id}/accept", token=owner).status_code == 404
