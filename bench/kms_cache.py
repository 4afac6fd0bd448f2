"""KMS calls of a tenant's warm full listing of 1,000 connections: the data-key cache as sized now, and the
256-entry cache it replaced, side by side (counts, not times)."""

from __future__ import annotations

from collections.abc import Iterator

from bench._environment import offline
from bench._figures import Figure

CONNECTIONS = 1000
PAGE = 100
FORMER_CAPACITY = 256


def run() -> Iterator[Figure]:
    offline()
    import boto3
    from moto import mock_aws

    from cloudivize.composition import Backend
    from cloudivize.config import FunctionConfig
    from cloudivize.connections import Connections
    from cloudivize.crypto import CACHE_CAPACITY, FieldSealer
    from cloudivize.models.connections import AwsConnectionCreate
    from cloudivize.providers import Providers
    from cloudivize.repository import Table
    from cloudivize.tenancy import Caller
    from infrastructure import resources
    from tests.utils import KmsCalls

    with mock_aws():
        key_arn = boto3.client("kms").create_key(Description="field key")["KeyMetadata"]["Arn"]
        boto3.client("dynamodb").create_table(
            TableName="bench",
            KeySchema=resources.MAIN_TABLE.key_schema(),
            AttributeDefinitions=resources.MAIN_TABLE.attribute_definitions(),
            BillingMode="PAY_PER_REQUEST",
        )
        config = FunctionConfig(TABLE_NAME="bench", FIELD_KEY_ARN=key_arn)
        caller = Caller(user_id="u", username="u", email=None, tenant_id="bench-tenant", sign_in_mode="local")

        def connections_with(capacity: int) -> Connections:
            sealer = FieldSealer(key_arn, capacity=capacity)
            return Backend(config, Table("bench"), sealer, Providers(config)).connections(caller)

        seeding = connections_with(CACHE_CAPACITY)
        seeding._refuse_duplicate = lambda *_: None  # seeding only: each create would open every earlier one
        for index in range(CONNECTIONS):
            role = f"arn:aws:iam::{100000000000 + index}:role/Ro"
            seeding.create(AwsConnectionCreate(provider="aws", name=f"c{index}", role_arn=role, verify=False))

        for name, capacity in (("", CACHE_CAPACITY), ("_former_256_entry_cache", FORMER_CAPACITY)):
            connections = connections_with(capacity)
            _list_all(connections)  # warm
            with KmsCalls() as calls:
                listed = _list_all(connections)
            assert listed == CONNECTIONS, listed
            yield Figure(f"kms_calls_warm_list_{CONNECTIONS}_connections{name}", len(calls), decimals=0)


def _list_all(connections) -> int:
    listed, token = 0, None
    while True:
        page = connections.list(PAGE, token)
        listed += len(page.items)
        token = page.next_token
        if token is None:
            return listed
