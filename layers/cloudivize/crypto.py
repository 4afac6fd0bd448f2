"""Field-level envelope encryption: the one place that knows the encryption context.

Every sensitive field (External ID, role ARN, Azure directory/application ids and secret) is sealed with the
AWS Encryption SDK (a KMS data key per message) under the field key, with an encryption context naming the
tenant, the record and the purpose. The context is authenticated: a ciphertext copied to another record or
tenant does not open.

KMS traffic is bounded by the SDK's caching materials manager, used for both sealing and opening (Powertools'
data masking caches only encryption, so N reads would cost N KMS calls). Entries live a short time and
protect a bounded number of messages, so a disabled key or revoked grant bites within minutes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import cache
from typing import NoReturn

import aws_encryption_sdk
from aws_encryption_sdk import CommitmentPolicy, StrictAwsKmsMasterKeyProvider
from aws_encryption_sdk.caches.local import LocalCryptoMaterialsCache
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError
from aws_encryption_sdk.materials_managers.caching import CachingCryptoMaterialsManager
from cryptography.exceptions import InvalidSignature, InvalidTag

from cloudivize.errors import SealedFieldMismatch
from cloudivize.metrics import count
from cloudivize.observability import logger
from cloudivize.repository import RecordKey, connection_key, tenant_key

CACHE_MAX_AGE_SECONDS = 300.0
CACHE_MAX_MESSAGES = 500
# Every sealed field is one message with its own data key (its context names its record), so the cache holds one
# entry per field read: sized for a tenant listing a thousand connections (descriptors) and using them (secrets)
# with no KMS call while warm. An entry is a data key and its context: a few hundred bytes.
CACHE_CAPACITY = 4096

ENCRYPTION_CONTEXT_KEYS = ("tenant_id", "record", "purpose")
# What is sealed, by purpose (the encryption context's third value).
EXTERNAL_ID = "external_id"  # the tenant's External ID, on its META record
CONNECTION_DESCRIPTORS = "connection_descriptors"  # role ARN and account, or Azure directory/application ids
CONNECTION_CREDENTIALS = "connection_credentials"  # the Azure application secret
PAGE_TOKEN = "page_token"  # noqa: S105 - a purpose, not a secret: where a connection's asset listing continues, held by the client (never stored)
# The SDK adds the message-signing public key to the context it stores; it is not ours to compare.
_SDK_CONTEXT_KEYS = frozenset({"aws-crypto-public-key"})


@dataclass(frozen=True)
class SealContext:
    """What a sealed field belongs to. All three values are authenticated with the ciphertext."""

    tenant_id: str
    record: str  # the record's key, e.g. "TENANT#t1/CONN#c1"
    purpose: str  # which field, e.g. "external_id", "role_arn", "azure_secret"

    def as_encryption_context(self) -> dict[str, str]:
        return {"tenant_id": self.tenant_id, "record": self.record, "purpose": self.purpose}


def _context(tenant_id: str, key: RecordKey, purpose: str) -> SealContext:
    return SealContext(tenant_id, key.name, purpose)


def external_id_context(tenant_id: str) -> SealContext:
    return _context(tenant_id, tenant_key(tenant_id), EXTERNAL_ID)


def connection_context(tenant_id: str, connection_id: str, purpose: str) -> SealContext:
    """``purpose`` is CONNECTION_DESCRIPTORS or CONNECTION_CREDENTIALS."""
    return _context(tenant_id, connection_key(tenant_id, connection_id), purpose)


def page_token_context(tenant_id: str, connection_id: str) -> SealContext:
    """A page token opens only for the tenant and the connection whose listing issued it."""
    return _context(tenant_id, connection_key(tenant_id, connection_id), PAGE_TOKEN)


class FieldSealer:
    """Seals and opens string fields under one KMS key."""

    def __init__(
        self,
        key_arn: str,
        *,
        max_age_seconds: float = CACHE_MAX_AGE_SECONDS,
        max_messages: int = CACHE_MAX_MESSAGES,
        capacity: int = CACHE_CAPACITY,
    ) -> None:
        self._client = aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
        )
        self._materials = CachingCryptoMaterialsManager(
            master_key_provider=StrictAwsKmsMasterKeyProvider(key_ids=[key_arn]),
            cache=LocalCryptoMaterialsCache(capacity),
            max_age=max_age_seconds,
            max_messages_encrypted=max_messages,
        )

    def seal(self, value: str, context: SealContext) -> str:
        """Base64 ciphertext of ``value`` bound to ``context``."""
        ciphertext, _ = self._client.encrypt(
            source=value.encode(),
            materials_manager=self._materials,
            encryption_context=context.as_encryption_context(),
        )
        return base64.b64encode(ciphertext).decode()

    def open(self, sealed: str, context: SealContext) -> str:
        """The plaintext, if and only if ``sealed`` was sealed for exactly ``context``."""
        plaintext, failure = self._decrypt(sealed, context)
        if plaintext is None:
            self._refuse(context, failure)
        return plaintext

    def open_held(self, sealed: str, context: SealContext) -> str | None:
        """The plaintext of a value a client held (a page token), or None unless it was sealed for exactly
        ``context``. A client's forged or foreign value is its mistake, not a stored field's failure: no alarm."""
        return self._decrypt(sealed, context)[0]

    def _decrypt(self, sealed: str, context: SealContext) -> tuple[str | None, str]:
        try:
            plaintext, header = self._client.decrypt(
                source=base64.b64decode(sealed, validate=True), materials_manager=self._materials
            )
        except (AWSEncryptionSDKClientError, InvalidSignature, InvalidTag, binascii.Error, ValueError) as error:
            return None, type(error).__name__
        stored = {k: v for k, v in header.encryption_context.items() if k not in _SDK_CONTEXT_KEYS}
        if stored != context.as_encryption_context():
            return None, "context mismatch"
        return plaintext.decode(), ""

    @staticmethod
    def _refuse(context: SealContext, failure: str) -> NoReturn:
        # Never carry the ciphertext or a library message along: name only the field and the failure.
        logger.error("Sealed field did not open", extra={"purpose": context.purpose, "failure": failure})
        count("SealedFieldFailure")
        raise SealedFieldMismatch(f"A stored {context.purpose} could not be opened for this record.")


@cache
def sealer_for(key_arn: str) -> FieldSealer:
    """One sealer (and so one data key cache) per key per warm container."""
    return FieldSealer(key_arn)
