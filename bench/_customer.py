"""A customer AWS account in moto (in-process ``mock_aws``) and Cloudivize's warm AWS provider connected to it,
shared by the inventory and paging benchmarks. Call ``offline()`` and start ``mock_aws`` before using it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

# The regions AWS enables in every account (the opt-in ones are off until a customer turns them on).
DEFAULT_REGIONS = (
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
    "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
)  # fmt: skip
TENANT_ID, USER_ID = "bench-tenant", "bench-user"
EXTERNAL_ID = "B" * 48


@dataclass
class Customer:
    """The seeded account, the warm provider (one per container) and what a request needs."""

    account: Any  # infrastructure.local.customer_account.CustomerAccount
    provider: Any  # cloudivize.aws_access.provider.AwsProvider
    sealer: Any  # cloudivize.crypto.FieldSealer
    connection_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def connection(self, regions: list[str] | None) -> Any:
        from cloudivize.aws_access.provider import AwsRole, NoCredentials
        from cloudivize.providers.base import CloudConnection

        return CloudConnection(
            connection_id=self.connection_id,
            tenant_id=TENANT_ID,
            user_id=USER_ID,
            provider="aws",
            descriptors=AwsRole(role_arn=self.account.role_arn, account_id=self.account.account_id),
            credentials=NoCredentials(),
            regions=regions,
            external_id=EXTERNAL_ID,
        )

    def page(self, regions: list[str] | None, *, limit: int = 100, next_token: str | None = None, **query: Any):
        """One GET /connections/{id}/assets, as the assets function serves it (after the connection is read)."""
        return self.page_of(self.connection(regions), limit=limit, next_token=next_token, **query)

    def page_of(self, connection: Any, *, limit: int = 100, next_token: str | None = None, **query: Any):
        """The same, of any opened connection (an organization's, say)."""
        from cloudivize.cloud_assets import list_assets

        return list_assets(
            self.provider,
            connection,
            sealer=self.sealer,
            types=query.get("types"),
            region=query.get("region"),
            limit=limit,
            next_token=next_token,
        )

    def customer_session(self, regions: list[str] | None = None) -> Any:
        return self.provider.session(self.connection(regions))


def seed(regions: tuple[str, ...] = DEFAULT_REGIONS) -> Customer:
    """The customer's role (from Cloudivize's template, trusting the bench tenant) with two instances in each
    of ``regions`` and a bucket; the provider Cloudivize's composition root builds."""
    from cloudivize.aws_access.onboarding import trust_policy
    from cloudivize.aws_access.provider import AwsProvider
    from cloudivize.aws_access.sessions import CustomerSessions
    from cloudivize.crypto import FieldSealer
    from cloudivize.principal import Principal
    from infrastructure.local.customer_account import seed_customer_account

    principal = "arn:aws:iam::123456789012:role/Cloudivize-CustomerAccess"
    account = seed_customer_account(trust_policy=trust_policy(principal, EXTERNAL_ID), regions=regions)
    key_arn = boto3.client("kms", region_name="us-east-1").create_key(Description="field key")["KeyMetadata"]["Arn"]
    return Customer(account=account, provider=AwsProvider(CustomerSessions(Principal(None, "us-east-1"))),
                    sealer=FieldSealer(key_arn))  # fmt: skip


class Wire:
    """What the customer session's clients send: every call counted, and each made to wait ``delay`` seconds
    before it is sent, as if AWS were that far away. Botocore hooks on the session, registered before it builds
    a client (a client copies the session's hooks when it is built)."""

    def __init__(self, session: Any) -> None:
        self.calls: list[str] = []
        self.delay = 0.0
        session.session.events.register_first("before-send", self._wait)
        session.session.events.register("before-call", self._count)

    def _wait(self, **_: Any) -> None:
        if self.delay:
            time.sleep(self.delay)

    def _count(self, model: Any = None, **_: Any) -> None:
        self.calls.append(f"{model.service_model.service_name}.{model.name}")

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        """The calls sent while inside."""
        start = len(self.calls)
        seen: list[str] = []
        try:
            yield seen
        finally:
            seen.extend(self.calls[start:])
