"""Tenants (organizations) and their External IDs.

An organization's External ID is generated here, never chosen by a customer (confused-deputy defence), and stored
only sealed (``store.tenants``). A user's first organization is made when they are confirmed; its id derives from
the pool and the user, so a retried trigger finds the same one.
"""

from __future__ import annotations

import secrets
import string
import uuid

from cloudivize.crypto import FieldSealer
from cloudivize.repository import Table
from cloudivize.store.tenants import TenantStore

# AWS allows [\w+=,.@:/-] in an ExternalId; letters and digits alone stay safe in URLs and shell commands.
EXTERNAL_ID_ALPHABET = string.ascii_letters + string.digits
EXTERNAL_ID_LENGTH = 48  # ~285 bits from a CSPRNG: unguessable and, in practice, unique per tenant

# Tenant ids are derived from the first user's pool and sub, so re-running the trigger finds the same tenant.
_TENANT_NAMESPACE = uuid.UUID("5b0c5d8e-7a0e-4b7e-9d59-3c2b8f1a6e41")


def generate_external_id() -> str:
    return "".join(secrets.choice(EXTERNAL_ID_ALPHABET) for _ in range(EXTERNAL_ID_LENGTH))


def tenant_id_for_first_user(user_pool_id: str, user_sub: str) -> str:
    return str(uuid.uuid5(_TENANT_NAMESPACE, f"{user_pool_id}/{user_sub}"))


def read_external_id(table: Table, sealer: FieldSealer, tenant_id: str) -> str | None:
    """The tenant's External ID, opened (None until the tenant exists)."""
    return TenantStore(table, sealer).external_id(tenant_id)
