"""AWS as a Cloudivize provider: a connection is a role in the customer's account, reached with AssumeRole
under the tenant's External ID as ``Cloudivize-Session``; nothing but the role ARN (sealed) is stored."""

from __future__ import annotations

from datetime import datetime

from cloudivize.aws_access.access import home_region
from cloudivize.aws_access.activity import cloudivize_activity
from cloudivize.aws_access.inventory import enabled_regions, inventory_fan_out, list_page
from cloudivize.aws_access.operations import run_action as run_account_action
from cloudivize.aws_access.organization import (
    discover,
    discovery_checks,
    list_organization_page,
    member_role_arn,
    not_for_organizations,
    organization_fan_out,
    run_organization_action,
)
from cloudivize.aws_access.sessions import CustomerSession, CustomerSessions
from cloudivize.aws_access.verify import verify_aws, verify_role
from cloudivize.config import FunctionConfig
from cloudivize.errors import BadRequest, Forbidden, Unprocessable
from cloudivize.models.assets import ActionRequest, ActionResponse, ActivityPage, Asset
from cloudivize.models.connections import (
    DEFAULT_MEMBER_ROLE_NAME,
    AwsConnectionCreate,
    AwsDescriptors,
    AwsOrganization,
    ConnectionPatch,
    Verification,
)
from cloudivize.models.fields import ROLE_ARN_PATTERN, known_aws_regions
from cloudivize.paging import SCOPE_CHANGED, Cursor, Listing
from cloudivize.principal import Principal
from cloudivize.providers.base import (
    CloudConnection,
    Discovered,
    Document,
    MemberAccount,
    NewConnection,
    PatchedConnection,
)


class AwsRole(Document):
    """The sealed descriptors of an AWS connection (of an organization: its discovery role, and what it learnt)."""

    role_arn: str
    account_id: str
    member_role_name: str | None = None  # an organization's: the role the StackSet deploys in each account
    include_management_account: bool = False
    organization_id: str | None = None
    management_account_id: str | None = None


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
        self.organization_fan_out = organization_fan_out()  # organizations': each member within its own cap

    # --- what is stored ---------------------------------------------------------------------------------
    def new_connection(self, request: AwsConnectionCreate) -> NewConnection:
        account_id = ROLE_ARN_PATTERN.match(request.role_arn)["account_id"]  # type: ignore[index]
        if request.scope == "organization":
            descriptors = AwsRole(
                role_arn=request.role_arn,
                account_id=account_id,
                member_role_name=request.member_role_name or DEFAULT_MEMBER_ROLE_NAME,
                include_management_account=request.include_management_account,
            )
            return NewConnection(
                descriptors=descriptors, credentials=None, regions=request.regions, scope="organization"
            )
        return NewConnection(
            descriptors=AwsRole(role_arn=request.role_arn, account_id=account_id),
            credentials=None,
            regions=request.regions,
        )

    def identity(self, descriptors: AwsRole) -> str:
        # IAM role names are unique within an account whatever their case or path, so two ARNs that differ
        # only there name the same role (the partition is kept: account ids are unique per partition).
        role = ROLE_ARN_PATTERN.match(descriptors.role_arn)
        identity = f"{role['partition']}:{role['account_id']}:{role['name'].lower()}"  # type: ignore[index]
        return f"organization:{identity}" if descriptors.member_role_name is not None else identity

    def member(self, descriptors: AwsRole, account: MemberAccount) -> AwsRole:
        role_arn = member_role_arn(descriptors.role_arn, account.account_id, descriptors.member_role_name or "")
        return AwsRole(role_arn=role_arn, account_id=account.account_id)

    def discovered(self, descriptors: AwsRole, organization: Discovered) -> AwsRole:
        return descriptors.model_copy(
            update={
                "organization_id": organization.organization_id,
                "management_account_id": organization.management_account_id,
            }
        )

    def patched(
        self, descriptors: AwsRole, patch: ConnectionPatch, *, secret_expires_at: datetime | None, **_: object
    ) -> PatchedConnection:
        return PatchedConnection(
            descriptors=descriptors, changes={"regions": patch.regions} if patch.regions is not None else {}
        )

    def view(
        self, descriptors: AwsRole, *, regions: list[str] | None, secret_expires_at: datetime | None
    ) -> AwsDescriptors:
        organization = None
        if descriptors.member_role_name is not None:
            organization = AwsOrganization(
                organization_id=descriptors.organization_id,
                management_account_id=descriptors.management_account_id,
                member_role_name=descriptors.member_role_name,
                include_management_account=descriptors.include_management_account,
            )
        return AwsDescriptors(
            account_id=descriptors.account_id, role_arn=descriptors.role_arn, regions=regions, organization=organization
        )

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
        if connection.scope == "organization":
            role_arn = connection.descriptors.role_arn
            return verify_role(
                lambda: self.session(connection),
                role_arn=role_arn,
                region=home_region(role_arn),
                principal_arn=self.sessions.principal_arn,
                external_id=self._external_id(connection),
                capabilities=discovery_checks,
            )
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
        if connection.scope == "organization":
            return list_organization_page(
                connection.members, open_session=self.session, fan_out=self.organization_fan_out, types=types,
                region=region, limit=limit, cursor=cursor,
            )  # fmt: skip
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
        if connection.scope == "organization":
            return run_organization_action(connection.members, request, self.run_action)
        return run_account_action(self.session(connection), request, home_region(connection.descriptors.role_arn))

    def discover(self, connection: AwsConnection) -> Discovered:
        return discover(
            self.session(connection),
            connection.descriptors.role_arn,
            include_management_account=connection.descriptors.include_management_account,
        )

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
        if connection.scope == "organization":
            raise not_for_organizations("Activity")
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
