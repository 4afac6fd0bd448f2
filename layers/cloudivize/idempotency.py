"""Idempotent retries of creating requests (``Idempotency-Key`` header), on Powertools idempotency.

The key is scoped to the tenant; the stored result is only the new record's id (never the response, which
may name customer resources), and the payload is compared by a SHA-256 of its secret-free form, so a key
reused with another body is refused instead of silently answered with the first result.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from cloudivize.errors import Conflict, Unprocessable

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
RETRY_WINDOW_SECONDS = 24 * 3600


# Pure configuration (no I/O); handlers register their Lambda context on it so that an attempt cut short by a
# timeout stops blocking retries when the invocation would have ended.
CONFIG = IdempotencyConfig(
    event_key_jmespath="[tenant_id, operation, key]",
    payload_validation_jmespath="payload",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=RETRY_WINDOW_SECONDS,
    hash_function="sha256",
)


@cache
def _run_once(table_name: str) -> Callable[..., dict[str, Any]]:
    store = DynamoDBPersistenceLayer(table_name=table_name)

    @idempotent_function(data_keyword_argument="attempt", persistence_store=store, config=CONFIG)
    def run(attempt: dict[str, Any], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return action()

    return run


def once(
    *,
    table_name: str | None,
    tenant_id: str,
    operation: str,
    key: str | None,
    payload: dict[str, Any],
    action: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """``action()``, or the result it gave the first time this tenant sent ``key`` for ``operation``.

    ``table_name`` is the idempotency table's. ``payload`` must not hold secrets in clear (dump models with
    SecretStr fields in JSON mode).
    """
    if key is None:
        return action()
    attempt = {"tenant_id": tenant_id, "operation": operation, "key": key, "payload": payload}
    try:
        return _run_once(table_name or "")(attempt=attempt, action=action)
    except IdempotencyValidationError:
        raise Unprocessable(
            f"This {IDEMPOTENCY_KEY_HEADER} was already used with a different request body. "
            "Use a new key for a new request."
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(f"A request with this {IDEMPOTENCY_KEY_HEADER} is still in progress; retry shortly.") from None
