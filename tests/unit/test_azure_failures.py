"""The one map from Azure's failures (AADSTS sign-in codes, ARM error codes, unreachable) to problems."""

import io
import json

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.rest import HttpRequest
from azure.core.rest._requests_basic import RestRequestsTransportResponse

from cloudivize.azure_access import failures
from cloudivize.azure_access.clients import MAX_RETRY_AFTER_SECONDS, BoundedRetryPolicy
from cloudivize.config import AzureCloud
from tests.azure_fake import APPLICATION_ID, DIRECTORY_ID, clear_azure_caches, point_azure_at

IDS = {"directory_id": DIRECTORY_ID, "application_id": APPLICATION_ID}


@pytest.fixture(autouse=True)
def _endpoints(monkeypatch):
    point_azure_at(monkeypatch, "https://login.microsoftonline.us", "https://management.usgovcloudapi.net")
    yield
    clear_azure_caches()


def arm_error(status: int, code: str | None, headers: dict[str, str] | None = None) -> HttpResponseError:
    raw = requests.Response()
    raw.status_code, raw.reason = status, "x"
    raw.headers.update({"Content-Type": "application/json", **(headers or {})})
    raw.raw = io.BytesIO(json.dumps({"error": {"code": code, "message": "m"}} if code else {}).encode())
    response = RestRequestsTransportResponse(request=HttpRequest("GET", "https://arm/x"), internal_response=raw)
    response.read()
    kind = ClientAuthenticationError if status == 401 else HttpResponseError
    return kind(response=response)


def sign_in_error(message: str, cause: BaseException | None = None) -> ClientAuthenticationError:
    error = ClientAuthenticationError(message=f"Authentication failed: {message}")
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("7000215", "secret's Value, not its Secret ID"),
        ("7000222", "has expired"),
        ("700016", f"no application {APPLICATION_ID} in directory {DIRECTORY_ID}"),
        ("90002", f"no directory {DIRECTORY_ID}"),
        ("900023", "is not a directory (tenant) id"),
        ("7000112", "is disabled"),
        ("53003", "Conditional Access"),
    ],
)
def test_each_known_sign_in_code_says_what_to_fix(code, says):
    problem = failures.translate(sign_in_error(f"AADSTS{code}: Azure's own words. Trace ID: t"), **IDS)

    assert problem.status == 422
    assert problem.extensions["azure_error"] == f"AADSTS{code}"
    assert says in problem.detail and f"AADSTS{code}" in problem.detail
    assert "Azure's own words" not in problem.detail  # Cloudivize's words only
    assert "{" not in problem.detail.replace("{id}", "")  # every placeholder filled


def test_an_unknown_directory_is_named_with_the_cloud_signed_in_to():
    problem = failures.translate(sign_in_error("AADSTS90002: Tenant not found."), **IDS)

    assert "login.microsoftonline.us" in problem.detail


def test_msals_unknown_authority_wording_is_an_unknown_directory():
    error = sign_in_error("Unable to get authority configuration for https://login/x. Authority would typically")

    assert failures.translate(error, **IDS).extensions["azure_error"] == "AADSTS90002"


@pytest.mark.parametrize(
    ("message", "code"), [("AADSTS50000: something new", "AADSTS50000"), ("no code at all", "SignInFailed")]
)
def test_other_sign_in_failures_still_say_what_to_check(message, code):
    problem = failures.translate(sign_in_error(message), **IDS)

    assert problem.status == 422 and problem.extensions["azure_error"] == code
    assert "directory id, the application id and the secret" in problem.detail


@pytest.mark.parametrize(
    ("error", "host"),
    [
        (ServiceRequestError("Failed to resolve 'management.usgovcloudapi.net'"), "management.usgovcloudapi.net"),
        (ServiceResponseError("Connection aborted"), "management.usgovcloudapi.net"),
        (sign_in_error("refused", ServiceRequestError("Connection refused")), "login.microsoftonline.us"),
    ],
)
def test_unreachable_azure_is_503_naming_where(error, host):
    problem = failures.translate(error, **IDS)

    assert problem.status == 503 and problem.slug == "azure-unreachable"
    assert problem.detail.startswith(f"Cloudivize could not reach Azure ({host})")
    assert problem.extensions["azure_endpoint"] == host


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (arm_error(429, "TooManyRequests"), 503, "TooManyRequests"),
        (arm_error(429, None), 503, "TooManyRequests"),
        (arm_error(403, "AuthorizationFailed"), 403, "AuthorizationFailed"),
        (arm_error(403, "LinkedAuthorizationFailed"), 403, "LinkedAuthorizationFailed"),
        (arm_error(500, "InternalServerError"), 503, "InternalServerError"),
        (arm_error(502, None), 503, "HTTP502"),
        (arm_error(401, "InvalidAuthenticationTokenTenant"), 422, "InvalidAuthenticationTokenTenant"),
    ],
)
def test_resource_manager_errors_that_end_a_request_are_never_500(error, status, code):
    problem = failures.translate(error, **IDS)

    assert problem.status == status
    assert problem.extensions["azure_error"] == code


@pytest.mark.parametrize(
    ("error", "code", "says"),
    [
        (arm_error(403, "AuthorizationFailed"), "AuthorizationFailed", "Assign it Reader"),
        (arm_error(429, "SubscriptionRequestsThrottled"), "SubscriptionRequestsThrottled", "throttled"),
        (arm_error(404, "SubscriptionNotFound"), "SubscriptionNotFound", "no subscription s-1"),
        (arm_error(401, "InvalidAuthenticationTokenTenant"), "InvalidAuthenticationTokenTenant", "another directory"),
        (ServiceRequestError("refused"), "AzureUnreachable", "could not be reached"),
    ],
)
def test_a_failure_of_one_subscription_is_described_for_the_errors_list(error, code, says):
    assert failures.subscription_problem(error, "s-1", DIRECTORY_ID)[0] == code
    assert says in failures.subscription_problem(error, "s-1", DIRECTORY_ID)[1]


def test_denied_names_the_permission_the_scope_and_the_application():
    problem = failures.denied("Microsoft.Resources/tags/write", "/subscriptions/s-1", APPLICATION_ID)

    assert problem.status == 403
    assert problem.extensions == {"missing_permission": "Microsoft.Resources/tags/write",
                                  "azure_error": "AuthorizationFailed"}  # fmt: skip
    assert "/subscriptions/s-1" in problem.detail and APPLICATION_ID in problem.detail


class _Response:
    def __init__(self, headers):
        self.http_response = type("R", (), {"headers": headers})()


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({"Retry-After": "60"}, MAX_RETRY_AFTER_SECONDS), ({"retry-after-ms": "10"}, 0.01), ({}, None)],
)
def test_retries_never_wait_longer_than_a_function_can(headers, wait):
    assert BoundedRetryPolicy().get_retry_after(_Response(headers)) == wait


@pytest.mark.parametrize(
    ("authority", "arm", "expected_authority", "scope"),
    [
        ("login.microsoftonline.us", "management.usgovcloudapi.net/", "https://login.microsoftonline.us",
         "https://management.usgovcloudapi.net/.default"),
        ("https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn",
         "https://login.chinacloudapi.cn", "https://management.chinacloudapi.cn/.default"),
    ],
)  # fmt: skip
def test_settings_accept_hosts_or_urls(authority, arm, expected_authority, scope):
    settings = AzureCloud.model_validate({"AZURE_AUTHORITY_HOST": authority, "AZURE_RESOURCE_MANAGER_URL": arm})

    assert settings.authority_host == expected_authority and settings.credential_scope == scope


def test_settings_default_to_the_public_cloud_and_refuse_plain_http():
    assert AzureCloud.model_validate({}).credential_scope == "https://management.azure.com/.default"
    assert AzureCloud.model_validate({}).authority_host == "https://login.microsoftonline.com"
    with pytest.raises(ValueError, match="https"):
        AzureCloud.model_validate({"AZURE_AUTHORITY_HOST": "http://login.example"})
