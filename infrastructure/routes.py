"""The route table: the single source of truth for which function serves which route.

Both the CDK API (``infrastructure/api.py``) and the local API server (``infrastructure/local``) are built
from this module, so they cannot drift. Nothing here imports the function code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Access(StrEnum):
    """What a function may touch. The CDK stack turns each into the narrowest grant it can express."""

    TABLE_READ = "table_read"
    TABLE_WRITE = "table_write"
    SEAL = "seal"  # encrypt with the field-level key (kms:GenerateDataKey), context-bound
    UNSEAL = "unseal"  # decrypt with the field-level key (kms:Decrypt), context-bound
    SET_TENANT_ATTRIBUTE = "set_tenant_attribute"  # cognito-idp:AdminUpdateUserAttributes on the pool
    IDEMPOTENCY = "idempotency"  # read/write idempotency records (retried creates)
    ASSUME_CUSTOMER_ROLE = "assume_customer_role"  # via the customer-access role, into customers' roles


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


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway resource path, e.g. "/connections/{id}"
    function: str  # a key of FUNCTIONS

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
        FunctionSpec(name="me", description="Who is calling: GET /me"),
        FunctionSpec(
            name="settings",
            description="The caller's user configuration: GET/PUT /settings",
            access=frozenset({Access.TABLE_READ, Access.TABLE_WRITE}),
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
                }
            ),
        ),
        FunctionSpec(
            name="post_confirmation",
            description="Cognito post-confirmation trigger: creates the tenant and its External ID",
            access=frozenset({Access.TABLE_READ, Access.TABLE_WRITE, Access.SEAL, Access.SET_TENANT_ATTRIBUTE}),
        ),
        FunctionSpec(
            name="onboarding",
            description="What customers need to connect: GET /onboarding/aws and /onboarding/azure",
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
            access=_CLOUD_ACCESS,
            timeout_seconds=29,
        ),
        FunctionSpec(
            name="activity",
            description="Cloudivize's activity in the customer's CloudTrail",
            access=_CLOUD_ACCESS,
        ),
    )
}

# Functions that API Gateway invokes (every route needs the Cognito authorizer). Triggers are not here.
ROUTES: tuple[Route, ...] = (
    Route("GET", "/me", "me"),
    Route("GET", "/settings", "settings"),
    Route("PUT", "/settings", "settings"),
    Route("POST", "/connections", "connections"),
    Route("GET", "/connections", "connections"),
    Route("GET", "/connections/{connection_id}", "connections"),
    Route("PATCH", "/connections/{connection_id}", "connections"),
    Route("DELETE", "/connections/{connection_id}", "connections"),
    Route("POST", "/connections/{connection_id}/verify", "connections"),
    Route("GET", "/onboarding/aws", "onboarding"),
    Route("GET", "/onboarding/azure", "onboarding"),
    Route("GET", "/connections/{connection_id}/assets", "assets"),
    Route("POST", "/connections/{connection_id}/actions", "actions"),
    Route("GET", "/connections/{connection_id}/activity", "activity"),
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
