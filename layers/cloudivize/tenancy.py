"""Who is calling, from the verified token's claims only (never from the path, query or body)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from cloudivize.errors import Forbidden, Unauthorized
from cloudivize.observability import logger

TENANT_CLAIM = "custom:tenant_id"
AMAZON_PROVIDER = "LoginWithAmazon"

SignInMode = Literal["local", "amazon"]


class Caller(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: str
    username: str
    email: str | None
    tenant_id: str
    sign_in_mode: SignInMode


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


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    if not claims or not claims.get("sub"):
        raise Unauthorized("Sign in and send your ID token as 'Authorization: Bearer <token>'.")
    tenant_id = claims.get(TENANT_CLAIM)
    if not tenant_id:
        raise Forbidden("Your account is still being set up. Sign in again in a moment to get a fresh token.")
    return Caller(
        user_id=str(claims["sub"]),
        username=str(claims.get("cognito:username") or claims["sub"]),
        email=claims.get("email"),
        tenant_id=str(tenant_id),
        sign_in_mode=sign_in_mode(claims),
    )


def current_caller(router: Any) -> Caller:
    """The caller of the request being resolved; also tags every log line with the tenant and user."""
    authorizer = router.current_event.request_context.authorizer
    claims = authorizer.claims if authorizer else None
    caller = caller_from_claims(claims)
    logger.append_keys(tenant_id=caller.tenant_id, user_id=caller.user_id)
    return caller
