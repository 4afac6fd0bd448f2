"""Invitations through the handlers (moto): invite, list, accept, revoke, and every way an invitation answers
as a missing one (someone else's, expired, used, revoked, another organization's)."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from cloudivize.invitations import NO_SUCH_INVITATION, UNVERIFIED_EMAIL
from cloudivize.roles import Role
from cloudivize.store.invitations import TTL_ATTRIBUTE
from cloudivize.store.memberships import Member
from infrastructure import constants
from tests.utils import call_api, claims_for

OWNER = claims_for("org-a", "owner-1", "ana@example.com")
BO = claims_for("org-b", "user-bo", "Bo@Example.com")  # signs up into an organization of their own
CY = claims_for("org-c", "user-cy", "cy@example.com")
IN_ORG_A = {constants.ORGANIZATION_HEADER: "org-a"}


def invite(email="bo@example.com", role="viewer", claims=OWNER):
    return call_api("POST", "/invitations", claims=claims, body={"email": email, "role": role})


def member_of_org_a(user_id: str, role: Role) -> dict:
    """A member of org-a with ``role`` (whose own organization is org-a)."""
    from cloudivize.composition import backend

    call_api("GET", "/me", claims=OWNER)  # org-a exists
    claims = claims_for("org-a", user_id, f"{user_id}@example.com")
    backend().memberships.join("org-a", Member(user_id, f"{user_id}@example.com", role, datetime.now(UTC)))
    from tests.utils import SIGNED_UP

    SIGNED_UP.add(user_id)
    return claims


def invitation_items(cloud) -> list[dict]:
    return [item for item in cloud.items() if "invitation" in item["kind"]]


def test_an_owner_invites_and_the_organizations_admins_see_it_pending(cloud):
    created = invite(email="  Bo@Example.COM ")

    assert created.status == 201
    body = created.json()
    assert (body["email"], body["role"], body["invited_by"]) == ("bo@example.com", "viewer", "owner-1")
    assert len(body["invitation_id"]) == 32  # secrets.token_urlsafe(24)
    expires, made = datetime.fromisoformat(body["expires_at"]), datetime.fromisoformat(body["created_at"])
    assert expires - made == timedelta(days=7)
    listed = call_api("GET", "/invitations", claims=OWNER)
    assert (listed.status, listed.json()["items"]) == (200, [body])


def test_one_invitation_is_three_items_that_expire_by_ttl_and_ids_differ(cloud):
    first, second = invite().json(), invite(email="cy@example.com").json()

    assert first["invitation_id"] != second["invitation_id"]
    items = [item for item in invitation_items(cloud) if item["invitation_id"] == first["invitation_id"]]
    keys = {(item["pk"], item["sk"]) for item in items}
    assert keys == {
        (f"INVITE#{first['invitation_id']}", "META"),
        ("TENANT#org-a", f"INVITE#{first['invitation_id']}"),
        ("EMAIL#bo@example.com", f"INVITE#{first['invitation_id']}"),
    }
    expires = int(datetime.fromisoformat(first["expires_at"]).timestamp())
    assert {int(item[constants.TABLE_TTL_ATTRIBUTE]) for item in items} == {expires}
    assert TTL_ATTRIBUTE == constants.TABLE_TTL_ATTRIBUTE  # the attribute the stack's table expires by


def test_without_a_sender_the_invitation_is_logged_with_its_accept_call(cloud, debug_logs):
    invitation = invite().json()

    accept = f"POST /invitations/{invitation['invitation_id']}/accept"
    line = f"Invitation for bo@example.com to Org org-a: accept with {accept}"
    assert line in debug_logs()


def test_the_addressee_sees_it_accepts_it_and_becomes_a_member_with_its_role(cloud):
    invitation = invite().json()

    mine = call_api("GET", "/me/invitations", claims=BO)  # their token's email differs only in case
    assert mine.status == 200
    assert mine.json()["items"] == [
        {
            "invitation_id": invitation["invitation_id"],
            "organization_id": "org-a",
            "organization_name": "Org org-a",
            "role": "viewer",
            "expires_at": invitation["expires_at"],
        }
    ]
    accepted = call_api("POST", f"/invitations/{invitation['invitation_id']}/accept", claims=BO)
    assert (accepted.status, accepted.json()) == (
        200,
        {"organization_id": "org-a", "name": "Org org-a", "role": "viewer", "default": False},
    )

    members = call_api("GET", "/members", claims=BO, headers=IN_ORG_A)
    assert members.status == 200
    assert [(m["user_id"], m["email"], m["role"]) for m in members.json()["items"]] == [
        ("owner-1", "ana@example.com", "owner"),
        ("user-bo", "Bo@Example.com", "viewer"),
    ]
    # Used up, and the new member's requests still act in their own organization unless they name org-a.
    assert call_api("GET", "/me/invitations", claims=BO).json()["items"] == []
    assert call_api("GET", "/invitations", claims=OWNER).json()["items"] == []
    assert invitation_items(cloud) == []
    assert call_api("GET", "/organization", claims=BO).json()["organization_id"] == "org-b"


def test_an_invitation_works_once(cloud):
    invitation_id = invite().json()["invitation_id"]

    first = call_api("POST", f"/invitations/{invitation_id}/accept", claims=BO)
    second = call_api("POST", f"/invitations/{invitation_id}/accept", claims=BO)

    assert (first.status, second.status) == (200, 404)
    assert second.json()["detail"] == NO_SUCH_INVITATION


def test_two_accepts_that_both_read_the_invitation_make_one_member(cloud):
    """The membership and the removal of the invitation are one transaction: the slower of two accepts that
    both passed every check before either wrote is refused whole."""
    from cloudivize.composition import backend
    from cloudivize.store.invitations import InvitationStore

    invitation_id = invite(email="cy@example.com").json()["invitation_id"]
    service = backend()
    store = InvitationStore(service.table)
    read_by_both = store.get(invitation_id)
    assert read_by_both is not None

    assert call_api("POST", f"/invitations/{invitation_id}/accept", claims=CY).status == 200
    late = Member("user-cy-second-device", "cy@example.com", Role.VIEWER, datetime.now(UTC))
    joining = [*service.memberships.joining("org-a", late, make_default=False)]
    joining.append(service.memberships.counting_owners("org-a", 0))

    assert store.remove(read_by_both, with_operations=joining) is False
    assert [m.user_id for m in service.memberships.members("org-a")] == ["owner-1", "user-cy"]


def test_someone_elses_invitation_answers_as_a_missing_one_and_stays_pending(cloud):
    invitation_id = invite().json()["invitation_id"]

    theirs = call_api("POST", f"/invitations/{invitation_id}/accept", claims=CY)
    missing = call_api("POST", "/invitations/no-such-invitation-id/accept", claims=CY)

    assert (theirs.status, missing.status) == (404, 404)
    assert theirs.json()["detail"] == missing.json()["detail"] == NO_SUCH_INVITATION
    assert call_api("GET", "/me/invitations", claims=CY).json()["items"] == []
    assert [i["invitation_id"] for i in call_api("GET", "/invitations", claims=OWNER).json()["items"]] == [
        invitation_id
    ]


def test_an_unverified_email_sees_no_invitation_and_cannot_accept_any(cloud):
    invitation_id = invite().json()["invitation_id"]
    unverified = {**BO, "email_verified": "false"}

    assert call_api("GET", "/me/invitations", claims=unverified).json()["items"] == []
    accepting = call_api("POST", f"/invitations/{invitation_id}/accept", claims=unverified)
    unknown = call_api("POST", "/invitations/no-such-invitation-id/accept", claims=unverified)

    # Refused before any invitation is read: the answer is the same whether the id exists or not.
    assert (accepting.status, unknown.status) == (403, 403)
    assert accepting.json()["detail"] == unknown.json()["detail"] == UNVERIFIED_EMAIL
    assert len(invitation_items(cloud)) == 3


def test_an_expired_invitation_is_neither_listed_nor_accepted_nor_revoked(cloud):
    invitation_id = invite().json()["invitation_id"]
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    for item in invitation_items(cloud):  # as it will be seven days on, before DynamoDB's TTL removes it
        cloud.table.update_item(
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET expires_at = :past",
            ExpressionAttributeValues={":past": past},
        )

    assert call_api("GET", "/invitations", claims=OWNER).json()["items"] == []
    assert call_api("GET", "/me/invitations", claims=BO).json()["items"] == []
    accepted = call_api("POST", f"/invitations/{invitation_id}/accept", claims=BO)
    assert (accepted.status, accepted.json()["detail"]) == (404, NO_SUCH_INVITATION)
    assert call_api("DELETE", f"/invitations/{invitation_id}", claims=OWNER).status == 404
    assert [m["user_id"] for m in call_api("GET", "/members", claims=OWNER).json()["items"]] == ["owner-1"]


def test_a_revoked_invitation_answers_as_a_missing_one(cloud):
    invitation_id = invite().json()["invitation_id"]

    revoked = call_api("DELETE", f"/invitations/{invitation_id}", claims=OWNER)

    assert revoked.status == 204
    assert invitation_items(cloud) == []
    assert call_api("GET", "/me/invitations", claims=BO).json()["items"] == []
    assert call_api("POST", f"/invitations/{invitation_id}/accept", claims=BO).status == 404
    assert call_api("DELETE", f"/invitations/{invitation_id}", claims=OWNER).status == 404


def test_another_organizations_owner_can_neither_revoke_nor_list_it(cloud):
    invitation_id = invite(email="cy@example.com").json()["invitation_id"]

    assert call_api("DELETE", f"/invitations/{invitation_id}", claims=BO).status == 404
    assert call_api("GET", "/invitations", claims=BO).json()["items"] == []
    assert len(invitation_items(cloud)) == 3


def test_an_admin_inviting_an_owner_is_refused_naming_the_owner_role(cloud):
    admin = member_of_org_a("admin-1", Role.ADMIN)

    refused = invite(role="owner", claims=admin)
    as_admin = invite(role="admin", claims=admin)

    assert refused.status == 403
    assert refused.json()["role_needed"] == "owner"
    assert refused.json()["detail"] == "Inviting an owner needs the owner role; you are an admin in Org org-a."
    assert as_admin.status == 201
    assert [i["role"] for i in call_api("GET", "/invitations", claims=admin).json()["items"]] == ["admin"]


def test_an_owner_invites_an_owner_and_the_organization_counts_two_owners(cloud):
    invitation_id = invite(role="owner").json()["invitation_id"]

    assert call_api("POST", f"/invitations/{invitation_id}/accept", claims=BO).status == 200

    meta = cloud.table.get_item(Key={"pk": "TENANT#org-a", "sk": "META"})["Item"]
    assert meta["owners"] == 2
    # So the first owner may now step down.
    demoted = call_api("PATCH", "/members/owner-1", claims=BO, headers=IN_ORG_A, body={"role": "admin"})
    assert (demoted.status, demoted.json()["role"]) == (200, "admin")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_members_below_admin_can_neither_invite_nor_list_nor_revoke(cloud, role):
    invitation_id = invite().json()["invitation_id"]
    member = member_of_org_a("member-1", role)

    inviting = invite(email="cy@example.com", claims=member)
    listing = call_api("GET", "/invitations", claims=member)
    revoking = call_api("DELETE", f"/invitations/{invitation_id}", claims=member)

    assert (inviting.status, listing.status, revoking.status) == (403, 403, 403)
    assert inviting.json()["role_needed"] == "admin"
    refusal = f"Inviting members needs the admin role; you are {role.with_article} in Org org-a."
    assert inviting.json()["detail"] == refusal
    assert len(invitation_items(cloud)) == 3


def test_a_member_already_is_told_so_and_the_invitation_stays(cloud):
    member = member_of_org_a("member-1", Role.VIEWER)
    invitation_id = invite(email="member-1@example.com").json()["invitation_id"]

    accepted = call_api("POST", f"/invitations/{invitation_id}/accept", claims=member)

    assert (accepted.status, accepted.json()["detail"]) == (409, "You are a member of Org org-a already.")
    assert len(invitation_items(cloud)) == 3


SENDER = "invitations@cloudivize.example"


def _sent_messages() -> list:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_with_a_sender_the_invitation_is_emailed_from_it_and_not_logged(cloud, monkeypatch, debug_logs):
    monkeypatch.setenv(constants.ENV_INVITATION_SENDER, SENDER)
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)  # moto verifies it at once

    invitation_id = invite().json()["invitation_id"]

    [message] = _sent_messages()
    assert (message.source, message.destinations) == (SENDER, {"ToAddresses": ["bo@example.com"]})
    assert message.subject == "You are invited to Org org-a on Cloudivize"
    assert f"POST /invitations/{invitation_id}/accept" in message.body
    assert "ana@example.com invited you to Org org-a on Cloudivize, as a viewer." in message.body
    # None of Cloudivize's own lines names it (botocore's DEBUG lines show request parameters, the table's keys too).
    cloudivize_lines = [line for line in debug_logs().splitlines() if "botocore" not in line]
    assert [line for line in cloudivize_lines if invitation_id in line] == []


def test_an_invitation_ses_refuses_is_not_kept(cloud, monkeypatch, debug_logs):
    monkeypatch.setenv(constants.ENV_INVITATION_SENDER, SENDER)  # an identity SES has not verified

    refused = invite()

    assert refused.status == 503
    assert invitation_items(cloud) == []
    assert _sent_messages() == []
    assert "Invitation not sent" in debug_logs()
