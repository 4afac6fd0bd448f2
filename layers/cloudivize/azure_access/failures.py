"""What Azure answered, turned into what the customer can act on (the one map for Entra ID and ARM errors).

Sign-in failures carry an ``AADSTS<code>`` in their message (Microsoft Entra ID's error codes); Resource Manager
failures carry an ARM error code (``AuthorizationFailed``...). Every detail below is Cloudivize's own words:
Azure's messages are never passed through (they can name internal object ids), and no secret is ever in one.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator, Mapping
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from cloudivize.config import azure_cloud
from cloudivize.errors import CloudivizeError, Forbidden, ServiceUnavailable, Unprocessable

AADSTS = re.compile(r"AADSTS(\d+)")
DENIED_CODES = frozenset({"AuthorizationFailed", "LinkedAuthorizationFailed", "AuthorizationFailedDueToDenyAssignment"})
THROTTLED_CODES = frozenset(
    {"TooManyRequests", "SubscriptionRequestsThrottled", "ResourceRequestsThrottled", "ThrottlingException"}
)
NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceGroupNotFound", "NotFound", "ParentResourceNotFound"})
# Templates: {directory_id}, {application_id} and {authority} are filled in; "{{id}}" stays as written.
ROTATE = (
    "Create a new client secret for the application in Azure (Certificates & secrets) and send it with "
    "PATCH /connections/{{id}} (application_secret, and secret_expires_at to be warned before it expires)."
)

# Microsoft Entra ID sign-in errors a customer can fix, by AADSTS code.
CREDENTIAL_PROBLEMS: dict[str, str] = {
    "7000215": "Microsoft Entra ID rejected the application secret (AADSTS7000215). Check that you sent the "
    "secret's Value, not its Secret ID. " + ROTATE,
    "7000222": "The application secret has expired (AADSTS7000222). " + ROTATE,
    "700016": "Microsoft Entra ID has no application {application_id} in directory {directory_id} (AADSTS700016). "
    "Check the application (client) id, and that the application is registered in that directory.",
    "90002": "Microsoft Entra ID has no directory {directory_id} (AADSTS90002). Check the directory (tenant) id, and "
    "that the directory belongs to the Azure cloud Cloudivize signs in to ({authority}).",
    "900023": "{directory_id} is not a directory (tenant) id Microsoft Entra ID accepts (AADSTS900023). Check it.",
    "7000112": "The application {application_id} is disabled in directory {directory_id} (AADSTS7000112). Enable it "
    "in Microsoft Entra ID (Enterprise applications > Properties), then retry.",
    "53003": "A Conditional Access policy of directory {directory_id} blocks the application's sign-in "
    "(AADSTS53003). Exclude the application from the policy, or allow Cloudivize's sign-in.",
}
FEDERATED_CREDENTIAL = (
    "The application needs a federated credential with issuer {issuer}, subject {subject} and audience {audience} "
    "exactly (GET /onboarding/azure shows the az command); the values are case-sensitive."
)
# Sign-in errors of one credential type (docs: "Microsoft Entra authentication and authorization error codes").
KIND_PROBLEMS: dict[str, dict[str, str]] = {
    "federated": {
        "70021": "Microsoft Entra ID found no federated credential of application {application_id} matching "
        "Cloudivize's token (AADSTS70021). " + FEDERATED_CREDENTIAL,
        "700211": "No federated credential of application {application_id} names Cloudivize's issuer "
        "(AADSTS700211). " + FEDERATED_CREDENTIAL,
        "700212": "The federated credential of application {application_id} names another audience than your "
        "organization's (AADSTS700212): each Cloudivize organization has its own. " + FEDERATED_CREDENTIAL,
        "700213": "The federated credential of application {application_id} names another subject than "
        "Cloudivize's principal (AADSTS700213). " + FEDERATED_CREDENTIAL,
        "700024": "Microsoft Entra ID found Cloudivize's identity token outside its validity (AADSTS700024). This is "
        "on Cloudivize's side, not yours: retry in a few minutes.",
    },
    "certificate": {
        "700027": "The application {application_id} does not have the certificate Cloudivize signs in with "
        "({thumbprint}), or it was removed (AADSTS700027). Add it: GET /connections/{{id}} shows it and the az "
        "command; then verify again.",
        "700024": "Microsoft Entra ID found Cloudivize's client assertion outside its validity (AADSTS700024). If "
        "the certificate has expired, PATCH /connections/{{id}} with rotate_certificate and add the new one.",
    },
}
# The codes by which Entra says a certificate is not (or no longer) one of the application's.
CERTIFICATE_NOT_ADDED = frozenset({"700027"})
GENERIC_CREDENTIAL_PROBLEM = {
    "secret": "Microsoft Entra ID refused the application's sign-in{code}. Check the directory id, the application "
    "id and the secret of this connection.",
    "certificate": "Microsoft Entra ID refused the application's sign-in{code}. Check the directory id, the "
    "application id, and that the application has the connection's certificate.",
    "federated": "Microsoft Entra ID refused the application's sign-in{code}. Check the directory id, the "
    "application id and the application's federated credential (GET /onboarding/azure).",
}


class AzureUnreachable(ServiceUnavailable):
    """Azure could not be reached at all (DNS, refused or dropped connection, timeout): retry later."""

    title, slug = "Azure unreachable", "azure-unreachable"


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        inner = getattr(current, "inner_exception", None)  # azure-core keeps the transport's error here
        current = current.__cause__ or current.__context__ or (inner if isinstance(inner, BaseException) else None)


def aadsts_code(error: BaseException) -> str | None:
    """The Entra ID error code of a sign-in failure, wherever azure-identity and MSAL put it in the chain."""
    for link in _chain(error):
        if found := AADSTS.search(str(link)):
            return found[1]
    return None


def is_unreachable(error: BaseException) -> bool:
    return any(isinstance(link, ServiceRequestError | ServiceResponseError) for link in _chain(error))


def is_sign_in_failure(error: BaseException) -> bool:
    """A failure to get a token (not an answer of Resource Manager, which has a response)."""
    return isinstance(error, ClientAuthenticationError) and error.response is None


def arm_code(error: HttpResponseError) -> str:
    code = getattr(getattr(error, "error", None), "code", None)
    if code:
        return str(code)
    return f"HTTP{error.status_code}" if error.status_code else type(error).__name__


def is_throttled(error: BaseException) -> bool:
    return isinstance(error, HttpResponseError) and (error.status_code == 429 or arm_code(error) in THROTTLED_CODES)


def is_denied(error: BaseException) -> bool:
    return isinstance(error, HttpResponseError) and (error.status_code == 403 or arm_code(error) in DENIED_CODES)


def is_not_found(error: BaseException) -> bool:
    return isinstance(error, HttpResponseError) and (error.status_code == 404 or arm_code(error) in NOT_FOUND_CODES)


def _untrusted_certificate(error: BaseException) -> bool:
    return any(isinstance(link, ssl.SSLError) or type(link).__name__ == "SSLError" for link in _chain(error))


def unreachable(error: BaseException) -> AzureUnreachable:
    cloud = azure_cloud()
    # A failed sign-in points at the authority; anything else at Resource Manager.
    where = cloud.authority_host if isinstance(error, ClientAuthenticationError) else cloud.resource_manager_url
    host = where.split("://", 1)[-1]
    why = " (its TLS certificate is not trusted: nothing was sent to it)" if _untrusted_certificate(error) else ""
    return AzureUnreachable(
        f"Cloudivize could not reach Azure ({host}){why}, so nothing was done: no connection was stored or "
        "changed, and no asset was touched. Retry in a few minutes.",
        azure_endpoint=host,
    )


def throttled() -> ServiceUnavailable:
    return ServiceUnavailable(
        "Azure is throttling requests for this application. Cloudivize retried; retry in a few seconds.",
        azure_error="TooManyRequests",
    )


def credential_detail(
    error: BaseException,
    *,
    directory_id: str,
    application_id: str,
    kind: str = "secret",
    facts: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """(the AADSTS code or "SignInFailed", what the customer should do) for a refused sign-in of this ``kind``
    (``facts``: what the advice names, e.g. the issuer, subject and audience a federated credential must have)."""
    code = aadsts_code(error)
    if code is None and "Unable to get authority configuration" in str(error):
        code = "90002"  # MSAL's wording when the directory's OpenID configuration is not found
    template = KIND_PROBLEMS.get(kind, {}).get(code or "") or CREDENTIAL_PROBLEMS.get(code or "")
    if template is None:
        return (f"AADSTS{code}" if code else "SignInFailed"), GENERIC_CREDENTIAL_PROBLEM[kind].format(
            code=f" (AADSTS{code})" if code else ""
        )
    detail = template.format(
        directory_id=directory_id,
        application_id=application_id,
        authority=azure_cloud().authority_hostname,
        **(facts or {}),
    )
    return f"AADSTS{code}", detail


def credential_refused(error: BaseException, **context: Any) -> Unprocessable:
    code, detail = credential_detail(error, **context)
    return Unprocessable(detail, azure_error=code)


def denied(action: str, scope: str, application_id: str, error: HttpResponseError | None = None) -> Forbidden:
    return Forbidden(
        f"The application {application_id} has no role that allows {action} on {scope}. Assign it a role that "
        f"does (GET /onboarding/azure lists them), or a custom role with {action}; Cloudivize needs no change.",
        missing_permission=action,
        azure_error=arm_code(error) if error is not None else "AuthorizationFailed",
    )


def raise_if_transient(error: BaseException) -> None:
    """Azure unreachable or throttling (after the SDK's retries): the whole request answers 503."""
    if is_unreachable(error):
        raise unreachable(error) from None
    if is_throttled(error):
        raise throttled() from None


def subscription_problem(error: AzureError, subscription_id: str, directory_id: str) -> tuple[str, str]:
    """(code, detail) of a failure confined to one subscription: reported beside the others' answers."""
    if is_unreachable(error):
        return "AzureUnreachable", "Azure could not be reached for this subscription; retry shortly."
    if isinstance(error, HttpResponseError) and error.response is not None:
        code = arm_code(error)
        if is_throttled(error):
            return code, "Azure throttled the listing; retry shortly."
        if is_denied(error):
            return code, (
                f"The application's role does not allow reading subscription {subscription_id}. Assign it Reader "
                "on the subscription."
            )
        if code == "SubscriptionNotFound":
            return code, f"Azure has no subscription {subscription_id} in this cloud. Check the subscription id."
        if code == "InvalidAuthenticationTokenTenant":
            return code, f"Subscription {subscription_id} belongs to another directory than {directory_id}."
        return code, f"Azure answered {code} for subscription {subscription_id}."
    return type(error).__name__, f"Azure failed for subscription {subscription_id}."


def translate(error: AzureError, *, directory_id: str, application_id: str, **sign_in: Any) -> CloudivizeError:
    """The answer for an Azure failure that ends the whole request (never a 500); ``sign_in``: its ``kind`` and
    ``facts`` (``AzureSession.refusal_context``)."""
    if is_unreachable(error):
        return unreachable(error)
    if is_throttled(error):
        return throttled()
    if is_sign_in_failure(error):
        return credential_refused(error, directory_id=directory_id, application_id=application_id, **sign_in)
    if isinstance(error, HttpResponseError) and is_denied(error):
        return Forbidden(
            "The application's role does not allow this request. Assign it Reader (to view) and the roles of "
            "GET /onboarding/azure (to operate).",
            azure_error=arm_code(error),
        )
    code = arm_code(error) if isinstance(error, HttpResponseError) else type(error).__name__
    if isinstance(error, HttpResponseError) and error.status_code == 401:
        return Unprocessable(
            f"Azure Resource Manager refused the application's token ({code}). "
            + (
                f"A subscription of this connection belongs to another directory than {directory_id}."
                if code == "InvalidAuthenticationTokenTenant"
                else "Check that the directory id is the one of the subscriptions."
            ),
            azure_error=code,
        )
    return ServiceUnavailable(
        f"Azure could not complete the request ({code}). Retry in a few minutes.", azure_error=code
    )
