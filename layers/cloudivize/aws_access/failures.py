"""What AWS answered, turned into what the customer can act on (the one map for AWS error codes)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from cloudivize.errors import CloudivizeError, Forbidden, ServiceUnavailable, Unprocessable

DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError"}
)
THROTTLED_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown"}
)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_denied(error: ClientError) -> bool:
    return error_code(error) in DENIED_CODES


def cannot_assume(role_arn: str, principal_arn: str | None, error: ClientError) -> CloudivizeError:
    code = error_code(error)
    if code in THROTTLED_CODES:
        return throttled()
    if code == "RegionDisabledException":
        return Unprocessable(
            "AWS STS is not activated for the region Cloudivize uses in your account. "
            "Activate it under IAM > Account settings > Security Token Service, then retry."
        )
    principal = principal_arn or "Cloudivize's principal"
    return Unprocessable(
        f"Cloudivize could not assume {role_arn}. Check that the role exists, that its trust policy allows "
        f"{principal} to call sts:AssumeRole, and that it requires your organisation's External ID "
        "(GET /onboarding/aws shows both). AWS answers the same way for all three, by design.",
        aws_error=code or "AccessDenied",
    )


def denied(action: str, role_arn: str, error: ClientError | None = None) -> Forbidden:
    return Forbidden(
        f"The role {role_arn} does not allow {action}. Grant {action} to the role to enable this "
        "(the Cloudivize template does so with AllowOperations=true); Cloudivize needs no change.",
        missing_permission=action,
        aws_error=error_code(error) if error else "AccessDenied",
    )


def throttled() -> ServiceUnavailable:
    return ServiceUnavailable("AWS is throttling requests to your account. Retry in a few seconds.")
