"""Live verification of a connection, by provider.

A verifier gets what is needed to reach the customer's cloud (opened only for the call) and answers named
checks. Providers register here; the Azure verifier is imported only when an Azure connection is verified,
so AWS-only code never loads the Azure SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudivize.errors import VerificationUnavailable
from cloudivize.models.connections import Verification


@dataclass(frozen=True)
class VerificationRequest:
    tenant_id: str
    user_id: str
    provider: str
    descriptors: dict[str, Any] = field(repr=False)
    credentials: dict[str, Any] = field(default_factory=dict, repr=False)  # never printed
    regions: list[str] | None = None
    secret_expires_at: datetime | str | None = None  # Azure: when the application secret expires, if known


Verifier = Callable[[VerificationRequest], Verification]


def _not_available(request: VerificationRequest) -> Verification:
    raise VerificationUnavailable(
        f"Live verification of {request.provider} connections is not available yet. "
        'Send "verify": false to store the connection unverified.'
    )


def _verify_aws(request: VerificationRequest) -> Verification:
    from cloudivize.aws_access.verify import verify_aws  # imported on use: only AWS verifications pay for it

    return verify_aws(request)


def _verify_azure(request: VerificationRequest) -> Verification:
    from cloudivize.azure_access.verify import verify_azure  # imported on use: only Azure verifications pay for it

    return verify_azure(request)


VERIFIERS: dict[str, Verifier] = {"aws": _verify_aws, "azure": _verify_azure}


def verify(request: VerificationRequest) -> Verification:
    return VERIFIERS.get(request.provider, _not_available)(request)
