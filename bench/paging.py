"""Asset paging, counted in AWS calls: ~1,000 assets, pages of 50.

A customer account (moto in-process) seeded in the 17 default regions (two instances each, a bucket), with
1,000 more tagged instances in four of them and three tagged volumes: 1,038 assets. The walk through every
page is compared with one full listing made the way every page made it before (every source paged to its
end with the SDK's default page sizes), which is what each page cost then.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bench._environment import offline
from bench._figures import Figure

LIMIT = 50
BIG_REGIONS = ("ap-south-1", "eu-west-1", "us-east-1", "us-west-2")
INSTANCES_PER_BIG_REGION = 250
TAGGED_VOLUMES = 3


def _seed_more(session: Any) -> None:
    for region in BIG_REGIONS:
        ec2 = session.session.client("ec2", region_name=region)
        for _ in range(INSTANCES_PER_BIG_REGION):  # one reservation each, as instances launched one by one
            launched = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"]
            ec2.create_tags(Resources=[launched[0]["InstanceId"]], Tags=[{"Key": "team", "Value": "web"}])
    ec2 = session.session.client("ec2", region_name=BIG_REGIONS[1])
    for number in range(TAGGED_VOLUMES):
        volume = ec2.create_volume(AvailabilityZone=f"{BIG_REGIONS[1]}a", Size=1)["VolumeId"]
        ec2.create_tags(Resources=[volume], Tags=[{"Key": "backup", "Value": str(number)}])


def _listing_as_before(session: Any, regions: list[str]) -> int:
    """What one page cost before: every source listed to its end (assets counted, calls counted by the wire)."""
    found = 0
    for region in regions:
        for service, operation, key in (
            ("ec2", "describe_instances", "Reservations"),
            ("rds", "describe_db_instances", "DBInstances"),
            ("lambda", "list_functions", "Functions"),
            ("resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList"),
        ):
            for page in session.client(service, region).get_paginator(operation).paginate():
                found += len(page[key])
    s3 = session.client("s3", "us-east-1")
    for bucket in s3.list_buckets()["Buckets"]:
        s3.get_bucket_location(Bucket=bucket["Name"])
    return found


def run() -> Iterator[Figure]:
    offline()
    from moto import mock_aws

    from bench._customer import DEFAULT_REGIONS, Wire, seed

    with mock_aws():
        customer = seed(DEFAULT_REGIONS)
        session = customer.customer_session()
        wire = Wire(session)
        _seed_more(session)
        regions = list(DEFAULT_REGIONS)

        with wire.counting() as before:
            _listing_as_before(session, regions)
        per_page: list[int] = []
        shown: list[str] = []
        token: str | None = None
        longest = 0
        while True:
            with wire.counting() as calls:
                page = customer.page(regions, limit=LIMIT, next_token=token)
            assert not page.errors, page.errors
            per_page.append(len(calls))
            shown += [asset.arn or asset.id for asset in page.items]
            token = page.next_token
            if token is None:
                break
            longest = max(longest, len(token))
        everything = customer.page(regions, limit=10_000)  # one request, no token: the documented order
        assert shown == [asset.arn or asset.id for asset in everything.items], "pages skipped or repeated an asset"

    yield Figure("paging_assets", len(shown), 0)
    yield Figure("paging_pages", len(per_page), 0)
    yield Figure("paging_page1_calls", per_page[0], 0)
    yield Figure("paging_page5_calls", per_page[4], 0)
    yield Figure("paging_page20_calls", per_page[19], 0)
    yield Figure("paging_page20_vs_page1_calls", per_page[19] / per_page[0])
    yield Figure("paging_all_pages_calls", sum(per_page), 0)
    yield Figure("paging_one_listing_calls", len(before), 0)
    yield Figure("paging_all_pages_vs_one_listing_calls", sum(per_page) / len(before))
    yield Figure("paging_most_calls_of_a_later_page", max(per_page[1:]), 0)
    # Before: every page listed everything, so each page cost one listing and the walk cost pages x listing.
    yield Figure("paging_before_page_calls", len(before), 0)
    yield Figure("paging_before_all_pages_vs_one_listing_calls", len(per_page), 0)
    yield Figure("paging_longest_next_token_chars", longest, 0)
