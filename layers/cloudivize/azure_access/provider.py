"""Azure as a Cloudivize provider: a connection is the customer's Entra application (directory id, application
id) with a role on their subscriptions, and how Cloudivize signs in as it (``sign_in``): its AWS identity token
trusted by a federated credential, a certificate Cloudivize issued, or a client secret. The ids, the certificates
and the secret are stored sealed; a federated connection stores no credential at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import NoReturn

from pydantic import SecretStr

from cloudivize.azure_access.certificates import (
    certificate_view,
    credential_pem,
    expires_at,
    issue_certificate,
    thumbprint,
)
from cloudivize.azure_access.clients import AzureSession, open_session
from cloudivize.azure_access.inventory import inventory_fan_out, list_page
from cloudivize.azure_access.operations import run_action as run_subscription_action
from cloudivize.azure_access.sign_in import CertificateSignIn, FederatedSignIn, SecretSignIn, SignIn
from cloudivize.azure_access.verify import verify_azure
from cloudivize.config import FunctionConfig
from cloudivize.errors import ServiceUnavailable, Unprocessable
from cloudivize.models.assets import ActionRequest, ActionResponse, ActivityPage, Asset
from cloudivize.models.connections import AzureConnectionCreate, AzureDescriptors, ConnectionPatch, Verification
from cloudivize.paging import Cursor, Listing
from cloudivize.principal import Principal, organization_audience
from cloudivize.providers.base import CloudConnection, Document, NewConnection, PatchedConnection, not_supported

# The hint is what Azure itself shows of a secret (Microsoft Graph passwordCredential.hint: its first three
# characters, in the portal's list of client secrets), so a customer can match the two. Secrets are at least
# AZURE_SECRET_MIN_LENGTH (16) characters, so the hint shows at most 3/16 of one, and 3/40 of those Entra
# issues today (models.connections says what an accepted secret is).
SECRET_HINT_LENGTH = 3


class AzureApplication(Document):
    """The sealed descriptors of an Azure connection: the application, and the public part of its credential
    (the secret's hint, or the certificates Cloudivize issued: the newest, and the previous one after a rotation).
    A record written before credential types existed holds a secret."""

    directory_id: str
    application_id: str
    subscription_ids: list[str] | None = None
    credential_type: str = "secret"
    secret_hint: str | None = None
    certificate: str | None = None  # PEM
    previous_certificate: str | None = None  # PEM


class AzureSecret(Document):
    """The sealed credentials of an Azure connection, opened only to sign in: the secret, or the certificates'
    private keys (PEM, in the order of the descriptors' certificates). A federated connection has none."""

    application_secret: SecretStr | None = None
    certificate_key: SecretStr | None = None
    previous_certificate_key: SecretStr | None = None


AzureConnection = CloudConnection[AzureApplication, AzureSecret]


def _now() -> datetime:
    return datetime.now(UTC)


def _hint(secret: str) -> str:
    return secret[:SECRET_HINT_LENGTH]


def _not_for(field: str, kind: str, applies_to: str) -> Unprocessable:
    return Unprocessable(
        f"{field} applies to a connection with credential_type {applies_to}; this one is {kind}.",
        errors=[{"field": field, "in": "body", "type": "not_applicable", "message": f"not for {kind}"}],
    )


class AzureProvider:
    name = "azure"
    patch_fields = frozenset({"subscription_ids", "application_secret", "secret_expires_at", "rotate_certificate"})
    descriptors_type = AzureApplication
    credentials_type = AzureSecret

    def __init__(self, principal: Principal, federation_issuer: str | None) -> None:
        self.principal = principal  # mints the web identity tokens of federated connections
        self.federation_issuer = federation_issuer
        self.fan_out = inventory_fan_out()  # the container's listing threads, shared by its requests

    # --- what is stored ---------------------------------------------------------------------------------
    def new_connection(self, request: AzureConnectionCreate) -> NewConnection:
        application = AzureApplication(
            directory_id=request.directory_id,
            application_id=request.application_id,
            subscription_ids=request.subscription_ids,
            credential_type=request.credential_type,
        )
        if request.credential_type == "federated":
            self._federation_configured()
            return NewConnection(descriptors=application, credentials=None)
        if request.credential_type == "certificate":
            issued = issue_certificate(request.application_id)
            return NewConnection(
                descriptors=application.model_copy(update={"certificate": issued.certificate_pem}),
                credentials=AzureSecret(certificate_key=issued.private_key_pem),
                secret_expires_at=expires_at(issued.certificate_pem),  # Cloudivize issued it: the date is known
            )
        secret = request.application_secret.get_secret_value()  # type: ignore[union-attr] - required for secrets
        return NewConnection(
            descriptors=application.model_copy(update={"secret_hint": _hint(secret)}),
            credentials=AzureSecret(application_secret=secret),
            secret_expires_at=request.secret_expires_at,
        )

    def identity(self, descriptors: AzureApplication) -> str:
        # One application may hold several connections, one per subscription scope: a customer may want their
        # production and test subscriptions apart. The same application over the same scope (the same set of
        # subscriptions, or every visible one) with the same credential type is the same connection; overlapping
        # scopes are two views. A customer moves off a secret by adding a federated connection of the same
        # application, verifying it, then deleting the secret one.
        scope = ",".join(sorted(descriptors.subscription_ids)) if descriptors.subscription_ids else "*"
        return f"{descriptors.directory_id}/{descriptors.application_id}/{scope}/{descriptors.credential_type}"

    def patched(
        self,
        descriptors: AzureApplication,
        patch: ConnectionPatch,
        *,
        secret_expires_at: datetime | None,
        credentials: Callable[[], AzureSecret],
    ) -> PatchedConnection:
        kind = descriptors.credential_type
        if patch.subscription_ids is not None:
            descriptors = descriptors.model_copy(update={"subscription_ids": patch.subscription_ids})
        if kind != "secret":
            for field in ("application_secret", "secret_expires_at"):
                if getattr(patch, field) is not None or (
                    field == "secret_expires_at" and field in patch.model_fields_set
                ):
                    raise _not_for(field, kind, "secret")
        if patch.rotate_certificate is not None and kind != "certificate":
            raise _not_for("rotate_certificate", kind, "certificate")
        if kind == "certificate":
            return (
                self._rotated(descriptors, credentials())
                if patch.rotate_certificate
                else PatchedConnection(descriptors=descriptors)
            )
        if kind == "federated":
            return PatchedConnection(descriptors=descriptors)
        return self._secret_patched(descriptors, patch, secret_expires_at)

    @staticmethod
    def _rotated(descriptors: AzureApplication, current: AzureSecret) -> PatchedConnection:
        """A new certificate; the newest one so far stays usable (as the previous) until the customer has added
        the new one, and Cloudivize signs in with whichever the application has (``sign_in.NewestAccepted``).
        The one before that is forgotten: the customer removes it from the application. Stored unverified, as a
        new certificate connection is: the customer adds the certificate, then verifies (an expired or removed
        previous certificate is what a rotation mends, so its sign-in is not required first)."""
        issued = issue_certificate(descriptors.application_id)
        return PatchedConnection(
            descriptors=descriptors.model_copy(
                update={"certificate": issued.certificate_pem, "previous_certificate": descriptors.certificate}
            ),
            credentials=AzureSecret(
                certificate_key=issued.private_key_pem, previous_certificate_key=current.certificate_key
            ),
            changes={"secret_expires_at": expires_at(issued.certificate_pem)},
            checkable=False,
        )

    @staticmethod
    def _secret_patched(
        descriptors: AzureApplication, patch: ConnectionPatch, secret_expires_at: datetime | None
    ) -> PatchedConnection:
        changes: dict = {}
        if "secret_expires_at" in patch.model_fields_set:  # a date, or null to forget the known one
            changes["secret_expires_at"] = patch.secret_expires_at
        if patch.application_secret is None:
            return PatchedConnection(descriptors=descriptors, changes=changes)
        secret = patch.application_secret.get_secret_value()
        # A new secret keeps the known expiry unless a date (or null) is sent with it: Cloudivize knows only what
        # it is told, and a date kept is warned about early rather than never. A date already past is the old
        # secret's alone (Entra issues no expired secret), so it is forgotten rather than fail the new secret.
        if "secret_expires_at" not in changes and secret_expires_at is not None and secret_expires_at <= _now():
            changes["secret_expires_at"] = None
        return PatchedConnection(
            descriptors=descriptors.model_copy(update={"secret_hint": _hint(secret)}),
            credentials=AzureSecret(application_secret=secret),
            changes=changes,
        )

    def view(
        self, descriptors: AzureApplication, *, regions: list[str] | None, secret_expires_at: datetime | None
    ) -> AzureDescriptors:
        return AzureDescriptors(
            directory_id=descriptors.directory_id,
            application_id=descriptors.application_id,
            subscription_ids=descriptors.subscription_ids,
            credential_type=descriptors.credential_type,  # type: ignore[arg-type] - one of the three
            secret_hint=descriptors.secret_hint,
            secret_expires_at=secret_expires_at,
            certificate=certificate_view(descriptors.certificate, application_id=descriptors.application_id)
            if descriptors.certificate
            else None,
            previous_certificate_thumbprint=thumbprint(descriptors.previous_certificate)
            if descriptors.previous_certificate
            else None,
        )

    # --- reaching the subscriptions ---------------------------------------------------------------------
    def _federation_configured(self) -> str:
        if self.federation_issuer is None or self.principal.arn is None:
            raise ServiceUnavailable(
                "Federated Azure credentials are not configured on this Cloudivize deployment. Use a certificate "
                "connection instead (credential_type certificate)."
            )
        return self.federation_issuer

    def sign_in(self, connection: AzureConnection) -> SignIn:
        """How this connection signs in, from its opened documents (and, federated, its organization's audience)."""
        descriptors, credentials = connection.descriptors, connection.credentials
        if descriptors.credential_type == "federated":
            if connection.external_id is None:
                raise ServiceUnavailable("Your organisation is still being set up. Retry in a moment.")
            # The audience is always the connection's own organization's: nothing a request sends reaches it.
            return FederatedSignIn(
                issuer=self._federation_configured(),
                subject=self.principal.arn,  # type: ignore[arg-type] - checked just above
                audience=organization_audience(connection.external_id),
                mint=self.principal.web_identity_token,
            )
        if descriptors.credential_type == "certificate":
            pairs = [
                (certificate, key)
                for certificate, key in (
                    (descriptors.certificate, credentials.certificate_key),
                    (descriptors.previous_certificate, credentials.previous_certificate_key),
                )
                if certificate and key
            ]
            if not pairs:
                raise Unprocessable("This connection has no certificate. PATCH it with rotate_certificate: true.")
            return CertificateSignIn(
                [
                    (thumbprint(certificate), credential_pem(certificate, key.get_secret_value()))
                    for certificate, key in pairs
                ]
            )
        secret = credentials.application_secret
        if not secret:
            raise Unprocessable(
                "This connection has no application secret. Send one with PATCH /connections/{id} (application_secret)."
            )
        return SecretSignIn(secret.get_secret_value())

    def session(self, connection: AzureConnection) -> AzureSession:
        return open_session(
            directory_id=connection.descriptors.directory_id,
            application_id=connection.descriptors.application_id,
            sign_in=self.sign_in(connection),
        )

    def verify(self, connection: AzureConnection) -> Verification:
        return verify_azure(
            self.session(connection),
            subscription_ids=connection.descriptors.subscription_ids,
            expires_at=connection.secret_expires_at,
        )

    def list_assets(
        self, connection: AzureConnection, *, types: set[str] | None, region: str | None, limit: int,
        cursor: Cursor | None,
    ) -> Listing[Asset]:  # fmt: skip
        items, errors, walked, scope = list_page(
            self.session(connection), fan_out=self.fan_out, subscription_ids=connection.descriptors.subscription_ids,
            types=types, location=region, limit=limit, cursor=cursor,
        )  # fmt: skip
        following = Cursor(scope=scope, marks=walked.marks) if walked.marks else None
        return Listing(items=items, errors=errors, next=following)

    def run_action(self, connection: AzureConnection, request: ActionRequest) -> ActionResponse:
        return run_subscription_action(self.session(connection), request, connection.descriptors.subscription_ids)

    def _no_organizations(self, *_: object) -> NoReturn:
        raise not_supported("Azure connections have no organization scope: connect subscriptions instead.")

    discover = member = discovered = _no_organizations

    def activity(self, connection: AzureConnection, **_: object) -> ActivityPage:
        raise not_supported("Activity is read from AWS CloudTrail: it is available for AWS connections.")


def make_provider(config: FunctionConfig, principal: Principal) -> AzureProvider:
    return AzureProvider(principal, config.azure_federation_issuer)
