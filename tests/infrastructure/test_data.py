"""The table and the two customer-managed keys (docs/architecture.md, "Data model")."""

from __future__ import annotations

from infrastructure import constants


def _main_table(synth) -> dict:
    return synth.resources("AWS::DynamoDB::Table")[synth.logical_id(synth.stack.data.table)]


def test_table_key_schema_and_billing(synth):
    table = _main_table(synth)
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": constants.TABLE_PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": constants.TABLE_SORT_KEY, "KeyType": "RANGE"},
    ]
    assert {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]} == {
        constants.TABLE_PARTITION_KEY: "S",
        constants.TABLE_SORT_KEY: "S",
    }
    assert properties["BillingMode"] == "PAY_PER_REQUEST"


def test_table_is_encrypted_with_the_table_key_recoverable_and_protected(synth):
    table = _main_table(synth)
    properties = table["Properties"]
    table_key_id = synth.logical_id(synth.stack.data.table_key)
    assert properties["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": [table_key_id, "Arn"]},
    }
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def test_table_key_and_field_key_are_two_rotating_retained_keys(synth):
    table_key_id = synth.logical_id(synth.stack.data.table_key)
    field_key_id = synth.logical_id(synth.stack.data.field_key)
    assert table_key_id != field_key_id
    keys = synth.resources("AWS::KMS::Key")
    for key_id in (table_key_id, field_key_id):
        assert keys[key_id]["Properties"]["EnableKeyRotation"] is True
        assert keys[key_id]["Properties"].get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
        assert keys[key_id]["DeletionPolicy"] == "Retain"


def test_every_kms_key_rotates(synth):
    for logical_id, key in synth.resources("AWS::KMS::Key").items():
        assert key["Properties"]["EnableKeyRotation"] is True, logical_id


def test_both_data_keys_have_aliases(synth):
    aliases = synth.resources("AWS::KMS::Alias").values()
    aliased = {alias["Properties"]["TargetKeyId"]["Fn::GetAtt"][0] for alias in aliases}
    assert {synth.logical_id(synth.stack.data.table_key), synth.logical_id(synth.stack.data.field_key)} <= aliased


def test_idempotency_records_live_in_their_own_encrypted_expiring_table(synth):
    tables = synth.resources("AWS::DynamoDB::Table")
    assert set(tables) == {
        synth.logical_id(synth.stack.data.table),
        synth.logical_id(synth.stack.data.idempotency_table),
        synth.logical_id(synth.stack.data.audit_table),
    }
    properties = tables[synth.logical_id(synth.stack.data.idempotency_table)]["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": constants.IDEMPOTENCY_KEY, "KeyType": "HASH"}]
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": constants.IDEMPOTENCY_TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert properties["SSESpecification"]["KMSMasterKeyId"] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.data.table_key), "Arn"]
    }


def test_audit_events_live_in_their_own_protected_expiring_table_under_the_table_key(synth):
    table = synth.resources("AWS::DynamoDB::Table")[synth.logical_id(synth.stack.data.audit_table)]
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": constants.TABLE_PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": constants.TABLE_SORT_KEY, "KeyType": "RANGE"},
    ]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": constants.AUDIT_TTL_ATTRIBUTE, "Enabled": True}
    assert properties["SSESpecification"]["KMSMasterKeyId"] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.data.table_key), "Arn"]
    }
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
