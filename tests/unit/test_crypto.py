"""Field sealing against moto's KMS, which performs real envelope cryptography."""

import boto3
import pytest
from moto import mock_aws

from cloudivize.crypto import ENCRYPTION_CONTEXT_KEYS, FieldSealer, SealContext
from cloudivize.errors import SealedFieldMismatch
from infrastructure import constants
from tests.utils import KmsCalls

CONTEXT = SealContext(tenant_id="t-1", record="TENANT#t-1/CONN#c-1", purpose="azure_secret")


@pytest.fixture
def key_arn():
    with mock_aws():
        yield boto3.client("kms").create_key(Description="field key")["KeyMetadata"]["Arn"]


def test_sealed_value_opens_under_the_same_context(key_arn):
    sealer = FieldSealer(key_arn)

    sealed = sealer.seal("s3cr3t-value", CONTEXT)

    assert "s3cr3t-value" not in sealed
    assert sealer.open(sealed, CONTEXT) == "s3cr3t-value"


@pytest.mark.parametrize(
    "other",
    [
        SealContext("t-2", CONTEXT.record, CONTEXT.purpose),  # copied to another tenant
        SealContext(CONTEXT.tenant_id, "TENANT#t-1/CONN#c-2", CONTEXT.purpose),  # copied to another record
        SealContext(CONTEXT.tenant_id, CONTEXT.record, "external_id"),  # read as another field
    ],
)
def test_ciphertext_does_not_open_under_another_context(key_arn, other):
    sealer = FieldSealer(key_arn)
    sealed = sealer.seal("s3cr3t-value", CONTEXT)

    with pytest.raises(SealedFieldMismatch) as refused:
        sealer.open(sealed, other)

    assert "s3cr3t-value" not in str(refused.value)
    assert sealed not in str(refused.value)


def test_tampered_ciphertext_is_refused(key_arn):
    sealer = FieldSealer(key_arn)
    sealed = sealer.seal("s3cr3t-value", CONTEXT)
    tampered = sealed[:-8] + ("A" * 8 if not sealed.endswith("A" * 8) else "B" * 8)

    with pytest.raises(SealedFieldMismatch):
        sealer.open(tampered, CONTEXT)


def test_each_message_has_its_own_data_key_envelope(key_arn):
    sealer = FieldSealer(key_arn)

    assert sealer.seal("same", CONTEXT) != sealer.seal("same", CONTEXT)


def test_data_key_cache_bounds_kms_traffic(key_arn):
    sealer = FieldSealer(key_arn)
    sealed = sealer.seal("s3cr3t-value", CONTEXT)
    with KmsCalls() as calls:
        for _ in range(50):
            assert sealer.open(sealed, CONTEXT) == "s3cr3t-value"

    assert calls.count("Decrypt") <= 1, calls


def test_infrastructure_grants_require_the_same_context_keys():
    # The CDK stack conditions KMS grants on these keys; the two lists must never drift.
    assert tuple(constants.ENCRYPTION_CONTEXT_KEYS) == ENCRYPTION_CONTEXT_KEYS
    assert tuple(CONTEXT.as_encryption_context()) == ENCRYPTION_CONTEXT_KEYS
