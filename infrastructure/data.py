"""What Cloudivize stores (DESIGN §5): one DynamoDB table and the two customer-managed KMS keys.

* the **table key** encrypts the table at rest (DynamoDB SSE);
* the **field key** seals sensitive fields with the AWS Encryption SDK (envelope encryption, context-bound).

Two keys, so that reading the table (or a backup of it) is never enough to open a sealed field.
Everything here is retained when the stack is deleted: losing a key means losing the data.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from infrastructure import constants


class DataStore(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)

        self.table_key = kms.Key(
            self,
            "TableKey",
            description="Cloudivize: DynamoDB server-side encryption of the connections table",
            alias=f"alias/{constants.SERVICE_NAME}/table",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.field_key = kms.Key(
            self,
            "FieldKey",
            description="Cloudivize: field-level envelope encryption (AWS Encryption SDK) of connection secrets",
            alias=f"alias/{constants.SERVICE_NAME}/fields",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=constants.TABLE_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=constants.TABLE_SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.table_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        # Records of retried creates (Idempotency-Key): an id, a status, a hash of the request and the new
        # record's id, expiring after a day. Encrypted like the table; short-lived, so no deletion protection.
        self.idempotency_table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name=constants.IDEMPOTENCY_KEY, type=dynamodb.AttributeType.STRING),
            time_to_live_attribute=constants.IDEMPOTENCY_TTL_ATTRIBUTE,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.table_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
