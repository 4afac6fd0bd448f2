"""AWS as a Cloudivize provider: a connection is a role in the customer's account, reached with AssumeRole
under the tenant's External ID as ``Cloudivize-Session``; nothing but the role ARN (sealed) is stored."""

from __future__ import annotations

from datetime import datetime

from cloudivize.aws_access.access import home_region
from cloudivize.aws_access.activity import cloudivize_activity
from cloudivize.aws_access.inventory import enabled_regions, inventory_fan_out, list_page
from cloudivize.aws_access.operations import run_action as run_account_action
from cloudivize.aws_access.sessions import CustomerSession, CustomerSessions
from cloudivize.aws_access.verify import verify_aws
from cloudivize.config import FunctionConfig
from cloudivize.errors import BadRequest, Forbidden, Unprocessable
from cloudivize.models.assets import ActionRequest, ActionResponse, ActivityPage, Asset
from cloudivize.models.connections import AwsConnectionCreate, AwsDescriptors, ConnectionPatch, Verification
from cloudivize.models.fields import ROLE_ARN_PATTERN, known_aws_regions
from cloudivize.paging import SCOPE_CHANGED, Cursor, Listing
from cloudivize.principal import Principal
from cloudivize.providers.base import CloudConnection, Document, NewConnection, PatchedConnection


class AwsRole(Document):
    """The sealed descriptors of an AWS connection."""

    role_arn: str
    account_id: str


class NoCredentials(Document):
    """An AWS connection stores no credential: AssumeRole mints short-lived ones per request."""


AwsConnection = CloudConnection[AwsRole, NoCredentials]


class AwsProvider:
    name = "aws"
    patch_fields = frozenset({"regions"})
    descriptors_type = AwsRole
    credentials_type = NoCredentials

    def __init__(self, sessions: CustomerSessions) -> None:
        self.sessions = sessions
        self.fan_out = inventory_fan_out()  # the container's listing threads, shared by its requests

    # --- what is stored ---------------------------------------------------------------------------------
    def new_connection(self, request: AwsConnectionCreate) -> NewConnection:
        account_id = ROLE_ARN_PATTERN.match(request.role_arn)["account_id"]  # type: ignore[index]
        return NewConnection(
            descriptors=AwsRole(role_arn=request.role_arn, account_id=account_id),
            credentials=None,
            regions=request.regions,
        )

    def identity(self, descriptors: AwsRole) -> str:
        # IAM role names are unique within an account whatever their case or path, so two ARNs that differ
        # only there name the same role (the partition is kept: account ids are unique per partition).
        role = ROLE_ARN_PATTERN.match(descriptors.role_arn)
        return f"{role['partition']}:{role['account_id']}:{role['name'].lower()}"  # type: ignore[index]

    def patched(
        self, descriptors: AwsRole, patch: ConnectionPatch, *, secret_expires_at: datetime | None, **_: object
    ) -> PatchedConnection:
        return PatchedConnection(
            descriptors=descriptors, changes={"regions": patch.regions} if patch.regions is not None else {}
        )

    def view(
        self, descriptors: AwsRole, *, regions: list[str] | None, secret_expires_at: datetime | None
    ) -> AwsDescriptors:
        return AwsDescriptors(account_id=descriptors.account_id, role_arn=descriptors.role_arn, regions=regions)

    # --- reaching the account ---------------------------------------------------------------------------
    @staticmethod
    def _external_id(connection: AwsConnection) -> str:
        if connection.external_id is None:  # the post-confirmation trigger has not created the tenant yet
            raise Forbidden("Your organisation is still being set up. Sign in again in a moment.")
        return connection.external_id

    def session(self, connection: AwsConnection) -> CustomerSession:
        return self.sessions.open(
            tenant_id=connection.tenant_id,
            user_id=connection.user_id,
            role_arn=connection.descriptors.role_arn,
            external_id=self._external_id(connection),
        )

    def verify(self, connection: AwsConnection) -> Verification:
        return verify_aws(
            lambda: self.session(connection),
            role_arn=connection.descriptors.role_arn,
            regions=connection.regions,
            principal_arn=self.sessions.principal_arn,
            external_id=self._external_id(connection),
        )

    def list_assets(
        self, connection: AwsConnection, *, types: set[str] | None, region: str | None, limit: int,
        cursor: Cursor | None,
    ) -> Listing[Asset]:  # fmt: skip
        session, home = self.session(connection), home_region(connection.descriptors.role_arn)
        if cursor is None:  # the first page fixes the regions the listing walks through
            regions = connection.regions or enabled_regions(session, home)
            if region is not None:
                regions = [_one_of(region, regions)]
        else:
            regions = list(cursor.scope)
            if connection.regions is not None and not set(regions) <= set(connection.regions):
                raise BadRequest(SCOPE_CHANGED)
        items, errors, walked = list_page(
            session, account=connection.descriptors.account_id, fan_out=self.fan_out, regions=regions,
            home_region=home, types=types, limit=limit, cursor=cursor,
        )  # fmt: skip
        following = Cursor(scope=tuple(sorted(regions)), marks=walked.marks) if walked.marks else None
        return Listing(items=items, errors=errors, next=following)

    def run_action(self, connection: AwsConnection, request: ActionRequest) -> ActionResponse:
        return run_account_action(self.session(connection), request, home_region(connection.descriptors.role_arn))

    def activity(
        self,
        connection: AwsConnection,
        *,
        region: str | None,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        next_token: str | None,
    ) -> ActivityPage:
        session = self.session(connection)
        if region is not None:
            where = _one_of(region, connection.regions or sorted(known_aws_regions()))
        else:
            where = (connection.regions or [home_region(connection.descriptors.role_arn)])[0]
        return cloudivize_activity(session, region=where, start=start, end=end, limit=limit, next_token=next_token)


def make_provider(config: FunctionConfig, principal: Principal) -> AwsProvider:
    return AwsProvider(CustomerSessions(principal))


def _one_of(region: str, regions: list[str]) -> str:
    """``region`` if the connection may use it; a 422 naming the query's region otherwise."""
    if region not in regions:
        scope = ", ".join(regions) if len(regions) <= 20 else "an AWS region name, for example us-east-1"
        raise Unprocessable(
            f"Region {region} is not one of this connection's regions ({scope}).",
            errors=[{"field": "region", "in": "query", "type": "not_in_connection", "message": "unknown region"}],
        )
    return region
