"""Live verification of a connection, by provider.

A verifier gets what is needed to reach the customer's cloud (opened only for the call) and answers named
checks. Providers register here; the Azure verifier is imported only when an Azure connection is verified,
so AWS-only code never loads the Azure SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudivize.errors import VerificationUnavailable
from cloudivize.models.connections import Verification


@dataclass(frozen=True)
class VerificationRequest:
    tenant_id: str
    user_id: str
    provider: str
    descriptors: dict[str, Any]
    credentials: dict[str, Any] = field(default_factory=dict, repr=False)  # never printed


Verifier = Callable[[VerificationRequest], Verification]


def _not_available(request: VerificationRequest) -> Verification:
    raise VerificationUnavailable(
        f"Live verification of {request.provider} connections is not available yet. "
        'Send "verify": false to store the connection unverified.'
    )


VERIFIERS: dict[str, Verifier] = {}


def verify(request: VerificationRequest) -> Verification:
    return VERIFIERS.get(request.provider, _not_available)(request)
