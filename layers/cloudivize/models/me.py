from pydantic import BaseModel, Field

from cloudivize.models.organizations import OrganizationSummary
from cloudivize.roles import Role
from cloudivize.tenancy import SignInMode


class CurrentOrganization(BaseModel):
    organization_id: str
    name: str


class MeResponse(BaseModel):
    """The signed-in caller: who they are (from the verified token) and where they belong (from their memberships)."""

    user_id: str = Field(description="Cognito user id (the token's `sub`)")
    email: str | None = Field(description="The user's email address")
    sign_in_mode: SignInMode = Field(description="`local` (Cloudivize identity) or `amazon` (Login with Amazon)")
    tenant_id: str | None = Field(
        description="The organization this request acts in (as `organization.organization_id`); null in none"
    )
    organization: CurrentOrganization | None = Field(description="The organization this request acts in")
    role: Role | None = Field(description="Your role in it")
    organizations: list[OrganizationSummary] = Field(description="Every organization you belong to")
