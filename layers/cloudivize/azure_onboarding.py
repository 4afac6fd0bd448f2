"""What a customer needs to create the Azure application Cloudivize uses (GET /onboarding/azure), credential types
most recommended first: federated (no secret anywhere), certificate (Cloudivize issues it), secret."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from cloudivize.models.connections import AzureCredentialType

FEDERATED_CREDENTIAL_NAME = "Cloudivize"


class AzureField(BaseModel):
    name: str
    description: str
    required: bool


class FederatedCredential(BaseModel):
    """The federated identity credential to add to the application: exactly these values (case-sensitive)."""

    issuer: str = Field(description="Cloudivize's AWS account as an OpenID Connect issuer")
    subject: str = Field(description="Cloudivize's principal (the role that signs in)")
    audience: str = Field(description="Your organization's own audience (like the External ID for AWS)")
    parameters: dict = Field(description="The parameters of `az ad app federated-credential create` (JSON)")


class AzureCredentialOption(BaseModel):
    credential_type: AzureCredentialType
    recommended: bool
    available: bool = Field(description="Whether this Cloudivize deployment offers it")
    summary: str
    fields: list[AzureField] = Field(description="What to send to POST /connections, beyond provider and name")
    commands: list[str] = Field(description="Azure CLI commands that set it up")
    federated_credential: FederatedCredential | None = None
    advice: list[str]


class AzureOnboarding(BaseModel):
    credential_types: list[AzureCredentialOption] = Field(description="Most recommended first")
    recommended_role: str = Field(description="The role to view: assign it on each subscription")
    operate_roles: list[str] = Field(description="Roles to add to operate (start/stop VMs, tag)")
    commands: list[str] = Field(description="Azure CLI commands that create the application and assign its roles")


def _ids(*extra: AzureField) -> list[AzureField]:
    return [
        AzureField(name="credential_type", description="federated, certificate or secret", required=False),
        AzureField(name="directory_id", description="Microsoft Entra directory (tenant) id", required=True),
        AzureField(name="application_id", description="The application's (client) id", required=True),
        *extra,
        AzureField(name="subscription_ids", description="Subscriptions to use (default: all)", required=False),
    ]


def federated_credential(*, issuer: str, subject: str, audience: str) -> FederatedCredential:
    return FederatedCredential(
        issuer=issuer,
        subject=subject,
        audience=audience,
        parameters={
            "name": FEDERATED_CREDENTIAL_NAME,
            "issuer": issuer,
            "subject": subject,
            "audiences": [audience],
            "description": "Cloudivize signs in with its AWS identity token (no secret)",
        },
    )


def azure_onboarding(*, issuer: str | None, subject: str | None, audience: str) -> AzureOnboarding:
    """``issuer``/``subject``: Cloudivize's web identity token issuer and principal (None where the deployment has
    no federation); ``audience``: the caller's organization's."""
    federated = federated_credential(issuer=issuer, subject=subject, audience=audience) if issuer and subject else None
    # az takes the parameters inline or as @file: inline, the command is complete once the application id is in.
    create_federated = [
        "az ad app federated-credential create --id <APPLICATION_ID> --parameters "
        f"'{json.dumps(federated.parameters, separators=(',', ':'))}'"
    ] if federated else []  # fmt: skip
    return AzureOnboarding(
        credential_types=[
            AzureCredentialOption(
                credential_type="federated",
                recommended=federated is not None,
                available=federated is not None,
                summary="No secret anywhere: Cloudivize signs in with its own AWS identity token, which your "
                "application trusts through a federated credential naming Cloudivize's issuer and principal and "
                "your organization's audience. Nothing of yours is stored but the ids.",
                fields=_ids(),
                commands=create_federated,
                federated_credential=federated,
                advice=[
                    "The audience is your organization's own: a connection of another Cloudivize organization "
                    "cannot sign in as your application, even with its ids.",
                    "Nothing expires and nothing needs rotating. To revoke Cloudivize, delete the federated "
                    "credential (or the application).",
                ],
            ),
            AzureCredentialOption(
                credential_type="certificate",
                recommended=federated is None,
                available=True,
                summary="Cloudivize issues a certificate for the connection and keeps its private key sealed; the "
                "answer to POST /connections carries the certificate to add to your application. You never "
                "handle a secret.",
                fields=_ids(),
                commands=["az ad app credential reset --id <APPLICATION_ID> --cert @cloudivize.pem --append"],
                advice=[
                    "Create the connection first: save azure.certificate.pem of its answer as cloudivize.pem (the "
                    "answer's azure.certificate.command names the file for you), run the command, then POST "
                    "/connections/{id}/verify.",
                    "The certificate is valid for 12 months; Cloudivize warns 30 days before it expires.",
                    "Rotate with PATCH /connections/{id} (rotate_certificate: true): Cloudivize signs in with the "
                    "previous certificate until you add the new one, then remove the previous one.",
                ],
            ),
            AzureCredentialOption(
                credential_type="secret",
                recommended=False,
                available=True,
                summary="A client secret you create and send. It works from anywhere until it expires: prefer a "
                "federated credential or a certificate.",
                fields=_ids(
                    AzureField(
                        name="application_secret", description="A client secret of the application", required=True
                    ),
                    AzureField(name="secret_expires_at", description="When the secret expires", required=False),
                ),
                commands=["az ad app credential reset --id <APPLICATION_ID> --append --years 1"],
                advice=[
                    "Give the secret a short lifetime (at most 12 months) and send secret_expires_at: Cloudivize "
                    "warns 30 days before it expires.",
                    "Rotate by creating a new secret, sending it with PATCH /connections/{id} (application_secret), "
                    "then deleting the old secret in Azure.",
                    "To move off the secret: add a federated connection of the same application, verify it, then "
                    "delete the secret connection and the secret in Azure.",
                    "Cloudivize stores the secret sealed with envelope encryption and never shows it again.",
                ],
            ),
        ],
        recommended_role="Reader",
        operate_roles=["Virtual Machine Contributor", "Tag Contributor"],
        commands=[
            "az ad app create --display-name Cloudivize   # its appId is the APPLICATION_ID",
            "az ad sp create --id <APPLICATION_ID>",
            "az role assignment create --assignee <APPLICATION_ID> --role Reader "
            "--scope /subscriptions/<SUBSCRIPTION_ID>",
            'az role assignment create --assignee <APPLICATION_ID> --role "Virtual Machine Contributor" '
            "--scope /subscriptions/<SUBSCRIPTION_ID>",
            'az role assignment create --assignee <APPLICATION_ID> --role "Tag Contributor" '
            "--scope /subscriptions/<SUBSCRIPTION_ID>",
        ],
    )
