"""What a customer needs to create the Azure application Cloudivize uses (GET /onboarding/azure)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AzureField(BaseModel):
    name: str
    description: str
    required: bool


class AzureOnboarding(BaseModel):
    fields: list[AzureField]
    recommended_role: str = Field(description="The role to view: assign it on each subscription")
    operate_roles: list[str] = Field(description="Roles to add to operate (start/stop VMs, tag)")
    commands: list[str] = Field(description="Equivalent Azure CLI commands")
    secret_advice: list[str]


def azure_onboarding() -> AzureOnboarding:
    return AzureOnboarding(
        fields=[
            AzureField(name="directory_id", description="Microsoft Entra directory (tenant) id", required=True),
            AzureField(name="application_id", description="The application's (client) id", required=True),
            AzureField(name="application_secret", description="A client secret of the application", required=True),
            AzureField(name="subscription_ids", description="Subscriptions to use (default: all)", required=False),
            AzureField(name="secret_expires_at", description="When the secret expires", required=False),
        ],
        recommended_role="Reader",
        operate_roles=["Virtual Machine Contributor", "Tag Contributor"],
        commands=[
            "az ad sp create-for-rbac --name Cloudivize --role Reader --scopes /subscriptions/<SUBSCRIPTION_ID> "
            "--years 1",
            'az role assignment create --assignee <APPLICATION_ID> --role "Virtual Machine Contributor" '
            "--scope /subscriptions/<SUBSCRIPTION_ID>",
            'az role assignment create --assignee <APPLICATION_ID> --role "Tag Contributor" '
            "--scope /subscriptions/<SUBSCRIPTION_ID>",
        ],
        secret_advice=[
            "Give the secret a short lifetime (at most 12 months) and send secret_expires_at: Cloudivize warns "
            "30 days before it expires.",
            "Rotate by creating a new secret, sending it with PATCH /connections/{id} (application_secret), then "
            "deleting the old secret in Azure.",
            "Cloudivize stores the secret sealed with envelope encryption and never shows it again.",
        ],
    )
