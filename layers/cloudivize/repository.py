"""The one place that knows the table's key schema and talks to DynamoDB.

Single table (DESIGN §5): partition key = tenant, sort key = record kind + id. Writes that create a record
are conditional, so a retry or a race never overwrites what is there.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

PARTITION_KEY = "pk"
SORT_KEY = "sk"
META_SORT_KEY = "META"


def tenant_partition(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def record_name(partition: str, sort: str) -> str:
    """How a record is named in encryption contexts and logs, e.g. ``TENANT#t1/META``."""
    return f"{partition}/{sort}"


class AlreadyExists(Exception):
    """A conditional create found the record already there."""


@cache
def _table(table_name: str) -> Any:
    return boto3.resource("dynamodb").Table(table_name)


class Table:
    """Thin, typed access to the Cloudivize table."""

    def __init__(self, table_name: str, table: Any | None = None) -> None:
        self._table = table if table is not None else _table(table_name)

    def create(self, item: dict[str, Any]) -> None:
        """Put ``item`` only if no record has its key."""
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise AlreadyExists(record_name(item[PARTITION_KEY], item[SORT_KEY])) from None
            raise

    def get(self, partition: str, sort: str) -> dict[str, Any] | None:
        response = self._table.get_item(Key={PARTITION_KEY: partition, SORT_KEY: sort}, ConsistentRead=True)
        return response.get("Item")
