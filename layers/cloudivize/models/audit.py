"""The audit trail as the API shows it: who did what, to what, with which outcome (docs/architecture.md, "Audit
trail")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from cloudivize.tenancy import SignInMode

Outcome = Literal["succeeded", "refused", "failed"]


class AuditActor(BaseModel):
    user_id: str = Field(description="Cognito user id (the token's `sub`)")
    email: str | None = Field(description="The user's email address when they acted")
    sign_in_mode: SignInMode


class AuditEvent(BaseModel):
    id: str = Field(description="The event's id (unique in the organization)")
    time: datetime
    actor: AuditActor
    action: str = Field(description='What was asked, e.g. "connection.created", "asset.action", "member.role_changed"')
    target: dict[str, str | list[str]] = Field(
        description="What it was asked of: the path's ids, the id a create made, and for actions on assets the "
        "action and the asset ids sent (nothing else of the request)"
    )
    outcome: Outcome = Field(
        description="`succeeded`; `refused` (403: by Cloudivize for the role, or by the customer's cloud); `failed`"
    )
    status: int = Field(description="The HTTP status answered")
    request_id: str = Field(description="The request's X-Request-Id")
    organization_id: str


class AuditPage(BaseModel):
    items: list[AuditEvent] = Field(description="Newest first")
    next_token: str | None = Field(default=None, description="Send it back as `next_token` for the next (older) page")
