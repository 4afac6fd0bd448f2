"""Organizations and their members, as the API shows and takes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cloudivize.roles import Role

OrganizationName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"),
    Field(description="What the members call the organization", examples=["Acme"]),
]


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: OrganizationName


class OrganizationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: OrganizationName


class OrganizationSummary(BaseModel):
    organization_id: str
    name: str
    role: Role = Field(description="Your role in it")
    default: bool = Field(description="Whether requests without `X-Cloudivize-Organization` act in it")


class Organization(BaseModel):
    organization_id: str
    name: str
    role: Role = Field(description="Your role in it")
    created_at: datetime
    members: int = Field(description="How many members it has")


class OrganizationList(BaseModel):
    items: list[OrganizationSummary]


class MemberView(BaseModel):
    user_id: str
    email: str | None
    role: Role
    joined_at: datetime


class MemberList(BaseModel):
    items: list[MemberView]


class MemberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class DefaultOrganization(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")] = Field(
        description="The organization requests without `X-Cloudivize-Organization` act in from now on"
    )
