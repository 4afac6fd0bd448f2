from pydantic import BaseModel, Field

from cloudivize.tenancy import SignInMode


class MeResponse(BaseModel):
    """The signed-in caller, as the verified token describes them."""

    user_id: str = Field(description="Cognito user id (the token's `sub`)")
    email: str | None = Field(description="The user's email address")
    tenant_id: str = Field(description="The customer organisation the user belongs to")
    sign_in_mode: SignInMode = Field(description="`local` (Cloudivize identity) or `amazon` (Login with Amazon)")
