"""What each ``routes.Access`` lets a function do: one table, ``GRANTS``, from access to the statements that grant it.

Every grant is written as explicit statements (no ``grant_*`` helper, which would add ``kms:ReEncrypt*`` /
``kms:GenerateDataKey*``): a function gets exactly the DynamoDB, KMS and STS actions its access list
names, and a function with no access gets none. An ``Access`` member missing from ``GRANTS`` stops the synth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from infrastructure import constants
from infrastructure.customer_access import CustomerAccess
from infrastructure.data import DataStore
from infrastructure.routes import Access

TABLE_READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem")
TABLE_WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)
# What DynamoDB asks KMS for on the caller's behalf (SSE with a customer-managed key).
TABLE_KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
TABLE_KEY_WRITE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
SEAL_ACTIONS = ("kms:GenerateDataKey",)  # AWS Encryption SDK encrypt: one data key per message
UNSEAL_ACTIONS = ("kms:Decrypt",)  # AWS Encryption SDK decrypt
# What Powertools' DynamoDB persistence layer calls.
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# The audit trail is append-only by construction: writers may only put (never update, delete or read), readers
# only query. IAM cannot require PutItem's ConditionExpression; cloudivize.audit always sends
# attribute_not_exists, and a writer that cannot read the table nor have old items returned cannot learn any key
# (time + 64 random bits) to overwrite.
AUDIT_WRITE_ACTIONS = ("dynamodb:PutItem",)
AUDIT_READ_ACTIONS = ("dynamodb:Query",)
NO_RETURNED_ITEMS = {"StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}}


class MissingGrant(RuntimeError):
    """A function's access the stack cannot grant. The app must not synthesize: the function would fail at run
    time. (A RuntimeError, like the errors CDK itself raises during synthesis.)"""


def encryption_context_conditions() -> dict[str, dict[str, str]]:
    """Field-key calls must carry every encryption-context key ``cloudivize.crypto`` sets.

    ``Null: false`` = "the key is present". Not ``ForAllValues:StringEquals`` on ``kms:EncryptionContextKeys``:
    the Encryption SDK adds its own ``aws-crypto-public-key`` entry to the context.
    """
    return {"Null": {f"kms:EncryptionContext:{key}": "false" for key in constants.ENCRYPTION_CONTEXT_KEYS}}


@dataclass(frozen=True)
class Allow:
    """One Allow statement. Grants of one function that name the same sid make one statement (actions joined):
    reading and writing the table is one "Table" statement."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class GrantTarget:
    """The function being granted, and what grants may name."""

    function: str  # the spec's name, for errors
    role: iam.IRole
    region: str
    data: DataStore
    customer_access: CustomerAccess | None
    invitation_sender: str | None = None  # the SES identity invitations are emailed from (None: logged instead)


@dataclass(frozen=True)
class Grant:
    allows: Callable[[GrantTarget], list[Allow]]


def _via_dynamodb(target: GrantTarget) -> dict[str, dict[str, str]]:
    return {"StringEquals": {"kms:ViaService": f"dynamodb.{target.region}.amazonaws.com"}}


def _table_key(target: GrantTarget, actions: tuple[str, ...]) -> Allow:
    key_arn = target.data.table_key.key_arn
    return Allow("TableKeyThroughDynamoDB", actions, (key_arn,), _via_dynamodb(target))


def _table(actions: tuple[str, ...], key_actions: tuple[str, ...]) -> Callable[[GrantTarget], list[Allow]]:
    def allows(target: GrantTarget) -> list[Allow]:
        # The table has no secondary index; add "<table arn>/index/<name>" here when one is defined.
        return [Allow("Table", actions, (target.data.table.table_arn,)), _table_key(target, key_actions)]

    return allows


def _idempotency(target: GrantTarget) -> list[Allow]:
    # The idempotency table is encrypted with the table key too.
    records = Allow("IdempotencyRecords", IDEMPOTENCY_ACTIONS, (target.data.idempotency_table.table_arn,))
    return [records, _table_key(target, TABLE_KEY_WRITE_ACTIONS)]


def _audit_trail(sid: str, actions: tuple[str, ...], key_actions: tuple[str, ...], conditions=None):
    def allows(target: GrantTarget) -> list[Allow]:
        # The audit table is encrypted with the table key too.
        trail = Allow(sid, actions, (target.data.audit_table.table_arn,), conditions)
        return [trail, _table_key(target, key_actions)]

    return allows


def _field_key(sid: str, actions: tuple[str, ...]) -> Callable[[GrantTarget], list[Allow]]:
    def allows(target: GrantTarget) -> list[Allow]:
        return [Allow(sid, actions, (target.data.field_key.key_arn,), encryption_context_conditions())]

    return allows


def _assume_customer_role(target: GrantTarget) -> list[Allow]:
    """sts:AssumeRole on Cloudivize's principal, which trusts this function's role in return. The principal's
    trust names this function's role, which names nothing, so there is no cycle."""
    if target.customer_access is None:
        raise MissingGrant(
            f"function {target.function} has {Access.ASSUME_CUSTOMER_ROLE} but no customer-access role was given: "
            "it could not reach any customer account"
        )
    target.customer_access.trust(target.role)
    return [Allow("AssumeCustomerAccessRole", ("sts:AssumeRole",), (target.customer_access.role_arn,))]


def _send_invitations(target: GrantTarget) -> list[Allow]:
    """ses:SendEmail on the sender's identity only, from that address only; nothing without a sender (the
    function then logs invitations instead of emailing them)."""
    if target.invitation_sender is None:
        return []
    identity = Stack.of(target.role).format_arn(
        service="ses", resource="identity", resource_name=target.invitation_sender
    )
    from_sender = {"StringEquals": {"ses:FromAddress": target.invitation_sender}}
    return [Allow("SendInvitations", ("ses:SendEmail",), (identity,), from_sender)]


# In this order in the policies (a statement several grants share sits where the last of them puts it).
GRANTS: dict[Access, Grant] = {
    Access.TABLE_READ: Grant(_table(TABLE_READ_ACTIONS, TABLE_KEY_READ_ACTIONS)),
    Access.TABLE_WRITE: Grant(_table(TABLE_WRITE_ACTIONS, TABLE_KEY_WRITE_ACTIONS)),
    Access.IDEMPOTENCY: Grant(_idempotency),
    Access.SEAL: Grant(_field_key("SealFields", SEAL_ACTIONS)),
    Access.UNSEAL: Grant(_field_key("UnsealFields", UNSEAL_ACTIONS)),
    Access.ASSUME_CUSTOMER_ROLE: Grant(_assume_customer_role),
    Access.AUDIT_WRITE: Grant(
        _audit_trail("AddAuditEvents", AUDIT_WRITE_ACTIONS, TABLE_KEY_WRITE_ACTIONS, NO_RETURNED_ITEMS)
    ),
    Access.AUDIT_READ: Grant(_audit_trail("ReadAuditEvents", AUDIT_READ_ACTIONS, TABLE_KEY_READ_ACTIONS)),
    Access.SEND_INVITATIONS: Grant(_send_invitations),
}


def check_granted(function: str, access: Iterable[Access]) -> None:
    unmapped = set(access) - GRANTS.keys()
    if unmapped:
        raise MissingGrant(f"function {function}: no grant is defined for access {', '.join(sorted(unmapped))}")


def statements(target: GrantTarget, access: Iterable[Access]) -> list[iam.PolicyStatement]:
    """The statements granting ``access`` to the target."""
    merged: dict[str, Allow] = {}
    for granted, grant in GRANTS.items():
        if granted not in access:
            continue
        for allow in grant.allows(target):
            earlier = merged.pop(allow.sid, None)
            if earlier is not None:
                if (earlier.resources, earlier.conditions) != (allow.resources, allow.conditions):
                    raise ValueError(f"grants share statement {allow.sid} but not its resources and conditions")
                allow = replace(allow, actions=tuple(dict.fromkeys(earlier.actions + allow.actions)))
            merged[allow.sid] = allow
    return [
        iam.PolicyStatement(
            sid=allow.sid, actions=list(allow.actions), resources=list(allow.resources), conditions=allow.conditions
        )
        for allow in merged.values()
    ]
