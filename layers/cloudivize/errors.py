"""Domain errors and the one map from them to RFC 9457 problem+json.

Every ``detail`` is written for the customer: it says what to change, and never carries a secret, a
ciphertext or a stack trace.
"""

from __future__ import annotations

from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://cloudivize.com/problems/"


def problem_body(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extensions)
    return body


class CloudivizeError(Exception):
    """Base of every error that is answered to the caller as a problem document."""

    status = 500
    title = "Internal error"
    slug = "internal"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extensions = extensions

    def to_problem(self) -> dict[str, Any]:
        return problem_body(self.status, self.title, self.detail, slug=self.slug, errors=self.errors, **self.extensions)


class BadRequest(CloudivizeError):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(CloudivizeError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(CloudivizeError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(CloudivizeError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(CloudivizeError):
    status, title, slug = 409, "Conflict", "conflict"


class DuplicateConnection(Conflict):
    """The tenant already has a connection to the same role or application (``existing_connection_id``)."""

    title, slug = "Connection already exists", "duplicate-connection"


class PreconditionFailed(CloudivizeError):
    status, title, slug = 412, "Precondition failed", "stale-version"


class PayloadTooLarge(CloudivizeError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class Unprocessable(CloudivizeError):
    status, title, slug = 422, "Unprocessable request", "unprocessable"


class ServiceUnavailable(CloudivizeError):
    status, title, slug = 503, "Service unavailable", "unavailable"


class SealedFieldMismatch(CloudivizeError):
    """A sealed field did not open under the context it was read with (copied or tampered ciphertext)."""

    status, title, slug = 500, "Internal error", "internal"


class PreconditionRequired(CloudivizeError):
    status, title, slug = 428, "Precondition required", "version-required"


class VerificationUnavailable(CloudivizeError):
    status, title, slug = 503, "Verification unavailable", "verification-unavailable"
