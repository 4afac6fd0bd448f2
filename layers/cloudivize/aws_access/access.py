"""Opening a session in the account of one of the caller's connections (the glue of the AWS use cases)."""

from __future__ import annotations

from functools import cache

from cloudivize.aws_access.sessions import CustomerSession, CustomerSessions
from cloudivize.config import get_settings
from cloudivize.crypto import sealer_for
from cloudivize.errors import Forbidden
from cloudivize.models.fields import ROLE_ARN_PATTERN
from cloudivize.repository import Table
from cloudivize.tenants import read_external_id

# Where to make account-wide calls (STS, listing regions, S3) in each partition.
HOME_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


@cache
def customer_sessions() -> CustomerSessions:
    settings = get_settings()
    return CustomerSessions(settings.customer_access_role_arn, settings.region)


def tenant_external_id(tenant_id: str) -> str:
    settings = get_settings()
    external_id = read_external_id(Table(settings.table_name), sealer_for(settings.field_key_arn), tenant_id)
    if external_id is None:
        raise Forbidden("Your organisation is still being set up. Sign in again in a moment.")
    return external_id


def home_region(role_arn: str) -> str:
    found = ROLE_ARN_PATTERN.match(role_arn)
    return HOME_REGIONS[found["partition"] if found else "aws"]


def open_session(*, tenant_id: str, user_id: str, role_arn: str) -> CustomerSession:
    return customer_sessions().open(
        tenant_id=tenant_id, user_id=user_id, role_arn=role_arn, external_id=tenant_external_id(tenant_id)
    )
