"""Verification of Azure connections, through the real Azure SDK answered by the fake via azure-core's transport."""

from datetime import UTC, datetime, timedelta

import pytest

from cloudivize.errors import ServiceUnavailable
from tests.azure_fake import (
    APPLICATION_ID,
    READER,
    SUB_A,
    SUB_B,
    SUB_HIDDEN,
    TAG_CONTRIBUTOR,
    VM_CONTRIBUTOR,
    FakeAzure,
    azure_connection,
    azure_provider,
    clear_azure_caches,
    plug_transport_as_configured,
)

START = "Microsoft.Compute/virtualMachines/start/action"


def run(**descriptors):
    return azure_provider().verify(azure_connection(**descriptors))


def checks_of(verification) -> dict:
    return {check.name: check for check in verification.checks}


def test_checks_are_answered_by_name_in_order(azure):
    verification = run()

    assert verification.ok is True
    assert [check.name for check in verification.checks] == [
        "credential_accepted",
        "subscriptions_reachable",
        f"can_read:{SUB_A}",
        f"can_write:{SUB_A}",
        f"can_read:{SUB_B}",
        f"can_write:{SUB_B}",
        "secret_expiry",
    ]


def test_write_rights_come_from_the_roles_the_application_holds(azure):
    azure.subscriptions[SUB_A].permissions = [READER, VM_CONTRIBUTOR, TAG_CONTRIBUTOR]
    azure.subscriptions[SUB_B].permissions = [{"actions": ["*"], "notActions": ["Microsoft.Resources/tags/*"]}]

    checks = checks_of(run())

    assert checks[f"can_write:{SUB_A}"].ok is True
    assert checks[f"can_write:{SUB_B}"].ok is False and checks[f"can_write:{SUB_B}"].required is False
    assert "Microsoft.Resources/tags/write" in checks[f"can_write:{SUB_B}"].detail
    assert START not in checks[f"can_write:{SUB_B}"].detail


def test_a_role_that_cannot_list_resources_fails_reading(azure):
    azure.subscriptions[SUB_B].permissions = [{"actions": ["Microsoft.Resources/subscriptions/resourceGroups/read",
                                                           "Microsoft.Authorization/*/read"]}]  # fmt: skip

    verification = run()

    assert verification.ok is False
    read = checks_of(verification)[f"can_read:{SUB_B}"]
    assert read.ok is False and "Microsoft.Resources/subscriptions/resources/read" in read.detail


def test_a_subscription_whose_permissions_cannot_be_read_fails_reading(azure):
    azure.subscriptions[SUB_B].failure = (403, "AuthorizationFailed")

    checks = checks_of(run())

    assert checks[f"can_read:{SUB_B}"].ok is False and "Reader" in checks[f"can_read:{SUB_B}"].detail
    assert checks[f"can_read:{SUB_A}"].ok is True


def test_only_the_chosen_subscriptions_are_checked(azure):
    checks = checks_of(run(subscription_ids=[SUB_B]))

    assert f"can_read:{SUB_B}" in checks and f"can_read:{SUB_A}" not in checks
    assert "sees 1 more" in checks["subscriptions_reachable"].detail


def test_a_chosen_subscription_without_a_role_fails_naming_it(azure):
    verification = run(subscription_ids=[SUB_A, SUB_HIDDEN])

    reachable = checks_of(verification)["subscriptions_reachable"]
    assert verification.ok is False and reachable.ok is False
    assert SUB_HIDDEN in reachable.detail and "Reader" in reachable.detail


def test_no_role_on_any_subscription_fails(azure):
    for subscription in azure.subscriptions.values():
        subscription.permissions = []

    reachable = checks_of(run())["subscriptions_reachable"]

    assert reachable.ok is False and "no role on any subscription" in reachable.detail


@pytest.mark.parametrize(
    ("change", "code", "advice"),
    [
        (lambda fake: {"application_secret": "Wrong~secret"}, "AADSTS7000215", "secret's Value, not its Secret ID"),
        (lambda fake: setattr(fake, "secret_expired", True) or {}, "AADSTS7000222", "PATCH /connections/{id}"),
        (
            lambda fake: {"application_id": "99999999-5e6f-4081-9223-b4c5d6e7f809"},
            "AADSTS700016",
            "no application 99999999-5e6f-4081-9223-b4c5d6e7f809 in directory",
        ),
        (
            lambda fake: {"directory_id": "99999999-4f50-4617-8293-a4b5c6d7e8f9"},
            "AADSTS90002",
            "no directory 99999999-4f50-4617-8293-a4b5c6d7e8f9",
        ),
    ],
)
def test_each_sign_in_error_fails_the_credential_check_with_what_to_fix(azure, change, code, advice):
    verification = run(**change(azure))

    credential = checks_of(verification)["credential_accepted"]
    assert verification.ok is False
    assert credential.ok is False and code in credential.detail and advice in credential.detail
    assert [check.name for check in verification.checks] == ["credential_accepted", "secret_expiry"]
    assert azure.calls == []  # no Resource Manager call without a token


def test_throttling_is_retried(azure):
    azure.subscriptions[SUB_A].throttled = 2  # the SDK retries twice

    assert run().ok is True


def test_throttling_that_persists_is_503(azure):
    azure.subscriptions[SUB_A].throttled = 10

    with pytest.raises(ServiceUnavailable) as raised:
        run()

    assert raised.value.status == 503 and "throttling" in raised.value.detail
    assert azure.calls.count(("GET", f"/subscriptions/{SUB_A}/providers/Microsoft.Authorization/permissions")) == 3


def test_resource_manager_unreachable_is_503_naming_it(azure):
    azure.arm_unreachable = True

    with pytest.raises(ServiceUnavailable) as raised:
        run()

    assert raised.value.detail.startswith("Cloudivize could not reach Azure (management.fake-azure.test)")


@pytest.mark.parametrize(
    ("environment", "authority", "scope"),
    [
        ({}, "https://login.microsoftonline.com", "https://management.azure.com/.default"),  # the default
        ({"AZURE_AUTHORITY_HOST": "https://login.microsoftonline.us",
          "AZURE_RESOURCE_MANAGER_URL": "https://management.usgovcloudapi.net"},
         "https://login.microsoftonline.us", "https://management.usgovcloudapi.net/.default"),
        ({"AZURE_AUTHORITY_HOST": "login.chinacloudapi.cn",  # a bare host means https, as for azure-identity
          "AZURE_RESOURCE_MANAGER_URL": "https://management.chinacloudapi.cn/"},
         "https://login.chinacloudapi.cn", "https://management.chinacloudapi.cn/.default"),
    ],
)  # fmt: skip
def test_each_cloud_signs_in_at_its_authority_for_its_resource_manager(monkeypatch, environment, authority, scope):
    for name in ("AZURE_AUTHORITY_HOST", "AZURE_RESOURCE_MANAGER_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    fake = FakeAzure(authority_url=authority, arm_url=scope.removesuffix("/.default"))
    plug_transport_as_configured(monkeypatch, fake)
    try:
        assert run().ok is True
    finally:
        clear_azure_caches()

    assert {request["scope"] for request in fake.token_requests} == {scope}
    assert {request["host"] for request in fake.token_requests} == {authority.removeprefix("https://")}


def test_the_credential_and_clients_are_reused_and_never_keyed_by_the_secret(azure):
    from cloudivize.azure_access import clients

    run()
    run()
    run(application_secret="Rotated~secret")  # a rotated secret: a new credential

    token_requests = [r for r in azure.token_requests if r["client_id"] == APPLICATION_ID]
    assert len(token_requests) == 2  # one per secret: the token is cached in memory
    sessions = clients.azure_sessions()._sessions
    assert len(sessions) == 2
    assert all("secret" not in key.lower() and len(key) == 64 for key in sessions)
    assert "Rotated" not in repr(list(sessions.values()))


# --- secret expiry ----------------------------------------------------------------------------------------
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expires_at", "ok", "required", "says"),
    [
        (None, True, False, "does not know when"),
        (NOW + timedelta(days=90), True, True, "valid until 2026-08-30"),
        (NOW + timedelta(days=31), True, True, "valid until"),
        (NOW + timedelta(days=30), True, True, "Warning: the application secret expires in 30 day(s)"),
        (NOW + timedelta(hours=5), True, True, "Warning: the application secret expires in 1 day(s)"),
        ((NOW + timedelta(days=3)).isoformat(), True, True, "Warning"),  # as stored
        (NOW, False, True, "expired on 2026-06-01"),
        (NOW - timedelta(days=2), False, True, "expired on 2026-05-30"),
    ],
)
def test_secret_expiry_warns_30_days_ahead_and_fails_when_expired(expires_at, ok, required, says):
    from cloudivize.azure_access.verify import expiry_check

    check = expiry_check("secret", expires_at, NOW)

    assert (check.name, check.ok, check.required) == ("secret_expiry", ok, required)
    assert says in check.detail


def test_an_expired_secret_date_fails_the_verification(azure):
    verification = run(secret_expires_at=(datetime.now(UTC) - timedelta(days=1)).isoformat())

    assert verification.ok is False
    assert checks_of(verification)["credential_accepted"].ok is True
    assert checks_of(verification)["secret_expiry"].ok is False
