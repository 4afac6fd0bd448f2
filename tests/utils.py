"""Builders shared by the suites: invoke a function the way API Gateway would, with given claims."""

from __future__ import annotations

import importlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from infrastructure.local.gateway.proxy_event import ApiStage, HttpRequest, api_gateway_claims, rest_proxy_event
from infrastructure.routes import FUNCTIONS, match_route

STAGE = ApiStage(account_id="111111111111", api_id="unit", stage="v1")


class LambdaContext:
    function_name = "cloudivize-unit"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:cloudivize-unit"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


# Where a test's claims say which organization the user was signed up into: ``call_api`` makes it (with the user
# as an owner) the first time it sees the user, as the post-confirmation trigger does at sign-up. The functions
# never read it: authority comes from the membership in the table.
TEST_ORGANIZATION_CLAIM = "custom:tenant_id"


def claims_for(tenant_id: str, user_id: str = "user-1", email: str = "ana@example.com") -> dict[str, str]:
    return api_gateway_claims(
        {
            "sub": user_id,
            "cognito:username": user_id,
            "email": email,
            "email_verified": "true",
            TEST_ORGANIZATION_CLAIM: tenant_id,
            "token_use": "id",
            "exp": int(time.time()) + 3600,
        }
    )


SIGNED_UP: set[str] = set()  # users seen in this test (tests/conftest.py empties it for each test)


def signed_up(claims: dict[str, str] | None, *, role: str = "owner") -> None:
    """The claims' user as sign-up leaves them: a member (``role``) of the organization their claims name, which
    exists. Only for a user the table has never seen (a member removed by a test stays removed)."""
    if not claims or TEST_ORGANIZATION_CLAIM not in claims or claims["sub"] in SIGNED_UP:
        return
    SIGNED_UP.add(claims["sub"])
    from cloudivize.composition import backend
    from cloudivize.organizations import create_organization
    from cloudivize.repository import user_partition
    from cloudivize.roles import Role
    from cloudivize.store.memberships import Member

    service = backend()
    user_id, tenant_id = claims["sub"], claims[TEST_ORGANIZATION_CLAIM]
    if service.table.query_all(user_partition(user_id)):
        return
    made = create_organization(
        service.tenants, service.memberships, tenant_id=tenant_id, name=f"Org {tenant_id}", owner_id=user_id,
        owner_email=claims.get("email"), make_default=True,
    )  # fmt: skip
    if not made:
        member = Member(user_id=user_id, email=claims.get("email"), role=Role(role), joined_at=_now())
        service.memberships.join(tenant_id, member, make_default=True)


def _now():
    import datetime

    return datetime.datetime.now(datetime.UTC)


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


def call_api(
    method: str,
    path: str,
    *,
    claims: dict[str, str] | None,
    body: Any = None,
    raw_body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    default_content_type: bool = True,
) -> ApiResponse:
    """Route like API Gateway (the shared route table), build its event, invoke the function's handler."""
    signed_up(claims)
    matched = match_route(method, path)
    assert matched, f"no route for {method} {path}"
    route, parameters = matched
    payload = raw_body if raw_body is not None else (json.dumps(body) if body is not None else "")
    payload = payload if isinstance(payload, bytes) else payload.encode()
    request_headers = {**({"Content-Type": "application/json"} if default_content_type else {}), **(headers or {})}
    request = HttpRequest(
        method=method,
        raw_path=path,
        query=query,
        headers=tuple(request_headers.items()),
        body=payload,
        source_ip="127.0.0.1",
    )
    event = rest_proxy_event(
        request, route, parameters, claims, stage=STAGE, request_id=str(uuid.uuid4()), received_at=time.time()
    )
    handler = importlib.import_module(FUNCTIONS[route.function].module)
    result = handler.lambda_handler(event, LambdaContext())
    flat = {name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
    flat.update(result.get("headers") or {})
    return ApiResponse(status=result["statusCode"], headers=flat, text=result.get("body") or "")


def stub_customer_client(monkeypatch, service: str, prepare, *, region: str | None = None) -> None:
    """Clients Cloudivize opens in a customer account for ``service`` (in ``region``, if given) answer what
    ``prepare(stubber)`` queued: how a refusal by the customer's role is played, since moto enforces no IAM."""
    from botocore.stub import Stubber

    from cloudivize.aws_access.sessions import CustomerSession

    make_client = CustomerSession.client

    def client(self, name, region_name=None):
        made = make_client(self, name, region_name)
        if name == service and region in (None, region_name):
            stubber = Stubber(made)
            prepare(stubber)
            stubber.activate()
        return made

    monkeypatch.setattr(CustomerSession, "client", client)


def cloudtrail_event(resource_name: str, source_identity: str = "user-1") -> dict:
    """A CloudTrail LookupEvents entry for a StopInstances call made by a Cloudivize session."""
    import datetime

    return {
        "EventId": "e-1",
        "EventName": "StopInstances",
        "EventTime": datetime.datetime(2026, 11, 29, 10, 0, tzinfo=datetime.UTC),
        "EventSource": "ec2.amazonaws.com",
        "Username": "Cloudivize-Session",
        "ReadOnly": "false",
        "Resources": [{"ResourceType": "AWS::EC2::Instance", "ResourceName": resource_name}],
        "CloudTrailEvent": json.dumps({"userIdentity": {"sessionContext": {"sourceIdentity": source_identity}}}),
    }


class ServiceCalls(list):
    """Records the operations every boto client makes on one service inside ``with ServiceCalls(name) as calls:``."""

    service = ""

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service or self.service

    def __enter__(self) -> ServiceCalls:
        from unittest import mock

        from botocore.client import BaseClient

        make_api_call = BaseClient._make_api_call

        def counting(client, operation, params):
            if client.meta.service_model.service_name == self.service:
                self.append(operation)
            return make_api_call(client, operation, params)

        self._patch = mock.patch.object(BaseClient, "_make_api_call", counting)
        self._patch.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._patch.stop()


class KmsCalls(ServiceCalls):
    """Records the KMS operations every boto client makes inside ``with KmsCalls() as calls:``."""

    service = "kms"


# --- request bodies of POST /connections ---------------------------------------------------------------------
AWS_ROLE_ARN = "arn:aws:iam::123456789012:role/CloudivizeReadOnly"


def aws_connection_body(**overrides: Any) -> dict[str, Any]:
    """An AWS connection's body, not verified on create (no customer account behind it) unless overridden."""
    return {"provider": "aws", "name": "Production", "role_arn": AWS_ROLE_ARN, "verify": False} | overrides


def azure_connection_body(*, directory_id: str, application_id: str, secret: str, **overrides: Any) -> dict[str, Any]:
    """An Azure connection's body (secret credential), not verified on create unless overridden."""
    return {
        "provider": "azure",
        "name": "Azure prod",
        "directory_id": directory_id,
        "application_id": application_id,
        "application_secret": secret,
        "verify": False,
    } | overrides


# The discovery role's policy, as the organization template, its onboarding answer and the demo organization's role
# each hold it: the five reads of the organization, and iam:GetRole on the role itself (``own_role``).
DISCOVERY_ACTIONS = [
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListParents",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListRoots",
]


def discovery_policy(own_role: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DiscoverAccounts", "Effect": "Allow", "Action": DISCOVERY_ACTIONS, "Resource": "*"},
            {"Sid": "AuditOwnTrustPolicy", "Effect": "Allow", "Action": "iam:GetRole", "Resource": own_role},
        ],
    }


def keys_in(node: Any) -> Iterator[str]:
    """Every key of a JSON-like document, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from keys_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from keys_in(value)
