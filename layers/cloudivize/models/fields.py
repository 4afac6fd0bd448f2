"""Field types shared by the API models: each one validates what its name promises."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Annotated

import botocore.session
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

AWS_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

# IAM: role names are 1-64 of [\w+=,.@-]; a path is "/" or "/.../" of printable ASCII, 512 characters at most.
ROLE_ARN_PATTERN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account_id>\d{12}):role"
    r"(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[\w+=,.@-]{1,64})$"
)
MAX_ROLE_PATH = 512
# What a region or location name can look like (us-east-1, us-gov-west-1, eastus2): letters, digits, single
# hyphens. Anything else (a dot, a slash, an underscore, a control character) never names a region.
REGION_NAME_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# ISO 8601 / RFC 3339 date-times only; pydantic alone would also take numbers as Unix times ("1.2e-197").
ISO_8601_PATTERN = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
GUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@cache
def known_aws_regions() -> frozenset[str]:
    """Region names of every partition we serve, from botocore's bundled endpoint data (no network)."""
    session = botocore.session.get_session()
    return frozenset(r for p in AWS_PARTITIONS for r in session.get_available_regions("ec2", partition_name=p))


def _known_region(value: str) -> str:
    if value not in known_aws_regions():
        raise ValueError(f"'{value}' is not an AWS region name (for example us-east-1)")
    return value


def _iso_8601(value: object) -> object:
    if isinstance(value, datetime):
        return value  # already a date-time (built in code, not parsed from a request)
    if not isinstance(value, str) or not ISO_8601_PATTERN.match(value):
        raise ValueError("must be an ISO 8601 date-time such as 2026-12-01T09:30:00Z")
    return value


def _role_arn(value: str) -> str:
    found = ROLE_ARN_PATTERN.match(value)
    if not found:
        raise ValueError(
            "must be an IAM role ARN like arn:aws:iam::123456789012:role/CloudivizeReadOnly "
            "(partition aws, aws-cn or aws-us-gov; 12-digit account id)"
        )
    if len(found["path"]) > MAX_ROLE_PATH:
        raise ValueError(f"the role path is longer than IAM's {MAX_ROLE_PATH} characters")
    return value


def _known_regions_schema(schema: dict) -> None:
    # Called only when the OpenAPI document is generated (botocore's endpoint data is not read at import).
    schema["enum"] = sorted(known_aws_regions())


# ROLE_ARN_PATTERN as the OpenAPI document states it (ECMA-262 regex: no named groups; the 512-character path
# limit as a count; IAM role names are ASCII).
ROLE_ARN_SCHEMA_PATTERN = (
    r"^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/([\x21-\x7e]{0,510}/)?[A-Za-z0-9_+=,.@-]{1,64}$"
)


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat a value")
    return values


ConnectionName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$"),
    Field(description="A name for the connection, shown in Cloudivize", examples=["Production"]),
]
RoleArn = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_role_arn),
    Field(
        description="ARN of the IAM role Cloudivize assumes",
        examples=["arn:aws:iam::123456789012:role/Cloudivize"],
        json_schema_extra={"pattern": ROLE_ARN_SCHEMA_PATTERN},
        repr=False,  # sealed at rest: kept out of reprs that debug logging may print
    ),
]
# An IAM role name (the member role an organization's StackSet creates in each account): IAM's own rule.
IAM_ROLE_NAME_PATTERN = r"^[\w+=,.@-]{1,64}$"
RoleName = Annotated[str, StringConstraints(pattern=IAM_ROLE_NAME_PATTERN)]
AwsRegion = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(_known_region),
    Field(json_schema_extra=_known_regions_schema, examples=["eu-west-1"]),
]
AwsRegions = Annotated[
    list[AwsRegion],
    Field(min_length=1, max_length=40, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_unique),
]
Guid = Annotated[str, StringConstraints(pattern=GUID_PATTERN), AfterValidator(str.lower)]
SubscriptionIds = Annotated[
    list[Guid], Field(min_length=1, max_length=100, json_schema_extra={"uniqueItems": True}), AfterValidator(_unique)
]
# A date-time from a request: ISO 8601 text only (no Unix numbers). Naive values are read as UTC where used.
Timestamp = Annotated[datetime, BeforeValidator(_iso_8601)]
AwareTimestamp = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]
