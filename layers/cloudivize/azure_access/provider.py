"""Azure as a Cloudivize provider: a connection is the customer's Entra application (directory id, application
id, client secret) with a role on their subscriptions; the ids and the secret are stored sealed."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import SecretStr

from cloudivize.azure_access.clients import AzureSession, open_session
from cloudivize.azure_access.inventory import inventory_fan_out, list_page
from cloudivize.azure_access.operations import run_action as run_subscription_action
from cloudivize.azure_access.verify import verify_azure
from cloudivize.config import FunctionConfig
from cloudivize.models.assets import ActionRequest, ActionResponse, ActivityPage, Asset
from cloudivize.models.connections import AzureConnectionCreate, AzureDescriptors, ConnectionPatch, Verification
from cloudivize.paging import Cursor, Listing
from cloudivize.providers.base import CloudConnection, Document, NewConnection, PatchedConnection, not_supported

# The hint is what Azure itself shows of a secret (Microsoft Graph passwordCredential.hint: its first three
# characters, in the portal's list of client secrets), so a customer can match the two. Secrets are at least
# AZURE_SECRET_MIN_LENGTH (16) characters, so the hint shows at most 3/16 of one, and 3/40 of those Entra
# issues today (models.connections says what an accepted secret is).
SECRET_HINT_LENGTH = 3


class AzureApplication(Document):
    """The sealed descriptors of an Azure connection (the hint tells secrets apart; it is shown)."""

    directory_id: str
    application_id: str
    subscription_ids: list[str] | None = None
    secret_hint: str


class AzureSecret(Document):
    """The sealed credentials of an Azure connection, opened only to sign in."""

    application_secret: SecretStr | None = None


AzureConnection = CloudConnection[AzureApplication, AzureSecret]


def _now() -> datetime:
    return datetime.now(UTC)


def _hint(secret: str) -> str:
    return secret[:SECRET_HINT_LENGTH]


class AzureProvider:
    name = "azure"
    patch_fields = frozenset({"subscription_ids", "application_secret", "secret_expires_at"})
    descriptors_type = AzureApplication
    credentials_type = AzureSecret

    def __init__(self) -> None:
        self.fan_out = inventory_fan_out()  # the container's listing threads, shared by its requests

    # --- what is stored ---------------------------------------------------------------------------------
    def new_connection(self, request: AzureConnectionCreate) -> NewConnection:
        secret = request.application_secret.get_secret_value()
        return NewConnection(
            descriptors=AzureApplication(
                directory_id=request.directory_id,
                application_id=request.application_id,
                subscription_ids=request.subscription_ids,
                secret_hint=_hint(secret),
            ),
            credentials=AzureSecret(application_secret=secret),
            secret_expires_at=request.secret_expires_at,
        )

    def identity(self, descriptors: AzureApplication) -> str:
        # One application may hold several connections, one per subscription scope: a customer may want their
        # production and test subscriptions apart. The same application over the same scope (the same set of
        # subscriptions, or every visible one) is the same connection; overlapping scopes are two views.
        scope = ",".join(sorted(descriptors.subscription_ids)) if descriptors.subscription_ids else "*"
        return f"{descriptors.directory_id}/{descriptors.application_id}/{scope}"

    def patched(
        self, descriptors: AzureApplication, patch: ConnectionPatch, *, secret_expires_at: datetime | None
    ) -> PatchedConnection:
        changes: dict = {}
        if patch.subscription_ids is not None:
            descriptors = descriptors.model_copy(update={"subscription_ids": patch.subscription_ids})
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
            secret_hint=descriptors.secret_hint,
            secret_expires_at=secret_expires_at,
        )

    # --- reaching the subscriptions ---------------------------------------------------------------------
    @staticmethod
    def session(connection: AzureConnection) -> AzureSession:
        secret = connection.credentials.application_secret
        return open_session(
            directory_id=connection.descriptors.directory_id,
            application_id=connection.descriptors.application_id,
            secret=secret.get_secret_value() if secret else None,
        )

    def verify(self, connection: AzureConnection) -> Verification:
        return verify_azure(
            self.session(connection),
            subscription_ids=connection.descriptors.subscription_ids,
            secret_expires_at=connection.secret_expires_at,
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

    def activity(self, connection: AzureConnection, **_: object) -> ActivityPage:
        raise not_supported("Activity is read from AWS CloudTrail: it is available for AWS connections.")


def make_provider(config: FunctionConfig) -> AzureProvider:
    return AzureProvider()
