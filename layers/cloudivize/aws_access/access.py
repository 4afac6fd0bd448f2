"""Where account-wide calls go in a customer's AWS partition."""

from __future__ import annotations

from cloudivize.models.fields import ROLE_ARN_PATTERN

# Where to make account-wide calls (STS, listing regions, S3) in each partition.
HOME_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


def home_region(role_arn: str) -> str:
    found = ROLE_ARN_PATTERN.match(role_arn)
    return HOME_REGIONS[found["partition"] if found else "aws"]
