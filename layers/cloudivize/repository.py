"""The one place that knows the table's key schema and talks to DynamoDB.

Single table (docs/architecture.md, "Data model"): partition key = tenant (organization) or user, sort key = record
kind + id: ``TENANT#t / META`` (the organization), ``TENANT#t / CONN#c`` (a connection), ``TENANT#t / MEMBER#u``
(a membership), ``USER#u / ORG#t`` (the same membership, found from the user), ``USER#u / PROFILE`` (the user's
default organization), ``USER#u / SETTINGS`` (the user's own configuration), and an invitation three times:
``INVITE#i / META`` (what accepting reads), ``TENANT#t / INVITE#i`` (the organization's pending ones) and
``EMAIL#e / INVITE#i`` (those addressed to an email, lower-cased).
Every key is built by a function of this module; the stores hand ``Table`` a ``RecordKey`` and the record's
other attributes, never a key attribute. Every write is conditional, so a retry or a race never overwrites
what is there and a stale writer is told so.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import operator
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

PARTITION_KEY = "pk"
SORT_KEY = "sk"
META_SORT_KEY = "META"
CONNECTION_PREFIX = "CONN#"
MEMBER_PREFIX = "MEMBER#"
MEMBERSHIP_PREFIX = "ORG#"
PROFILE_SORT_KEY = "PROFILE"
SETTINGS_SORT_KEY = "SETTINGS"
INVITATION_PREFIX = "INVITE#"
MAX_BATCH_ATTEMPTS = 3
MAX_FILTERED_READS = 10  # Query calls of one filtered page (``Table.newest_first``)


@dataclass(frozen=True)
class RecordKey:
    """Where a record lives: its tenant's partition and its sort key."""

    partition: str
    sort: str

    @property
    def name(self) -> str:
        """How the record is named in encryption contexts and logs, e.g. ``TENANT#t1/META``."""
        return f"{self.partition}/{self.sort}"

    def as_item_key(self) -> dict[str, str]:
        return {PARTITION_KEY: self.partition, SORT_KEY: self.sort}


def tenant_partition(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def tenant_key(tenant_id: str) -> RecordKey:
    return RecordKey(tenant_partition(tenant_id), META_SORT_KEY)


def connection_key(tenant_id: str, connection_id: str) -> RecordKey:
    return RecordKey(tenant_partition(tenant_id), f"{CONNECTION_PREFIX}{connection_id}")


def member_key(tenant_id: str, user_id: str) -> RecordKey:
    """A membership as the organization lists it."""
    return RecordKey(tenant_partition(tenant_id), f"{MEMBER_PREFIX}{user_id}")


def user_partition(user_id: str) -> str:
    return f"USER#{user_id}"


def membership_key(user_id: str, tenant_id: str) -> RecordKey:
    """The same membership as the user's requests find it (one Query of the user's partition)."""
    return RecordKey(user_partition(user_id), f"{MEMBERSHIP_PREFIX}{tenant_id}")


def profile_key(user_id: str) -> RecordKey:
    return RecordKey(user_partition(user_id), PROFILE_SORT_KEY)


def user_settings_key(user_id: str) -> RecordKey:
    return RecordKey(user_partition(user_id), SETTINGS_SORT_KEY)


# Which organization connections the schedule reconciles (cloudivize.organization_sync): one partition, one item
# per organization connection, holding nothing but the two ids its key names. Written with the connection.
SCHEDULED_SYNC_PARTITION = "SCHEDULE#organization-sync"


def scheduled_sync_key(tenant_id: str, connection_id: str) -> RecordKey:
    return RecordKey(SCHEDULED_SYNC_PARTITION, f"{tenant_partition(tenant_id)}#{CONNECTION_PREFIX}{connection_id}")


def scheduled_sync_ids(sort_key: str) -> tuple[str, str]:
    """(tenant id, connection id) of a ``scheduled_sync_key``'s sort key."""
    tenant, connection = sort_key.removeprefix(tenant_partition("")).split(f"#{CONNECTION_PREFIX}", 1)
    return tenant, connection


# The audit table (its own table: cloudivize.audit): partition = organization, sort key = when + a random suffix,
# so that its keys sort by time and no two events share one.
AUDIT_PARTITION_PREFIX = "ORG#"


def audit_partition(tenant_id: str) -> str:
    return f"{AUDIT_PARTITION_PREFIX}{tenant_id}"


def audit_event_key(tenant_id: str, at: str, suffix: str) -> RecordKey:
    """``at``: the event's time as fixed-width ISO 8601 (UTC), which sorts as time does."""
    return RecordKey(audit_partition(tenant_id), f"{at}#{suffix}")


def invitation_key(invitation_id: str) -> RecordKey:
    """An invitation as accepting or revoking it reads it, by its id alone."""
    return RecordKey(f"{INVITATION_PREFIX}{invitation_id}", META_SORT_KEY)


def organization_invitation_key(tenant_id: str, invitation_id: str) -> RecordKey:
    """The same invitation in its organization's list of pending ones."""
    return RecordKey(tenant_partition(tenant_id), f"{INVITATION_PREFIX}{invitation_id}")


def email_partition(email: str) -> str:
    return f"EMAIL#{email.lower()}"


def email_invitation_key(email: str, invitation_id: str) -> RecordKey:
    """The same invitation among those addressed to its email (compared lower-cased)."""
    return RecordKey(email_partition(email), f"{INVITATION_PREFIX}{invitation_id}")


class AlreadyExists(Exception):
    """A conditional create found the record already there."""


class RecordMissing(Exception):
    """The record does not exist (in this tenant's partition)."""


class StaleVersion(Exception):
    """The record exists but its version is not the one the writer read."""


class TransactionRefused(Exception):
    """A transaction's condition failed (``reasons``: DynamoDB's code per operation, "None" where it held)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Put:
    """A transaction's create (``replace``: or overwrite)."""

    key: RecordKey
    attributes: dict[str, Any]
    replace: bool = False


@dataclass(frozen=True)
class Change:
    """A transaction's update of an existing record: ``SET`` the given attributes, ``ADD`` the counters; and,
    optionally, a condition on its attributes (DynamoDB's syntax, names as ``#name`` of the attribute)."""

    key: RecordKey
    set: dict[str, Any]
    add: dict[str, int] | None = None
    condition: str | None = None
    values: dict[str, Any] | None = None


@dataclass(frozen=True)
class Remove:
    """A transaction's delete of an existing record."""

    key: RecordKey


class BadPageToken(Exception):
    """A paging token that this tenant's listing did not issue."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_token: str | None


@cache
def _table(table_name: str) -> Any:
    return boto3.resource("dynamodb").Table(table_name)


def _condition_failed(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _attributes(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in (PARTITION_KEY, SORT_KEY)}


class Table:
    """Thin, typed access to the Cloudivize table: items go in and come out without their key attributes."""

    def __init__(self, table_name: str, table: Any | None = None) -> None:
        self._table = table if table is not None else _table(table_name)

    def create(self, key: RecordKey, attributes: dict[str, Any]) -> None:
        """Put the record only if none has its key."""
        try:
            self._table.put_item(
                Item={**attributes, **key.as_item_key()},
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
            )
        except ClientError as error:
            if _condition_failed(error):
                raise AlreadyExists(key.name) from None
            raise

    def get(self, key: RecordKey) -> dict[str, Any] | None:
        response = self._table.get_item(Key=key.as_item_key(), ConsistentRead=True)
        item = response.get("Item")
        return _attributes(item) if item is not None else None

    def get_many(self, *keys: RecordKey) -> list[dict[str, Any] | None]:
        """The records of ``keys`` in one round trip (BatchGetItem, strongly consistent), None where missing."""
        wanted = [key.as_item_key() for key in keys]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        client = self._table.meta.client
        request = {self._table.name: {"Keys": wanted, "ConsistentRead": True}}
        for _ in range(MAX_BATCH_ATTEMPTS):  # DynamoDB may leave keys unprocessed under load: ask again for those
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table.name, []):
                found[(item[PARTITION_KEY], item[SORT_KEY])] = _attributes(item)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError("DynamoDB left keys unprocessed after retries")
        return [found.get((key.partition, key.sort)) for key in keys]

    def page(self, partition: str, prefix: str, limit: int, token: str | None) -> Page:
        """Records of one partition whose sort key starts with ``prefix``, oldest key first."""
        query: dict[str, Any] = {
            "KeyConditionExpression": Key(PARTITION_KEY).eq(partition) & Key(SORT_KEY).begins_with(prefix),
            "Limit": limit,
        }
        if token:
            query["ExclusiveStartKey"] = {PARTITION_KEY: partition, SORT_KEY: _decode_token(token, prefix)}
        response = self._table.query(**query)
        last = response.get("LastEvaluatedKey")
        return Page(
            items=[_attributes(item) for item in response.get("Items", [])],
            next_token=_encode_token(last[SORT_KEY]) if last else None,
        )

    def newest_first(
        self, partition: str, limit: int, *, before: str | None = None, equal: dict[str, str] | None = None
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        """Up to ``limit`` records of one partition, greatest sort key first, after the sort key ``before``, whose
        attributes equal ``equal``; and the sort key to continue before, or None at the end. A filtered Query may
        evaluate records it does not return, so this reads on (a bounded number of times) to fill the page."""
        query: dict[str, Any] = {"KeyConditionExpression": Key(PARTITION_KEY).eq(partition), "ScanIndexForward": False}
        if equal:
            conditions = [Attr(name).eq(value) for name, value in equal.items()]
            query["FilterExpression"] = functools.reduce(operator.and_, conditions)
        found: list[tuple[str, dict[str, Any]]] = []
        last = before
        for _ in range(MAX_FILTERED_READS):
            if last is not None:
                query["ExclusiveStartKey"] = {PARTITION_KEY: partition, SORT_KEY: last}
            response = self._table.query(**query, Limit=limit - len(found))
            found += [(item[SORT_KEY], _attributes(item)) for item in response.get("Items", [])]
            evaluated = response.get("LastEvaluatedKey")
            last = evaluated[SORT_KEY] if evaluated else None
            if last is None or len(found) >= limit:
                break
        return found, last

    def update(self, key: RecordKey, changes: dict[str, Any], *, expected_version: int) -> dict[str, Any]:
        """Apply ``changes`` and bump the version, only if the record is at ``expected_version``."""
        names = {"#pk": PARTITION_KEY, "#version": "version"}
        values: dict[str, Any] = {":expected": expected_version, ":one": 1}
        assignments = ["#version = #version + :one"]
        for index, (attribute, value) in enumerate(changes.items()):
            names[f"#a{index}"] = attribute
            values[f":v{index}"] = value
            assignments.append(f"#a{index} = :v{index}")
        try:
            response = self._table.update_item(
                Key=key.as_item_key(),
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression="attribute_exists(#pk) AND #version = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if _condition_failed(error):
                raise (StaleVersion if error.response.get("Item") else RecordMissing)() from None
            raise
        return _attributes(response["Attributes"])

    def lease(self, key: RecordKey, attribute: str, *, until: int, now: int) -> bool:
        """Take the lease ``attribute`` of an existing record until ``until`` (epoch seconds), unless another holder's
        lease is still running at ``now``: whether it was taken. The version is left alone (no change a reader sees)."""
        try:
            self._table.update_item(
                Key=key.as_item_key(),
                UpdateExpression="SET #lease = :until",
                ConditionExpression="attribute_exists(#pk) AND (attribute_not_exists(#lease) OR #lease < :now)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY, "#lease": attribute},
                ExpressionAttributeValues={":until": until, ":now": now},
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def release(self, key: RecordKey, attribute: str, *, held: int, changes: dict[str, Any]) -> None:
        """End the lease ``attribute`` taken until ``held`` and write ``changes`` with it, if the lease is still that
        one (a holder whose lease ran out writes nothing: whoever took it since will write)."""
        names = {"#lease": attribute}
        values: dict[str, Any] = {":held": held}
        assignments = []
        for index, (name, value) in enumerate(changes.items()):
            names[f"#a{index}"], values[f":v{index}"] = name, value
            assignments.append(f"#a{index} = :v{index}")
        expression = ("SET " + ", ".join(assignments) + " " if assignments else "") + "REMOVE #lease"
        try:
            self._table.update_item(
                Key=key.as_item_key(),
                UpdateExpression=expression,
                ConditionExpression="#lease = :held",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise

    def query_all(self, partition: str, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
        """Every record of one partition whose sort key starts with ``prefix``, strongly consistent, as (sort key,
        attributes): for partitions that stay small (a user's memberships, an organization's members)."""
        condition = Key(PARTITION_KEY).eq(partition)
        if prefix:
            condition = condition & Key(SORT_KEY).begins_with(prefix)
        query: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": True}
        found: list[tuple[str, dict[str, Any]]] = []
        while True:
            response = self._table.query(**query)
            found += [(item[SORT_KEY], _attributes(item)) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def transact(self, operations: list[Put | Change | Remove]) -> None:
        """All of ``operations`` or none (TransactWriteItems): creates only where nothing is, changes and deletes
        only of records that exist, each change's own condition held. ``TransactionRefused`` otherwise."""
        # The resource's client takes and gives plain Python values (boto3's DynamoDB transformation), as
        # ``get_many`` relies on too.
        names = {"#pk": PARTITION_KEY}
        items: list[dict[str, Any]] = []
        for operation in operations:
            key = operation.key.as_item_key()
            if isinstance(operation, Put):
                put: dict[str, Any] = {
                    "TableName": self._table.name,
                    "Item": {**operation.attributes, **key},
                }
                if not operation.replace:
                    put |= {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": names}
                items.append({"Put": put})
            elif isinstance(operation, Change):
                attribute_names = dict(names)
                values: dict[str, Any] = {}
                sets, adds = [], []
                for index, (attribute, value) in enumerate(operation.set.items()):
                    attribute_names[f"#s{index}"] = attribute
                    values[f":s{index}"] = value
                    sets.append(f"#s{index} = :s{index}")
                for index, (attribute, amount) in enumerate((operation.add or {}).items()):
                    attribute_names[f"#n{index}"] = attribute
                    values[f":n{index}"] = amount
                    adds.append(f"#n{index} :n{index}")
                expression = " ".join(
                    part for part in (sets and "SET " + ", ".join(sets), adds and "ADD " + ", ".join(adds)) if part
                )
                condition = "attribute_exists(#pk)"
                if operation.condition:
                    condition += f" AND ({operation.condition})"
                    attribute_names |= {
                        word: word[1:] for word in operation.condition.replace("(", " ").replace(")", " ").split()
                        if word.startswith("#")
                    }  # fmt: skip
                    values |= operation.values or {}
                update = {
                    "TableName": self._table.name,
                    "Key": key,
                    "UpdateExpression": expression,
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": attribute_names,
                }
                if values:
                    update["ExpressionAttributeValues"] = values
                items.append({"Update": update})
            else:
                items.append(
                    {
                        "Delete": {
                            "TableName": self._table.name,
                            "Key": key,
                            "ConditionExpression": "attribute_exists(#pk)",
                            "ExpressionAttributeNames": names,
                        }
                    }
                )
        try:
            self._table.meta.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                reasons = [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]
                raise TransactionRefused(reasons) from None
            raise

    def put(self, key: RecordKey, attributes: dict[str, Any]) -> None:
        """Create or replace a record that has no concurrency contract (user settings)."""
        self._table.put_item(Item={**attributes, **key.as_item_key()})

    def delete(self, key: RecordKey) -> None:
        try:
            self._table.delete_item(
                Key=key.as_item_key(),
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
            )
        except ClientError as error:
            if _condition_failed(error):
                raise RecordMissing() from None
            raise


# Paging tokens carry only the last sort key; the partition always comes from the caller's tenant, so a
# token from another tenant can at most point into the caller's own partition.
def _encode_token(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": sort_key}).encode()).decode().rstrip("=")


def _decode_token(token: str, prefix: str) -> str:
    try:
        after = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise BadPageToken() from None
    if not isinstance(after, str) or not after.startswith(prefix):
        raise BadPageToken()
    return after
