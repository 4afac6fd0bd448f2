"""What Cloudivize stores (docs/architecture.md): the DynamoDB tables and the two customer-managed KMS keys.

* the **table key** encrypts the table at rest (DynamoDB SSE);
* the **field key** seals sensitive fields with the AWS Encryption SDK (envelope encryption, context-bound).

Two keys, so that reading the table (or a backup of it) is never enough to open a sealed field.
Everything here is retained when the stack is deleted: losing a key means losing the data.
How each is configured is in ``resources``.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from infrastructure import resources
from infrastructure.resources import KeyFacts, TableFacts


def _string_key(name: str | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING) if name else None


class DataStore(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)

        self.table_key = self._key("TableKey", resources.TABLE_KEY)
        self.field_key = self._key("FieldKey", resources.FIELD_KEY)
        self.table = self._table("Table", resources.MAIN_TABLE, removal_policy=RemovalPolicy.RETAIN)
        # An id, a status, a hash of the request and the new record's id per retried create.
        self.idempotency_table = self._table(
            "IdempotencyTable", resources.IDEMPOTENCY_TABLE, removal_policy=RemovalPolicy.DESTROY
        )
        # Who did what: a table of its own, so that IAM can let the functions only add to it.
        self.audit_table = self._table("AuditTable", resources.AUDIT_TABLE, removal_policy=RemovalPolicy.RETAIN)

    def _key(self, construct_id: str, facts: KeyFacts) -> kms.Key:
        return kms.Key(
            self,
            construct_id,
            description=facts.description,
            alias=facts.alias,
            enable_key_rotation=facts.rotation,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _table(self, construct_id: str, facts: TableFacts, *, removal_policy: RemovalPolicy) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            construct_id,
            partition_key=_string_key(facts.partition_key),
            sort_key=_string_key(facts.sort_key),
            time_to_live_attribute=facts.ttl_attribute,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.table_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=facts.point_in_time_recovery
            ),
            # Unset when off (off is the default), so the template names only a protection that is on.
            deletion_protection=facts.deletion_protection or None,
            removal_policy=removal_policy,
        )
