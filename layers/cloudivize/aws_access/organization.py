"""AWS Organizations: an organization connection reaches the organization through its discovery role (which may
only describe the organization and list its accounts), and each account is a member connection, reached through
the role the organization's StackSet deploys there (docs/architecture.md, "AWS organizations").

An organization's assets are its members' assets: every member's listing sources, one after the other in the
order of the account ids, walked as one listing (``cloudivize.paging``), each asset carrying its account id.
Every source is read at once in the container's threads, each account within its own cap of calls in flight
(polite to the customer's API limits per account) and all of them within the threads (the overall cap). An
account that cannot be reached is reported in the page's errors, like a region that cannot be listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from cloudivize.aws_access.access import home_region
from cloudivize.aws_access.failures import THROTTLED_CODES, error_code, throttled
from cloudivize.aws_access.inventory import enabled_regions, sources, throttled_error, with_tags
from cloudivize.aws_access.sessions import CustomerSession
from cloudivize.aws_access.verify import guard
from cloudivize.errors import BadRequest, CloudivizeError, Unprocessable
from cloudivize.models.assets import ActionRequest, ActionResponse, ActionResult, Asset, RegionError
from cloudivize.models.connections import Check
from cloudivize.paging import SCOPE_CHANGED, Cursor, FanOut, Listing, Read, Source, SourceFailed, walk
from cloudivize.providers.base import CloudConnection, Discovered, MemberAccount

# Calls in flight at once: per member account (its API rate limits are its own; one request never has two calls
# on one service and region of it), and in all (the container's threads, shared by its requests). Ten accounts of
# two regions (9 sources each) are read in one wave.
MAX_CALLS_IN_FLIGHT_PER_MEMBER = 16
ORGANIZATION_THREADS = 128
# AWS Organizations' account statuses; an account being closed is treated as suspended (it cannot be reached).
_SUSPENDED = frozenset({"SUSPENDED", "PENDING_CLOSURE"})
_ACCOUNT_IN_ARN = re.compile(r"^arn:[\w-]+:[\w-]+:[\w-]*:(?P<account>\d{12}):")
# A page token's scope: its region sets ("r:<regions>") and then its members ("m:<connection id>:<region set>").
_REGIONS, _MEMBER = "r:", "m:"


def organization_fan_out() -> FanOut:
    return FanOut(threads=ORGANIZATION_THREADS, per_account=MAX_CALLS_IN_FLIGHT_PER_MEMBER, name="aws-organization")


def member_role_arn(discovery_role_arn: str, account_id: str, role_name: str) -> str:
    partition = discovery_role_arn.split(":", 2)[1]
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def _discovery_refused(error: ClientError, role_arn: str) -> CloudivizeError:
    code = error_code(error)
    if code in THROTTLED_CODES:
        return throttled()
    if code == "AWSOrganizationsNotInUseException":
        return Unprocessable(
            f"The account of {role_arn} is not in an AWS organization. Deploy the organization template in the "
            "organization's management account (or a delegated administrator), or connect this account alone "
            '(scope "account").',
            aws_error=code,
        )
    return Unprocessable(
        f"The discovery role {role_arn} cannot list the organization's accounts ({code or 'Error'}). Deploy the "
        "template of GET /onboarding/aws-organization in the management account, or in a delegated administrator "
        "account with CallAs DELEGATED_ADMIN, and keep its CloudivizeDiscovery policy.",
        aws_error=code or "Error",
    )


def discover(session: CustomerSession, role_arn: str, *, include_management_account: bool) -> Discovered:
    """The organization and the accounts Cloudivize connects (the management account only when asked for), as
    the discovery role lists them (DescribeOrganization, ListAccounts)."""
    client = session.client("organizations", home_region(role_arn))
    try:
        described = client.describe_organization()["Organization"]
        listed = [account for page in client.get_paginator("list_accounts").paginate() for account in page["Accounts"]]
    except ClientError as error:
        raise _discovery_refused(error, role_arn) from None
    management = described["MasterAccountId"]
    accounts = tuple(
        MemberAccount(account_id=account["Id"], name=account.get("Name") or account["Id"],
                      suspended=account.get("Status") in _SUSPENDED)
        for account in sorted(listed, key=lambda account: account["Id"])
        if include_management_account or account["Id"] != management
    )  # fmt: skip
    return Discovered(organization_id=described["Id"], management_account_id=management, accounts=accounts)


def discovery_checks(session: CustomerSession, role_arn: str, region: str) -> list[Check]:
    """What a discovery role is for: describing the organization and listing its accounts."""
    client = session.client("organizations", region)
    try:
        described = client.describe_organization()["Organization"]
        client.list_accounts(MaxResults=1)
    except ClientError as error:
        guard(error)
        return [Check(name="can_discover", ok=False, detail=_discovery_refused(error, role_arn).detail)]
    where = "the management account" if role_arn.split(":")[4] == described["MasterAccountId"] else (
        "a delegated administrator account"
    )  # fmt: skip
    detail = f"Cloudivize can list the accounts of organization {described['Id']} (the role is in {where})."
    return [Check(name="can_discover", ok=True, detail=detail)]


# --- an organization's assets -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Part:
    """One member's part of an organization listing: its connection, session (None: unreachable) and regions."""

    member: CloudConnection
    session: CustomerSession | None
    regions: tuple[str, ...]
    failure: RegionError | None = None


def _account_error(member: CloudConnection, refused: CloudivizeError) -> RegionError:
    return RegionError(
        region="global", account_id=member.descriptors.account_id, service="sts", error=type(refused).__name__,
        detail=f"Cloudivize could not reach this account: {refused.detail} (POST /connections/"
        f"{member.connection_id}/verify says what is missing).",
    )  # fmt: skip


def _scope(parts: Sequence[_Part]) -> tuple[str, ...]:
    sets = sorted({part.regions for part in parts})
    index = {regions: number for number, regions in enumerate(sets)}
    return (*(_REGIONS + ",".join(regions) for regions in sets),
            *(f"{_MEMBER}{part.member.connection_id}:{index[part.regions]}" for part in parts))  # fmt: skip


def _regions_by_member(scope: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    sets = [tuple(entry.removeprefix(_REGIONS).split(",")) for entry in scope if entry.startswith(_REGIONS)]
    found = []
    for entry in scope:
        if entry.startswith(_MEMBER):
            connection_id, _, number = entry.removeprefix(_MEMBER).rpartition(":")
            if not number.isdigit() or int(number) >= len(sets):
                raise BadRequest(SCOPE_CHANGED)
            found.append((connection_id, sets[int(number)]))
    return found


def _failing(source: Source[Asset], failure: RegionError) -> Source[Asset]:
    """A source of an account that cannot be reached now, on a later page: a read reports the account. (The
    account keeps its sources, so that every other source keeps its place in the listing.)"""

    def read(*_: object) -> Read[Asset]:
        raise SourceFailed(failure, RuntimeError(failure.detail))

    return Source(name=source.name, read=read)


def list_organization_page(
    members: Sequence[CloudConnection],
    *,
    open_session: Callable[[CloudConnection], CustomerSession],
    fan_out: FanOut,
    types: set[str] | None,
    region: str | None,
    limit: int,
    cursor: Cursor | None,
) -> Listing[Asset]:
    """One page of the assets of ``members`` (in the order of their account ids), and where it continues."""

    def reach(member: CloudConnection, regions: tuple[str, ...] | None) -> _Part:
        try:
            session = open_session(member)
            if regions is None:  # the first page fixes the regions of each member
                regions = tuple(member.regions or enabled_regions(session, home_region(member.descriptors.role_arn)))
                if region is not None:
                    regions = (region,) if region in regions else ()
        except CloudivizeError as refused:
            return _Part(member, None, regions or (), _account_error(member, refused))
        except (ClientError, BotoCoreError) as error:
            refused = throttled() if throttled_error(error) else Unprocessable(f"AWS answered {type(error).__name__}.")
            return _Part(member, None, regions or (), _account_error(member, refused))
        return _Part(member, session, regions)

    if cursor is None:
        wanted = [(member, None) for member in members]
    else:
        by_id = {member.connection_id: member for member in members}
        wanted = []
        for connection_id, regions in _regions_by_member(cursor.scope):
            member = by_id.get(connection_id)
            if member is None or (member.regions is not None and not set(regions) <= set(member.regions)):
                raise BadRequest(SCOPE_CHANGED)  # a member left, was removed or narrowed since this token
            wanted.append((member, regions))
    account = lambda member: member.descriptors.account_id  # noqa: E731 - the cap's key
    parts = fan_out.all([fan_out.bound(account(m), lambda m=m, r=r: reach(m, r)) for m, r in wanted])
    errors = [part.failure for part in parts if part.failure is not None]
    if cursor is None:  # an account unreachable on the first page is not part of the listing
        parts = [part for part in parts if part.session is not None and part.regions]
    listing: list[Source[Asset]] = []
    for part in parts:
        home = home_region(part.member.descriptors.role_arn)
        # A source calls its session only when read: an unreachable account's are made without one, never read.
        for source in sources(part.session, account=account(part.member), regions=part.regions,  # type: ignore[arg-type]
                              home_region=home, types=types):  # fmt: skip
            if part.failure is not None:
                listing.append(_failing(source, part.failure))
            else:
                listing.append(Source(name=source.name, read=fan_out.bound(account(part.member), source.read)))
    walked = walk(listing, None if cursor is None else cursor.marks, limit=limit, fan_out=fan_out.all)
    if walked.all_failed(throttled_error) and not walked.items:
        raise throttled()
    sessions = {account(part.member): part.session for part in parts if part.session is not None}
    items, tag_errors = with_tags(
        walked.items, sessions, lambda pairs: fan_out.all([fan_out.bound(a, call) for a, call in pairs])
    )
    if cursor is not None:  # reported by the walk already, as each of its sources failed
        errors = []
    following = Cursor(scope=_scope(parts), marks=walked.marks) if walked.marks else None
    return Listing(items=items, errors=errors + _distinct(walked.errors) + tag_errors, next=following)


def _distinct(errors: list[RegionError]) -> list[RegionError]:
    """An unreachable account once, not once per source."""
    seen, kept = set(), []
    for error in errors:
        key = error.model_dump_json()
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept


# --- actions on an organization's assets -----------------------------------------------------------------------
def run_organization_action(
    members: Sequence[CloudConnection],
    request: ActionRequest,
    run: Callable[[CloudConnection, ActionRequest], ActionResponse],
) -> ActionResponse:
    """The action on each asset, in the member account its ARN names; one answer per asset, in the order sent."""
    by_account = {member.descriptors.account_id: member for member in members}
    groups: dict[str, list[str]] = {}
    answered: dict[str, ActionResult] = {}
    for asset_id in request.asset_ids:
        found = _ACCOUNT_IN_ARN.match(asset_id)
        if found is None:
            answered[asset_id] = ActionResult(
                asset_id=asset_id, ok=False,
                detail="Name the asset by its ARN (as the organization's asset listing shows it): an organization "
                "has several accounts, and the ARN says which one holds it.",
            )  # fmt: skip
        elif found["account"] not in by_account:
            answered[asset_id] = ActionResult(
                asset_id=asset_id, ok=False,
                detail=f"Account {found['account']} is not an active member of this organization connection.",
            )  # fmt: skip
        else:
            groups.setdefault(found["account"], []).append(asset_id)
    for account_id, asset_ids in groups.items():
        try:
            response = run(by_account[account_id], request.model_copy(update={"asset_ids": asset_ids}))
        except CloudivizeError as refused:  # that account refused (or could not be reached): its assets say so
            answered |= {asset_id: ActionResult(asset_id=asset_id, ok=False, detail=refused.detail)
                         for asset_id in asset_ids}  # fmt: skip
            continue
        answered |= {result.asset_id: result for result in response.results}
    return ActionResponse(action=request.action, results=[answered[asset_id] for asset_id in request.asset_ids])


def not_for_organizations(what: str) -> Unprocessable:
    return Unprocessable(f"{what} is per account: ask one of the organization's member connections.")
