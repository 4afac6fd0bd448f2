"""The emulator's DynamoDB answers are the same with members read by name as with moto's own alias search."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import botocore.exceptions
from moto import mock_aws
from moto.dynamodb.responses import DynamoResult

from infrastructure.local.aws.dynamodb_results import dynamodb_results_by_name

EVERY_KIND = {
    "pk": "TENANT#t",
    "sk": "CONNECTION#c",
    "text": "x",
    "number": Decimal("12.5"),
    "binary": b"\x00sealed\xff",
    "texts": {"a", "b"},
    "numbers": {Decimal(1), Decimal(2)},
    "binaries": {b"\x01", b"\x02"},
    "map": {"nested": {"deeper": [1, "two", None, True, b"\x03"]}},
    "list": [{"k": "v"}, [Decimal(3)]],
    "nothing": None,
    "yes": True,
}


def _answers() -> list[Any]:
    """What a table's reads and refusals answer, the response metadata (request ids, dates) left out."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        table = boto3.resource("dynamodb", region_name="us-east-1").Table("t")
        table.put_item(Item=EVERY_KIND)
        table.put_item(Item={"pk": "TENANT#t", "sk": "CONNECTION#d", "text": "y"})
        key = {"pk": "TENANT#t", "sk": "CONNECTION#c"}
        answers: list[Any] = [
            table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "TENANT#t"}, Limit=1),
            table.get_item(Key=key, ConsistentRead=True),
            table.get_item(Key={"pk": "TENANT#t", "sk": "CONNECTION#none"}),
            table.scan(ProjectionExpression="sk, #m.nested", ExpressionAttributeNames={"#m": "map"}),
            boto3.resource("dynamodb", region_name="us-east-1").batch_get_item(RequestItems={"t": {"Keys": [key]}}),
            table.update_item(
                Key=key,
                UpdateExpression="SET #n = #n + :one",
                ExpressionAttributeNames={"#n": "number"},
                ExpressionAttributeValues={":one": 1},
                ReturnValues="ALL_NEW",
            ),
        ]
        try:
            table.put_item(
                Item={**key},
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except botocore.exceptions.ClientError as refusal:
            answers.append(refusal.response)
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": "t",
                            "Key": {"pk": {"S": "TENANT#t"}, "sk": {"S": "CONNECTION#d"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except botocore.exceptions.ClientError as refusal:
            answers.append(refusal.response)
        answers.append(client.describe_table(TableName="t")["Table"]["KeySchema"])
    for answer in answers:
        if isinstance(answer, dict):
            answer.pop("ResponseMetadata", None)
    return answers


def test_every_read_and_refusal_answers_the_same_with_members_read_by_name():
    by_alias_search = _answers()
    with dynamodb_results_by_name():
        by_name = _answers()

    assert by_name == by_alias_search
    assert by_name[0]["Items"] == [EVERY_KIND] and by_name[2].get("Item") is None
    assert len(by_name) == 9  # both refusals were answered, and compared
    assert "execute_result" not in vars(DynamoResult)
