"""Live inventory of a customer's AWS account: EC2, S3, RDS, Lambda and any tagged resource, one shape.

Regions are queried concurrently; a region that fails is reported with its error while the others answer.
Nothing is cached or stored: each request lists afresh through the customer's own role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudivize.aws_access.failures import THROTTLED_CODES, error_code, throttled
from cloudivize.aws_access.sessions import CustomerSession
from cloudivize.models.assets import Asset, RegionError

EC2_INSTANCE, S3_BUCKET, RDS_DB, LAMBDA_FUNCTION = "ec2:instance", "s3:bucket", "rds:db", "lambda:function"
KNOWN_TYPES = (EC2_INSTANCE, S3_BUCKET, RDS_DB, LAMBDA_FUNCTION)
MAX_REGION_WORKERS = 8
Lister = Callable[[Any, str], list[Asset]]


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


def _ec2(client: Any, region: str) -> list[Asset]:
    assets = []
    for page in client.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            owner = reservation.get("OwnerId", "")
            for instance in reservation["Instances"]:
                tags = _tags(instance.get("Tags"))
                partition = client.meta.partition
                assets.append(
                    Asset(
                        provider="aws",
                        id=instance["InstanceId"],
                        arn=f"arn:{partition}:ec2:{region}:{owner}:instance/{instance['InstanceId']}",
                        name=tags.get("Name"),
                        type=EC2_INSTANCE,
                        region=region,
                        state=instance.get("State", {}).get("Name"),
                        tags=tags,
                    )
                )
    return assets


def _rds(client: Any, region: str) -> list[Asset]:
    return [
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
        for page in client.get_paginator("describe_db_instances").paginate()
        for db in page["DBInstances"]
    ]


def _lambda(client: Any, region: str) -> list[Asset]:
    return [
        Asset(
            provider="aws",
            id=function["FunctionName"],
            arn=function["FunctionArn"],
            name=function["FunctionName"],
            type=LAMBDA_FUNCTION,
            region=region,
            state=function.get("State"),
        )
        for page in client.get_paginator("list_functions").paginate()
        for function in page["Functions"]
    ]


def _tagged(client: Any, region: str) -> list[Asset]:
    return [
        Asset(
            provider="aws",
            id=resource["ResourceARN"].rsplit("/", 1)[-1].rsplit(":", 1)[-1],
            arn=resource["ResourceARN"],
            name=_tags(resource.get("Tags")).get("Name"),
            type=_type_of_arn(resource["ResourceARN"]),
            region=region,
            tags=_tags(resource.get("Tags")),
        )
        for page in client.get_paginator("get_resources").paginate()
        for resource in page["ResourceTagMappingList"]
    ]


REGIONAL_LISTERS: dict[str, tuple[str, Lister]] = {
    "ec2": ("ec2", _ec2),
    "rds": ("rds", _rds),
    "lambda": ("lambda", _lambda),
    "tagging": ("resourcegroupstaggingapi", _tagged),
}


def enabled_regions(session: CustomerSession, home_region: str) -> list[str]:
    regions = session.client("ec2", home_region).describe_regions(AllRegions=False)["Regions"]
    return sorted(region["RegionName"] for region in regions)


def _buckets(s3: Any, regions: set[str]) -> list[Asset]:
    assets = []
    for bucket in s3.list_buckets().get("Buckets", []):
        region = bucket.get("BucketRegion") or (
            s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint") or "us-east-1"
        )
        if region in regions:
            partition = s3.meta.partition
            arn = f"arn:{partition}:s3:::{bucket['Name']}"
            assets.append(Asset(provider="aws", id=bucket["Name"], arn=arn, name=bucket["Name"], type=S3_BUCKET,
                                region=region))  # fmt: skip
    return assets


def _run(name: str, region: str, call: Callable[[], list[Asset]]) -> tuple[list[Asset], RegionError | None]:
    try:
        return call(), None
    except ClientError as error:
        if error_code(error) in THROTTLED_CODES:
            detail = "AWS throttled the listing; retry shortly."
        else:
            detail = f"Could not list {name} in {region}; check that the role allows it and the region is enabled."
        return [], RegionError(region=region, service=name, error=error_code(error) or "Error", detail=detail)
    except BotoCoreError as error:
        return [], RegionError(region=region, service=name, error=type(error).__name__, detail="AWS unreachable.")


def list_assets(
    session: CustomerSession, *, regions: list[str], home_region: str, types: set[str] | None
) -> tuple[list[Asset], list[RegionError]]:
    """Every asset in ``regions`` (of ``types``, if given), merged by ARN and sorted; plus what failed."""
    wanted = lambda kind: types is None or kind in types  # noqa: E731
    jobs: list[tuple[str, str, Callable[[], list[Asset]]]] = []
    for region in regions:
        for name, (service, lister) in REGIONAL_LISTERS.items():
            if name == "tagging" or wanted({"ec2": EC2_INSTANCE, "rds": RDS_DB, "lambda": LAMBDA_FUNCTION}[name]):
                client = session.client(service, region)  # clients are made here: boto3 sessions are not thread-safe
                jobs.append((name, region, lambda lister=lister, client=client, region=region: lister(client, region)))
    if wanted(S3_BUCKET):
        s3 = session.client("s3", home_region)
        jobs.append(("s3", home_region, lambda: _buckets(s3, set(regions))))

    with ThreadPoolExecutor(max_workers=MAX_REGION_WORKERS) as pool:
        outcomes = list(pool.map(lambda job: _run(*job), jobs))
    errors = [error for _, error in outcomes if error]
    if errors and len(errors) == len(jobs) and all(e.error in THROTTLED_CODES for e in errors):
        raise throttled()

    merged: dict[str, Asset] = {}
    for assets, _ in outcomes:
        for asset in assets:
            key = asset.arn or f"{asset.type}:{asset.region}:{asset.id}"
            known = merged.get(key)
            if known is None:
                merged[key] = asset
            else:  # the tagging API adds tags to what a service listing found (and vice versa)
                base, extra = (known, asset) if known.type in KNOWN_TYPES else (asset, known)
                merged[key] = base.model_copy(update={"tags": {**extra.tags, **base.tags}})
    assets = [a for a in merged.values() if types is None or a.type in types]
    return sorted(assets, key=lambda a: (a.type, a.region or "", a.id)), errors
