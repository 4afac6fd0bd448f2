"""The audit trail over real HTTP against the local stack: a write shows up in GET /audit with its actor."""

from __future__ import annotations

import uuid

import pytest

from .conftest import token_claims

pytestmark = pytest.mark.integration


def test_a_created_connection_shows_in_the_audit_trail_with_the_demo_user_as_actor(api, local_stack, demo_token):
    role_arn = f"arn:aws:iam::210987654321:role/Audited{uuid.uuid4().hex[:8]}"  # a role no other test connects
    created = api.request(
        "POST", "/connections", token=demo_token,
        json={"provider": "aws", "name": "Audited", "role_arn": role_arn, "verify": False},
    )  # fmt: skip
    assert created.status_code == 201, created.text

    trail = api.get("/audit?action=connection.created&limit=100", token=demo_token)

    assert trail.status_code == 200, trail.text
    newest = trail.json()["items"][0]
    claims = token_claims(demo_token)
    assert newest["target"] == {"created_id": created.json()["id"]}
    assert newest["actor"] == {"user_id": claims["sub"], "email": claims["email"], "sign_in_mode": "local"}
    assert newest["actor"]["email"] == local_stack.demo_username
    assert (newest["action"], newest["outcome"], newest["status"]) == ("connection.created", "succeeded", 201)
    assert newest["request_id"] == created.headers["X-Request-Id"]
