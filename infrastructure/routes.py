"""The route table: the single source of truth for which function serves which route.

Both the CDK API (``infrastructure/api.py``) and the local API server (``infrastructure/local``) are built
from this module, so they cannot drift. Nothing here imports the function code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum


class Access(StrEnum):
    """What a function may touch. The CDK stack turns each into the narrowest grant it can express."""

    TABLE_READ = "table_read"
    TABLE_WRITE = "table_write"
    SEAL = "seal"  # encrypt with the field-level key (kms:GenerateDataKey), context-bound
    UNSEAL = "unseal"  # decrypt with the field-level key (kms:Decrypt), context-bound
    IDEMPOTENCY = "idempotency"  # read/write idempotency records (retried creates)
    ASSUME_CUSTOMER_ROLE = "assume_customer_role"  # via the customer-access role, into customers' roles
    AUDIT_WRITE = "audit_write"  # add audit events (dynamodb:PutItem only): every function serving an audited route
    AUDIT_READ = "audit_read"  # read the audit trail (dynamodb:Query only)
    SEND_INVITATIONS = "send_invitations"  # ses:SendEmail from the stack's invitation sender identity only


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its code lives in ``functions/<name>/handler.py`` (``lambda_handler``)."""

    name: str
    description: str
    access: frozenset[Access] = field(default_factory=frozenset)
    memory_mb: int = 512
    timeout_seconds: int = 15

    @property
    def code_dir(self) -> str:
        return f"functions/{self.name}"

    @property
    def module(self) -> str:
        """Import path of the handler module when run from the repository root (local stack, tests)."""
        return f"functions.{self.name}.handler"

    handler: str = "handler.lambda_handler"


class Needs(StrEnum):
    """Who may call a route: any signed-in user, or a member of the organization the request acts in with at
    least this role (``cloudivize.roles.Role`` has the same values, in this order; a test keeps them equal)."""

    SIGNED_IN = "signed_in"
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"
    OWNER = "owner"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway resource path, e.g. "/connections/{connection_id}"
    function: str  # a key of FUNCTIONS
    # Who may call it (None: undeclared, which the functions refuse and a test forbids).
    needs: Needs | None = None
    # What a refusal names as needing the role, e.g. "Running actions" (routes above viewer).
    doing: str = ""
    # The audit trail's action for a state-changing route, e.g. "connection.created".
    audit: str | None = None

    @property
    def key(self) -> str:
        """How the functions name the route: API Gateway's method and resource path."""
        return f"{self.method} {self.path}"

    @property
    def pattern(self) -> re.Pattern[str]:
        """Regex matching concrete request paths; named groups are the path parameters."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path)
        return re.compile(f"^{regex}$")


# Reading a connection (sealed descriptors and credentials) and reaching the customer's cloud with it.
_CLOUD_ACCESS = frozenset({Access.TABLE_READ, Access.UNSEAL, Access.ASSUME_CUSTOMER_ROLE})

FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec(name="me", description="Who is calling: GET /me", access=frozenset({Access.TABLE_READ})),
        FunctionSpec(
            name="settings",
            description="The caller's user configuration: GET/PUT /settings",
            access=frozenset({Access.TABLE_READ, Access.TABLE_WRITE}),
        ),
        FunctionSpec(
            name="organizations",
            description="Organizations and their members: create, rename, delete; roles, removal, leaving",
            # A new organization gets its External ID, sealed.
            access=frozenset({Access.TABLE_READ, Access.TABLE_WRITE, Access.SEAL, Access.AUDIT_WRITE}),
        ),
        FunctionSpec(
            name="invitations",
            description="Invitations: invite by email with a role, list, revoke; mine, accept",
            access=frozenset({Access.TABLE_READ, Access.TABLE_WRITE, Access.SEND_INVITATIONS, Access.AUDIT_WRITE}),
        ),
        FunctionSpec(
            name="connections",
            description="Connection records: add, list, read, change, remove, re-verify",
            access=frozenset(
                {
                    Access.TABLE_READ,
                    Access.TABLE_WRITE,
                    Access.SEAL,
                    Access.UNSEAL,
                    Access.IDEMPOTENCY,
                    Access.ASSUME_CUSTOMER_ROLE,  # live verification
                    Access.AUDIT_WRITE,
                }
            ),
            # Connecting (or syncing) an AWS organization lists its accounts and verifies each new member live.
            timeout_seconds=29,
        ),
        FunctionSpec(
            name="organization_sync",
            description="Keeps each AWS organization connection in step with its organization, on a schedule",
            access=frozenset(
                {
                    Access.TABLE_READ,
                    Access.TABLE_WRITE,
                    Access.SEAL,
                    Access.UNSEAL,
                    Access.ASSUME_CUSTOMER_ROLE,  # the discovery role, and each new member's role (verification)
                    Access.AUDIT_WRITE,  # every sync is recorded in its organization's audit trail
                }
            ),
            timeout_seconds=300,  # every organization connection of every tenant, one after the other
        ),
        FunctionSpec(
            name="post_confirmation",
            description="Cognito post-confirmation trigger: creates the user's organization and its External ID",
            access=frozenset({Access.TABLE_READ, Access.TABLE_WRITE, Access.SEAL}),
        ),
        FunctionSpec(
            name="onboarding",
            description="What customers need to connect: GET /onboarding/aws, /aws-organization and /azure",
            access=frozenset({Access.TABLE_READ, Access.UNSEAL}),
        ),
        FunctionSpec(
            name="assets",
            description="Live assets of a connection (never stored)",
            access=_CLOUD_ACCESS | {Access.SEAL},  # its page tokens are sealed (cloudivize.paging)
            memory_mb=1024,
            timeout_seconds=29,
        ),
        FunctionSpec(
            name="actions",
            description="Operate on a connection's assets (start/stop/reboot/tag)",
            access=_CLOUD_ACCESS | {Access.AUDIT_WRITE},
            timeout_seconds=29,
        ),
        FunctionSpec(
            name="activity",
            description="Cloudivize's activity in the customer's CloudTrail",
            access=_CLOUD_ACCESS,
        ),
        FunctionSpec(
            name="audit",
            description="The organization's audit trail: GET /audit",
            access=frozenset({Access.TABLE_READ, Access.AUDIT_READ}),  # the caller's membership; the trail
        ),
    )
}

# Functions that API Gateway invokes (every route needs the Cognito authorizer). Triggers are not here.
# Who may call each route is declared here, once (docs/architecture.md, "Organizations and roles").
_CONNECTIONS = "Changing connections"
_MEMBERS = "Managing members"
ROUTES: tuple[Route, ...] = (
    Route("GET", "/me", "me", Needs.SIGNED_IN),
    Route("PUT", "/me/organization", "organizations", Needs.VIEWER, audit="member.default_chosen"),
    Route("GET", "/settings", "settings", Needs.SIGNED_IN),
    Route("PUT", "/settings", "settings", Needs.SIGNED_IN),
    Route("GET", "/organizations", "organizations", Needs.SIGNED_IN),
    Route("POST", "/organizations", "organizations", Needs.SIGNED_IN, audit="organization.created"),
    Route("GET", "/organization", "organizations", Needs.VIEWER),
    Route("PATCH", "/organization", "organizations", Needs.OWNER, "Renaming the organization", "organization.renamed"),
    Route("DELETE", "/organization", "organizations", Needs.OWNER, "Deleting the organization", "organization.deleted"),
    Route("GET", "/members", "organizations", Needs.VIEWER),
    Route("PATCH", "/members/{user_id}", "organizations", Needs.ADMIN, "Changing roles", "member.role_changed"),
    # Anyone may leave; removing someone else needs the admin role (the organizations function holds that rule).
    Route("DELETE", "/members/{user_id}", "organizations", Needs.VIEWER, _MEMBERS, "member.removed"),
    # Inviting an owner needs the owner role (the invitations function holds that rule); accepting needs the
    # invitation's own addressee, by a verified email.
    Route("POST", "/invitations", "invitations", Needs.ADMIN, "Inviting members", "member.invited"),
    Route("GET", "/invitations", "invitations", Needs.ADMIN, "Reading invitations"),
    Route(
        "DELETE",
        "/invitations/{invitation_id}",
        "invitations",
        Needs.ADMIN,
        "Revoking invitations",
        "member.invitation_revoked",
    ),  # fmt: skip
    Route("GET", "/me/invitations", "invitations", Needs.SIGNED_IN),
    Route("POST", "/invitations/{invitation_id}/accept", "invitations", Needs.SIGNED_IN, audit="member.joined"),
    Route("POST", "/connections", "connections", Needs.ADMIN, _CONNECTIONS, "connection.created"),
    Route("GET", "/connections", "connections", Needs.VIEWER),
    Route("GET", "/connections/{connection_id}", "connections", Needs.VIEWER),
    Route("PATCH", "/connections/{connection_id}", "connections", Needs.ADMIN, _CONNECTIONS, "connection.updated"),
    Route("DELETE", "/connections/{connection_id}", "connections", Needs.ADMIN, _CONNECTIONS, "connection.deleted"),
    Route(
        "POST", "/connections/{connection_id}/verify", "connections", Needs.ADMIN, _CONNECTIONS, "connection.verified"
    ),
    Route("POST", "/connections/{connection_id}/sync", "connections", Needs.ADMIN, _CONNECTIONS, "connection.synced"),
    Route("GET", "/onboarding/aws", "onboarding", Needs.ADMIN, "Onboarding an AWS account"),
    Route("GET", "/onboarding/aws-organization", "onboarding", Needs.ADMIN, "Onboarding an AWS organization"),
    Route("GET", "/onboarding/azure", "onboarding", Needs.ADMIN, "Onboarding Azure"),
    Route("GET", "/connections/{connection_id}/assets", "assets", Needs.VIEWER),
    Route("POST", "/connections/{connection_id}/actions", "actions", Needs.OPERATOR, "Running actions", "asset.action"),
    Route("GET", "/connections/{connection_id}/activity", "activity", Needs.VIEWER),
    Route("GET", "/audit", "audit", Needs.ADMIN, "Reading the audit trail"),
)


def route_policy(function: str | None = None) -> str:
    """What the functions enforce, as they read it (``ROUTE_POLICY``): per route key, who may call it, what a
    refusal names, and the audit action. ``function``: only that function's routes; None: every route."""
    return json.dumps(
        {
            route.key: {"needs": route.needs, "doing": route.doing, "audit": route.audit}
            for route in ROUTES
            if function is None or route.function == function
        },
        separators=(",", ":"),
    )


def match_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route serving ``method path`` and its path parameters, or None."""
    for route in ROUTES:
        if route.method != method.upper():
            continue
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None


def allowed_methods(path: str) -> list[str]:
    return sorted({route.method for route in ROUTES if route.pattern.match(path)})
