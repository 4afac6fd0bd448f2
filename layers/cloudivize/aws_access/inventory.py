"""Live inventory of a customer's AWS account: EC2, S3, RDS, Lambda and any tagged resource, one shape, paged.

The listing's sources, in this order (the documented order of the pages): the account's S3 buckets, then
region by region (alphabetically), in each region its EC2 instances, RDS databases, Lambda functions and the
other tagged resources (the Resource Groups Tagging API: volumes, tables, topics...), each in the order AWS
lists them. Each asset comes from one source: an instance or a database carries its own tags, and the tags of
the Lambda functions and buckets a page shows are read for that page (one tagging call per region).

Every source is read in the warm container's threads at once (``paging.FanOut``); a source that fails is
reported with its error while the others answer. Nothing is cached or stored: pages list live, each source
from where the previous page left it (``cloudivize.paging``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudivize.aws_access.failures import THROTTLED_CODES, error_code, throttled
from cloudivize.aws_access.sessions import CustomerSession
from cloudivize.models.assets import Asset, RegionError
from cloudivize.paging import Cursor, FanOut, Position, Read, Source, SourceFailed, Walked, walk

EC2_INSTANCE, S3_BUCKET, RDS_DB, LAMBDA_FUNCTION = "ec2:instance", "s3:bucket", "rds:db", "lambda:function"
KNOWN_TYPES = (EC2_INSTANCE, S3_BUCKET, RDS_DB, LAMBDA_FUNCTION)
# One account's listing calls in flight at once, across the container's requests. Every source of the 17
# regions AWS enables by default (4 listings each, and S3) is read in one wave; an account with opt-in
# regions waits for a free slot. Per (service, region) a request has one call in flight at most (a source
# pages one call after the other), which keeps within the per-region API rate limits; standard retries
# (sessions.CLIENT_CONFIG) back off when AWS throttles all the same.
MAX_CALLS_IN_FLIGHT_PER_ACCOUNT = 80
INVENTORY_THREADS = 128
TAGGING_ARNS_PER_CALL = 100  # GetResources' ResourceARNList takes at most 100 ARNs
# Page sizes each API accepts (a read asks for what the page still needs, within these).
PAGE_SIZES = {"ec2": (5, 1000), "rds": (20, 100), "lambda": (1, 50), "tagging": (1, 100)}
Reader = Callable[[Any, str, Position, int], Read[Asset]]


def inventory_fan_out() -> FanOut:
    return FanOut(threads=INVENTORY_THREADS, per_account=MAX_CALLS_IN_FLIGHT_PER_ACCOUNT, name="aws-inventory")


def _tags(pairs: Iterable[dict[str, str]] | None) -> dict[str, str]:
    return {pair["Key"]: pair.get("Value", "") for pair in pairs or []}


def _type_of_arn(arn: str) -> str:
    # arn:partition:service:region:account:resource-type/id (or resource-type:id, or just id)
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5] if len(parts) > 5 else ""
    kind = resource.split("/", 1)[0].split(":", 1)[0] if ("/" in resource or ":" in resource) else service
    return {"s3:s3": S3_BUCKET, "rds:db": RDS_DB, "lambda:function": LAMBDA_FUNCTION}.get(
        f"{service}:{kind}", f"{service}:{kind}"
    )


def _size(listing: str, position: Position, wanted: int) -> int:
    """The page size to ask for: the items already shown of that page, and what the page still needs, so that
    one call reaches the end of what the page shows. EC2 counts reservations, which hold one instance or more:
    as many reservations hold at least as many instances."""
    smallest, largest = PAGE_SIZES[listing]
    return max(smallest, min(largest, position.skip + wanted))


def _after(position: Position, entries: list[Asset | None], token: str | None) -> Read[Asset]:
    return Read(entries=entries[position.skip :], next=Position(token) if token else None)


def _continuing(position: Position, name: str) -> dict[str, str]:
    return {name: position.token} if position.token else {}


def _ec2(client: Any, region: str, position: Position, wanted: int) -> Read[Asset]:
    page = client.describe_instances(MaxResults=_size("ec2", position, wanted), **_continuing(position, "NextToken"))
    entries: list[Asset | None] = []
    for reservation in page["Reservations"]:
        owner = reservation.get("OwnerId", "")
        for instance in reservation["Instances"]:
            tags = _tags(instance.get("Tags"))
            entries.append(
                Asset(
                    provider="aws",
                    id=instance["InstanceId"],
                    arn=f"arn:{client.meta.partition}:ec2:{region}:{owner}:instance/{instance['InstanceId']}",
                    name=tags.get("Name"),
                    type=EC2_INSTANCE,
                    region=region,
                    state=instance.get("State", {}).get("Name"),
                    tags=tags,
                )
            )
    return _after(position, entries, page.get("NextToken"))


def _rds(client: Any, region: str, position: Position, wanted: int) -> Read[Asset]:
    page = client.describe_db_instances(MaxRecords=_size("rds", position, wanted), **_continuing(position, "Marker"))
    entries: list[Asset | None] = [
        Asset(
            provider="aws",
            id=db["DBInstanceIdentifier"],
            arn=db.get("DBInstanceArn"),
            name=db["DBInstanceIdentifier"],
            type=RDS_DB,
            region=region,
            state=db.get("DBInstanceStatus"),
            tags=_tags(db.get("TagList")),
        )
        for db in page["DBInstances"]
    ]
    return _after(position, entries, page.get("Marker"))


def _lambda(client: Any, region: str, position: Position, wanted: int) -> Read[Asset]:
    page = client.list_functions(MaxItems=_size("lambda", position, wanted), **_continuing(position, "Marker"))
    entries: list[Asset | None] = [
        Asset(
            provider="aws",
            id=function["FunctionName"],
            arn=function["FunctionArn"],
            name=function["FunctionName"],
            type=LAMBDA_FUNCTION,
            region=region,
            state=function.get("State"),
        )
        for function in page["Functions"]
    ]
    return _after(position, entries, page.get("NextMarker"))


def _tagged(types: set[str] | None) -> Reader:
    """Tagged resources of the types no other source lists (those carry their own tags, or get them per page)."""

    def shown(kind: str) -> bool:
        return kind not in KNOWN_TYPES and (types is None or kind in types)

    def read(client: Any, region: str, position: Position, wanted: int) -> Read[Asset]:
        page = client.get_resources(
            ResourcesPerPage=_size("tagging", position, wanted), **_continuing(position, "PaginationToken")
        )
        entries: list[Asset | None] = []
        for resource in page["ResourceTagMappingList"]:
            arn, kind = resource["ResourceARN"], _type_of_arn(resource["ResourceARN"])
            tags = _tags(resource.get("Tags"))
            entries.append(
                Asset(provider="aws", id=arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1], arn=arn, name=tags.get("Name"),
                      type=kind, region=region, tags=tags)
                if shown(kind)
                else None
            )  # fmt: skip
        return _after(position, entries, page.get("PaginationToken") or None)  # "" when the listing ends

    return read


def _buckets(regions: set[str]) -> Reader:
    """The account's buckets in the connection's regions (ListBuckets is one account-wide listing)."""

    def read(s3: Any, home: str, position: Position, wanted: int) -> Read[Asset]:
        page = s3.list_buckets(**_continuing(position, "ContinuationToken"))
        listed = page.get("Buckets", [])
        # A page of ListBuckets holds up to 10,000 buckets: look up the region of as many as the page needs.
        shown = listed[position.skip : position.skip + max(wanted, 1)]
        entries: list[Asset | None] = []
        for bucket in shown:
            region = bucket.get("BucketRegion") or (
                s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint") or "us-east-1"
            )
            entries.append(
                Asset(provider="aws", id=bucket["Name"], arn=f"arn:{s3.meta.partition}:s3:::{bucket['Name']}",
                      name=bucket["Name"], type=S3_BUCKET, region=region)
                if region in regions
                else None
            )  # fmt: skip
        if position.skip + len(shown) < len(listed):
            return Read(entries=entries, next=Position(position.token, position.skip + len(shown)))
        token = page.get("ContinuationToken")
        return Read(entries=entries, next=Position(token) if token else None)

    return read


def _failure(listing: str, region: str, error: Exception, account: str) -> SourceFailed:
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in THROTTLED_CODES:
            detail = "AWS throttled the listing; retry shortly."
        else:
            detail = f"Could not list {listing} in {region}; check that the role allows it and the region is enabled."
        failed = RegionError(region=region, account_id=account, service=listing, error=code or "Error", detail=detail)
        return SourceFailed(failed, error)
    failed = RegionError(
        region=region, account_id=account, service=listing, error=type(error).__name__, detail="AWS unreachable."
    )
    return SourceFailed(failed, error)


def _source(
    session: CustomerSession, account: str, listing: str, service: str, region: str, reader: Reader
) -> Source[Asset]:
    def read(position: Position, wanted: int) -> Read[Asset]:
        try:
            found = reader(session.client(service, region), region, position, wanted)
        except (ClientError, BotoCoreError) as error:
            raise _failure(listing, region, error, account) from None
        held = [entry.model_copy(update={"account_id": account}) if entry else None for entry in found.entries]
        return Read(entries=held, next=found.next)

    return Source(name=f"{account}/{region}/{listing}", read=read)


def wanted_types(types: set[str] | None) -> Callable[[str], bool]:
    return lambda kind: types is None or kind in types


def sources(
    session: CustomerSession, *, account: str, regions: Sequence[str], home_region: str, types: set[str] | None
) -> list[Source[Asset]]:
    """The listing's sources, in the documented order (see the module's docstring)."""
    wanted = wanted_types(types)
    listed: list[Source[Asset]] = []
    if wanted(S3_BUCKET):
        listed.append(_source(session, account, "s3", "s3", home_region, _buckets(set(regions))))
    others = types is None or any(kind not in KNOWN_TYPES for kind in types)
    for region in sorted(regions):
        for listing, service, kind, reader in (
            ("ec2", "ec2", EC2_INSTANCE, _ec2),
            ("rds", "rds", RDS_DB, _rds),
            ("lambda", "lambda", LAMBDA_FUNCTION, _lambda),
        ):
            if wanted(kind):
                listed.append(_source(session, account, listing, service, region, reader))
        if others:
            listed.append(_source(session, account, "tagging", "resourcegroupstaggingapi", region, _tagged(types)))
    return listed


def enabled_regions(session: CustomerSession, home_region: str) -> list[str]:
    regions = session.client("ec2", home_region).describe_regions(AllRegions=False)["Regions"]
    return sorted(region["RegionName"] for region in regions)


def with_tags(
    items: list[Asset],
    sessions: Mapping[str, CustomerSession],
    run: Callable[[Sequence[tuple[str, Callable[[], Any]]]], list[Any]],
) -> tuple[list[Asset], list[RegionError]]:
    """The page's Lambda functions and buckets with their tags (their listings carry none): one GetResources
    per account and region (per 100 ARNs) of the page, never of the account. ``sessions``: by account id;
    ``run``: (account, call) pairs at once."""
    untagged: dict[tuple[str, str], list[str]] = {}
    for asset in items:
        if asset.type in (LAMBDA_FUNCTION, S3_BUCKET) and asset.arn and asset.region and asset.account_id:
            untagged.setdefault((asset.account_id, asset.region), []).append(asset.arn)
    calls = [
        (account, region, arns[start : start + TAGGING_ARNS_PER_CALL])
        for (account, region), arns in sorted(untagged.items())
        for start in range(0, len(arns), TAGGING_ARNS_PER_CALL)
    ]

    def tags_of(account: str, region: str, arns: list[str]) -> dict[str, dict[str, str]] | RegionError:
        try:
            page = sessions[account].client("resourcegroupstaggingapi", region).get_resources(ResourceARNList=arns)
        except (ClientError, BotoCoreError) as error:
            return _failure("tagging", region, error, account).error
        return {resource["ResourceARN"]: _tags(resource.get("Tags")) for resource in page["ResourceTagMappingList"]}

    found: dict[str, dict[str, str]] = {}
    errors: list[RegionError] = []
    pairs = [(account, lambda a=account, r=region, arns=arns: tags_of(a, r, arns)) for account, region, arns in calls]
    for answer in run(pairs):
        if isinstance(answer, RegionError):
            errors.append(answer)
        else:
            found.update(answer)
    tagged = [asset.model_copy(update={"tags": found[asset.arn]}) if asset.arn in found else asset for asset in items]
    return tagged, errors


def list_page(
    session: CustomerSession,
    *,
    account: str,
    fan_out: FanOut,
    regions: Sequence[str],
    home_region: str,
    types: set[str] | None,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[Asset], list[RegionError], Walked[Asset]]:
    """One page of the account's assets in ``regions`` (of ``types``, if given), in the documented order;
    what failed; and the walk (where each source continues)."""

    def run(calls: Sequence[Callable[[], Any]]) -> list[Any]:
        return fan_out.run(account, calls)

    listing = sources(session, account=account, regions=regions, home_region=home_region, types=types)
    walked = walk(listing, None if cursor is None else cursor.marks, limit=limit, fan_out=run)
    if walked.all_failed(throttled_error):
        raise throttled()
    items, tag_errors = with_tags(walked.items, {account: session}, lambda pairs: run([call for _, call in pairs]))
    return items, walked.errors + tag_errors, walked


def throttled_error(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error_code(error) in THROTTLED_CODES
