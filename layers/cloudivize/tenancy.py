"""Who is calling, and in which organization with which role.

Identity comes from the verified token's claims only (user, email, sign-in mode); authority comes from the
membership, read from the table on every request (``MembershipStore.of_user``: one strongly consistent Query),
never from the token: a member removed or demoted is refused at their next request, whatever their token says,
and a user's first request after their first sign-in works with their first token. The organization a request
acts in is the one named by ``X-Cloudivize-Organization``, else the user's default. Who may call each route is
declared in the route table and reaches the function as ``ROUTE_POLICY`` (docs/architecture.md,
"Organizations and roles").
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from cloudivize.errors import Forbidden, NotFound, Unauthorized
from cloudivize.observability import logger
from cloudivize.roles import SIGNED_IN, Role, refusal

AMAZON_PROVIDER = "LoginWithAmazon"
ORGANIZATION_HEADER = "X-Cloudivize-Organization"
ROUTE_POLICY_VARIABLE = "ROUTE_POLICY"
ORGANIZATION_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")

# "schedule": Cloudivize itself, acting on a schedule for an organization (cloudivize.organization_sync).
SignInMode = Literal["local", "amazon", "schedule"]

NO_SUCH_ORGANIZATION = "No such organization, or you are not a member of it."
NO_ORGANIZATION = (
    "You belong to no organization yet: create one (POST /organizations) or accept an invitation (GET /me/invitations)."
)


class Caller(BaseModel):
    """The signed-in user, and, when the request acts in one, the organization (``tenant_id``) and their role."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    username: str
    email: str | None
    email_verified: bool = False
    sign_in_mode: SignInMode
    tenant_id: str | None = None
    role: Role | None = None
    # What authorization read of the caller's memberships, for the routes that show them (GET /me,
    # GET /organizations): every organization with their role, in the order joined, and the default one.
    organizations: dict[str, Role] = {}
    default_organization_id: str | None = None

    @property
    def organization_id(self) -> str:
        if self.tenant_id is None:  # only routes that need no organization run without one
            raise Forbidden(NO_ORGANIZATION)
        return self.tenant_id


class RoleRefused(Forbidden):
    """A member whose role is too low for the route: ``caller`` is who was refused, in that organization (the audit
    trail records the refusal there)."""

    def __init__(self, detail: str, *, caller: Caller, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.caller = caller


class RouteRule(BaseModel):
    """One route's entry of ``ROUTE_POLICY``: who may call it, what a refusal names, its audit action."""

    model_config = ConfigDict(frozen=True)

    needs: str
    doing: str = ""
    audit: str | None = None


@cache
def route_policy() -> dict[str, RouteRule]:
    """The function's routes, as the stack declared them; empty (every route refused) when it declared none."""
    try:
        declared = json.loads(os.environ.get(ROUTE_POLICY_VARIABLE) or "{}")
        return {key: RouteRule.model_validate(rule) for key, rule in declared.items()}
    except (ValueError, ValidationError):
        logger.error("The route policy is unreadable: every route is refused")
        return {}


def _identities(claims: Mapping[str, Any]) -> list[dict[str, Any]]:
    # In the token `identities` is a list; API Gateway's authorizer hands every claim over as a string.
    raw = claims.get("identities")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    if isinstance(raw, dict):  # a single identity, as some token paths render it
        raw = [raw]
    return [item for item in raw or [] if isinstance(item, dict)]


def sign_in_mode(claims: Mapping[str, Any]) -> SignInMode:
    federated = {str(i.get("providerName") or i.get("providerType")) for i in _identities(claims)}
    return "amazon" if AMAZON_PROVIDER in federated else "local"


def email_verified(claims: Mapping[str, Any], mode: SignInMode) -> bool:
    """Whether the token's email is one its holder proved they own (what accepting an invitation requires).

    A local user's when Cognito verified it (``email_verified``: the code sent at sign-up). An Amazon user's
    whenever the token has one: Login with Amazon shares the Amazon account's own email, which Amazon verifies,
    and the pool maps it from Amazon's profile at each sign-in; Cognito sets no ``email_verified`` for it, since
    the pool did not send the code itself (docs/architecture.md, "Organizations and roles")."""
    if mode == "amazon":
        return bool(claims.get("email"))
    return str(claims.get("email_verified", "")).lower() == "true"


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    """The user the claims describe, in no organization yet."""
    if not claims or not claims.get("sub"):
        raise Unauthorized("Sign in and send your ID token as 'Authorization: Bearer <token>'.")
    mode = sign_in_mode(claims)
    return Caller(
        user_id=str(claims["sub"]),
        username=str(claims.get("cognito:username") or claims["sub"]),
        email=claims.get("email"),
        email_verified=email_verified(claims, mode),
        sign_in_mode=mode,
    )


def authorize(
    event: Mapping[str, Any],
    *,
    roles_of: Callable[[str], Any],
    organization_name: Callable[[str], str | None],
) -> Caller:
    """The caller of an API Gateway event, allowed to call its route, or the refusal: 401 without claims, 403
    for a route the stack declared no rule for, 404 for an organization the user is not a member of (exactly as
    for one that does not exist), 403 naming the role needed for a role too low.

    ``roles_of(user_id)`` gives the user's ``UserOrganizations`` (read from the table); ``organization_name``
    names an organization in a refusal.
    """
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims")
    caller = caller_from_claims(claims)
    rule = route_policy().get(f"{event.get('httpMethod', '')} {event.get('resource', '')}")
    if rule is None:
        raise Forbidden("This route is not open to anyone.")
    requested = _header(event, ORGANIZATION_HEADER)
    if requested is not None and not ORGANIZATION_ID.match(requested):
        raise NotFound(NO_SUCH_ORGANIZATION)
    organizations = roles_of(caller.user_id)
    caller = caller.model_copy(
        update={"organizations": organizations.roles, "default_organization_id": organizations.current(None)}
    )
    current = organizations.current(requested)
    role = organizations.roles.get(current) if current else None
    if rule.needs == SIGNED_IN:
        # No organization needed; the current one (if the user is in it) still comes along, e.g. for GET /me.
        return caller.model_copy(update={"tenant_id": current, "role": role} if role else {})
    if current is None:
        raise Forbidden(NO_ORGANIZATION)
    if role is None:
        raise NotFound(NO_SUCH_ORGANIZATION)
    member = caller.model_copy(update={"tenant_id": current, "role": role})
    needed = Role(rule.needs)
    if not role.at_least(needed):
        detail = refusal(rule.doing, needed, role, organization_name(current) or current)
        raise RoleRefused(detail, caller=member, role_needed=needed)
    return member


def _header(event: Mapping[str, Any], name: str) -> str | None:
    for header, value in (event.get("headers") or {}).items():
        if header.lower() == name.lower():
            return value
    return None


# The caller of the request being handled: set by ``cloudivize.api.handle`` once it authorized the request, for
# the route it then resolves. A context variable rather than the resolver's context: a handler module's router may
# also be included in another resolver (the OpenAPI document is generated from every router), whose context the
# router would then read.
_CURRENT: ContextVar[Caller | None] = ContextVar("cloudivize_caller", default=None)


@contextmanager
def acting_as(caller: Caller) -> Iterator[None]:
    token = _CURRENT.set(caller)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_caller(router: Any = None) -> Caller:
    """The caller of the request being resolved (authorized before the route ran); also tags every log line with
    the organization and user."""
    caller = _CURRENT.get()
    if caller is None:  # resolved without authorization: never serve it
        raise Unauthorized("Sign in and send your ID token as 'Authorization: Bearer <token>'.")
    logger.append_keys(tenant_id=caller.tenant_id, user_id=caller.user_id)
    return caller
