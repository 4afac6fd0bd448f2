"""The audit trail: every state-changing request, refused ones included, writes one event with its actor; admins
read it newest first, filtered and paged; nothing of a secret reaches it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import datetime

import boto3
import pytest

from infrastructure import constants
from infrastructure.routes import ROUTES
from tests.conftest import AUDIT_TABLE_NAME
from tests.utils import (
    aws_connection_body,
    azure_connection_body,
    call_api,
    claims_for,
    signed_up,
    stub_customer_client,
)

OWNER = claims_for("t1", "owner-1", "owner@example.com")
OTHER = claims_for("t2", "stranger-1", "stranger@example.com")
RETENTION_SECONDS = constants.DEFAULT_AUDIT_RETENTION_DAYS * 24 * 3600


def member(role: str, user_id: str | None = None) -> dict[str, str]:
    """A user who joined t1 with ``role`` (its owner exists first)."""
    call_api("GET", "/me", claims=OWNER)
    claims = claims_for("t1", user_id or f"{role}-1", f"{role}@example.com")
    signed_up(claims, role=role)
    return claims


def audit_items() -> list[dict]:
    return boto3.resource("dynamodb").Table(AUDIT_TABLE_NAME).scan()["Items"]


ROLE_NAMES = itertools.count(1)


def new_connection(claims: dict[str, str] = OWNER) -> str:
    """A new connection (each to a role of its own: an organization holds one connection per role)."""
    role_arn = f"arn:aws:iam::123456789012:role/Cloudivize{next(ROLE_NAMES)}"
    response = call_api("POST", "/connections", claims=claims, body=aws_connection_body(role_arn=role_arn))
    assert response.status == 201, response.text
    return response.json()["id"]


def invitation(claims: dict[str, str] = OWNER, email: str = "new@example.com") -> str:
    """An invitation of ``claims``' organization to ``email``, as a viewer: its id (in the 201's body)."""
    response = call_api("POST", "/invitations", claims=claims, body={"email": email, "role": "viewer"})
    assert response.status == 201, response.text
    return response.json()["invitation_id"]


# Per audited route: what to set up (as t1's owner), then the one request it is (method, path, body).
Request = tuple[str, str, dict | None]
SCENARIOS: dict[str, Callable[[], Request]] = {
    "PUT /me/organization": lambda: ("PUT", "/me/organization", {"organization_id": "t1"}),
    "POST /organizations": lambda: ("POST", "/organizations", {"name": "Second"}),
    "PATCH /organization": lambda: ("PATCH", "/organization", {"name": "Renamed"}),
    "DELETE /organization": lambda: ("DELETE", "/organization", None),
    "PATCH /members/{user_id}": lambda: ("PATCH", f"/members/{member('viewer')['sub']}", {"role": "operator"}),
    "DELETE /members/{user_id}": lambda: ("DELETE", f"/members/{member('viewer')['sub']}", None),
    "POST /connections": lambda: ("POST", "/connections", aws_connection_body()),
    "PATCH /connections/{connection_id}": lambda: (
        "PATCH", f"/connections/{new_connection()}", {"name": "Renamed", "version": 1}
    ),
    "DELETE /connections/{connection_id}": lambda: ("DELETE", f"/connections/{new_connection()}", None),
    "POST /connections/{connection_id}/verify": lambda: ("POST", f"/connections/{new_connection()}/verify", None),
    # An account's connection does not sync (a 422, recorded as failed); organizations' syncs:
    # tests/unit/test_organization_connections.py.
    "POST /connections/{connection_id}/sync": lambda: ("POST", f"/connections/{new_connection()}/sync", None),
    "POST /invitations": lambda: ("POST", "/invitations", {"email": "new@example.com", "role": "viewer"}),
    "DELETE /invitations/{invitation_id}": lambda: ("DELETE", f"/invitations/{invitation()}", None),
    # t2's owner invites t1's owner, who accepts: the event goes to t2, the organization joined.
    "POST /invitations/{invitation_id}/accept": lambda: (
        "POST", f"/invitations/{invitation(OTHER, 'owner@example.com')}/accept", None
    ),
    "POST /connections/{connection_id}/actions": lambda: (
        "POST", f"/connections/{new_connection()}/actions", {"action": "stop", "asset_ids": ["i-0123456789abcdef0"],
                                                               "region": "us-east-1"},
    ),
}  # fmt: skip
AUDITED = {route.key: route for route in ROUTES if route.audit}


def test_every_audited_route_has_a_scenario_here():
    assert set(SCENARIOS) == set(AUDITED)


@pytest.mark.parametrize("key", sorted(AUDITED))
def test_every_audited_request_writes_one_event_with_its_actor(cloud, key):
    call_api("GET", "/me", claims=OWNER)
    method, path, body = SCENARIOS[key]()
    before = {item["sk"] for item in audit_items()}

    response = call_api(method, path, claims=OWNER, body=body)

    written = [item for item in audit_items() if item["sk"] not in before]
    assert len(written) == 1, response.text
    event = written[0]
    assert event["action"] == AUDITED[key].audit
    assert (event["actor_user_id"], event["actor_email"], event["sign_in_mode"]) == (
        "owner-1", "owner@example.com", "local"
    )  # fmt: skip
    assert event["status"] == response.status
    assert event["outcome"] == ("succeeded" if response.status < 400 else "refused" if response.status == 403
                                else "failed")  # fmt: skip
    assert event["request_id"] == response.headers["X-Request-Id"]
    # In the organization acted in, or the one the answer names (made, joined or chosen).
    answered = response.json() if 200 <= response.status < 300 and response.text else {}
    assert event["pk"] == f"ORG#{answered.get('organization_id', 't1')}"
    assert event["kind"] == "audit_event"
    assert event["expires_at"] == int(datetime.fromisoformat(event["time"]).timestamp()) + RETENTION_SECONDS


def test_what_each_event_targets_is_the_path_the_created_id_and_the_ids_sent(cloud):
    connection_id = new_connection()
    call_api("PATCH", f"/connections/{connection_id}", claims=OWNER, body={"name": "Renamed", "version": 1})
    viewer = member("viewer")
    call_api("PATCH", f"/members/{viewer['sub']}", claims=OWNER, body={"role": "operator"})
    asset = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
    call_api("POST", f"/connections/{connection_id}/actions", claims=OWNER,
             body={"action": "tag", "asset_ids": [asset], "tags": {"owner": "ops"}})  # fmt: skip

    targets = {item["action"]: item["target"] for item in audit_items()}

    assert targets == {
        "connection.created": {"created_id": connection_id},
        "connection.updated": {"connection_id": connection_id},
        "member.role_changed": {"user_id": viewer["sub"], "role": "operator"},
        "asset.action": {"connection_id": connection_id, "action": "tag", "asset_ids": [asset]},  # no tag value
    }


def test_a_request_refused_for_the_role_writes_a_refused_event(cloud):
    viewer = member("viewer")

    response = call_api("POST", "/connections", claims=viewer, body=aws_connection_body())

    assert response.status == 403
    [event] = audit_items()
    assert (event["action"], event["outcome"], event["status"]) == ("connection.created", "refused", 403)
    assert (event["actor_user_id"], event["pk"]) == (viewer["sub"], "ORG#t1")
    assert event["target"] == {}


def test_an_asset_action_the_customers_cloud_refuses_writes_a_refused_event(customer, monkeypatch):
    connection = call_api(
        "POST", "/connections", claims=customer.claims,
        body={"provider": "aws", "name": "Demo", "role_arn": customer.account.role_arn},
    ).json()  # fmt: skip
    stub_customer_client(
        monkeypatch, "ec2", lambda stubber: stubber.add_client_error("stop_instances", "UnauthorizedOperation")
    )
    asset = customer.account.instance_arn("us-east-1")

    response = call_api("POST", f"/connections/{connection['id']}/actions", claims=customer.claims,
                        body={"action": "stop", "asset_ids": [asset]})  # fmt: skip

    assert response.status == 403
    [event] = [item for item in audit_items() if item["action"] == "asset.action"]
    assert (event["outcome"], event["status"]) == ("refused", 403)
    assert event["target"] == {"connection_id": connection["id"], "action": "stop", "asset_ids": [asset]}
    assert event["actor_user_id"] == customer.claims["sub"]


def test_a_failed_request_writes_a_failed_event(cloud):
    response = call_api("DELETE", "/connections/no-such-connection", claims=OWNER)

    assert response.status == 404
    [event] = audit_items()
    assert (event["action"], event["outcome"], event["status"]) == ("connection.deleted", "failed", 404)
    assert event["target"] == {"connection_id": "no-such-connection"}


def test_no_secret_and_nothing_else_of_a_body_reaches_the_trail(cloud):
    secret = "kX28Q~Audit-Secret-Value.DoNotStore-0123"
    body = azure_connection_body(
        directory_id="11111111-1111-1111-1111-111111111111",
        application_id="22222222-2222-2222-2222-222222222222",
        secret=secret,
        name="Payroll subscription",
    )

    response = call_api("POST", "/connections", claims=OWNER, body=body)

    assert response.status == 201, response.text
    [event] = audit_items()
    assert event["target"] == {"created_id": response.json()["id"]}
    stored = json.dumps(event, default=str)
    for sent in (secret, secret[:3], "Payroll", "11111111-1111", "22222222-2222"):
        assert sent not in stored


def test_a_non_member_acting_in_another_organization_writes_nothing_there(cloud):
    call_api("GET", "/me", claims=OWNER)

    response = call_api("POST", "/connections", claims=OTHER, body=aws_connection_body(),
                        headers={"X-Cloudivize-Organization": "t1"})  # fmt: skip

    assert response.status == 404
    assert audit_items() == []


def test_reads_are_not_audited(cloud):
    connection_id = new_connection()
    call_api("GET", f"/connections/{connection_id}", claims=OWNER)
    call_api("GET", "/connections", claims=OWNER)
    call_api("GET", "/audit", claims=OWNER)

    assert [item["action"] for item in audit_items()] == ["connection.created"]


def test_a_failed_audit_write_leaves_the_answer_as_it_was_and_tells_the_operator(cloud, debug_logs):
    boto3.client("dynamodb").delete_table(TableName=AUDIT_TABLE_NAME)

    response = call_api("POST", "/connections", claims=OWNER, body=aws_connection_body())

    assert response.status == 201
    logged = debug_logs()
    assert "Audit event not written" in logged
    assert '"error":"ResourceNotFoundException"' in logged.replace(" ", "")


# --- GET /audit ---------------------------------------------------------------------------------------------------


def read(query: str = "", claims: dict[str, str] = OWNER):
    return call_api("GET", "/audit", claims=claims, query=query)


def test_the_trail_is_read_newest_first_with_each_events_actor(cloud):
    first, second = new_connection(), new_connection()
    admin = member("admin")
    third = new_connection(admin)

    page = read()

    assert page.status == 200, page.text
    items = page.json()["items"]
    assert [item["target"]["created_id"] for item in items] == [third, second, first]
    assert items[0]["actor"] == {"user_id": admin["sub"], "email": "admin@example.com", "sign_in_mode": "local"}
    assert items[1]["actor"]["user_id"] == "owner-1"
    assert {item["action"] for item in items} == {"connection.created"}
    assert {item["outcome"] for item in items} == {"succeeded"}
    assert {item["organization_id"] for item in items} == {"t1"}
    assert page.json()["next_token"] is None


def test_the_trail_pages_by_limit_and_token(cloud):
    made = [new_connection() for _ in range(5)]

    seen, token, pages = [], None, 0
    while True:
        page = read(f"limit=2&next_token={token}" if token else "limit=2").json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [item["target"]["created_id"] for item in page["items"]]
        token = page["next_token"]
        if token is None:
            break

    assert seen == list(reversed(made))
    assert pages == 3


def test_the_trail_filters_by_actor_and_by_action(cloud):
    connection_id = new_connection()
    admin = member("admin")
    new_connection(admin)
    call_api("DELETE", f"/connections/{connection_id}", claims=admin)

    by_admin = read(f"actor={admin['sub']}").json()["items"]
    created = read("action=connection.created").json()["items"]
    both = read(f"actor={admin['sub']}&action=connection.deleted").json()["items"]
    paged = read("action=connection.deleted&limit=1").json()

    assert [item["action"] for item in by_admin] == ["connection.deleted", "connection.created"]
    assert [item["actor"]["user_id"] for item in created] == [admin["sub"], "owner-1"]
    assert [(item["action"], item["target"]) for item in both] == [
        ("connection.deleted", {"connection_id": connection_id})
    ]
    assert len(paged["items"]) == 1


def test_a_token_of_another_organizations_trail_is_refused(cloud):
    for _ in range(2):
        new_connection(OTHER)
    token = read("limit=1", claims=OTHER).json()["next_token"]
    new_connection()

    response = read(f"next_token={token}")

    assert response.status == 400
    assert "next_token" in response.json()["detail"]
    assert read("next_token=not-a-token").status == 400


def test_an_organization_reads_only_its_own_trail(cloud):
    new_connection(OTHER)
    mine = new_connection()

    assert [item["target"]["created_id"] for item in read().json()["items"]] == [mine]


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_a_viewer_or_operator_may_not_read_the_trail(cloud, role):
    response = read(claims=member(role))

    assert response.status == 403
    assert response.json()["role_needed"] == "admin"
    assert "Reading the audit trail needs the admin role" in response.json()["detail"]


def test_an_admin_may_read_the_trail(cloud):
    assert read(claims=member("admin")).status == 200


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "action=DROP%20TABLE", "actor=a%2Fb"])
def test_bad_parameters_are_422(cloud, query):
    assert read(query).status == 422
