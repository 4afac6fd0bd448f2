"""Live Azure assets (cloudivize.cloud_assets.list_assets for an Azure connection), the SDK answered by the fake."""

import pytest

from cloudivize.cloud_assets import list_assets
from cloudivize.crypto import FieldSealer
from cloudivize.errors import BadRequest, ServiceUnavailable, Unprocessable
from tests.azure_fake import (
    SUB_A,
    SUB_B,
    SUB_HIDDEN,
    FakeResource,
    azure_connection,
    azure_provider,
)

VM = "Microsoft.Compute/virtualMachines"


@pytest.fixture
def listed(azure, cloud):
    """A page of the Azure connection's assets, as the assets function lists it (page tokens sealed with the
    field key, KMS played by moto); one provider for the test, as one warm container."""
    provider, sealer = azure_provider(), FieldSealer(cloud.field_key_arn)

    def page(connection=None, *, types=None, region=None, limit=100, next_token=None):
        return list_assets(provider, connection or azure_connection(), sealer=sealer, types=types, region=region,
                           limit=limit, next_token=next_token)  # fmt: skip

    return page


def test_every_kind_of_asset_comes_in_the_one_shape(azure, listed):
    azure.page_size = 1  # Resource Manager pages its listings: every page is followed

    page = listed()

    assert page.errors == [] and page.next_token is None
    kinds = [(a.type, a.name, a.region, a.state) for a in page.items]
    # The documented order: subscription by subscription (by id), the subscription, its resource groups, its
    # resources, each as Resource Manager lists them.
    assert kinds == [
        ("Microsoft.Resources/subscriptions", "Production", None, "Enabled"),
        ("Microsoft.Resources/resourceGroups", "web", "westeurope", "Succeeded"),
        ("Microsoft.Resources/resourceGroups", "data", "northeurope", "Succeeded"),
        ("Microsoft.Compute/virtualMachines", "web-1", "westeurope", "running"),
        ("Microsoft.Compute/virtualMachines", "web-2", "westeurope", "deallocated"),
        ("Microsoft.Storage/storageAccounts", "datastore", "northeurope", None),
        ("Microsoft.Resources/subscriptions", "Development", None, "Enabled"),
        ("Microsoft.Resources/resourceGroups", "dev", "eastus", "Succeeded"),
        ("Microsoft.Compute/virtualMachines", "dev-1", "eastus", "stopped"),
    ]
    assert all(a.provider == "azure" and a.arn == a.id and a.id.startswith("/subscriptions/") for a in page.items)
    assert not any(SUB_HIDDEN in a.id for a in page.items)
    assert next(a for a in page.items if a.name == "web-1").tags == {"env": "prod"}


def test_a_resource_listed_with_other_casing_is_one_asset(azure, listed):
    sub = azure.subscriptions[SUB_A]
    sub.resources.append(FakeResource("WEB", "microsoft.compute/virtualmachines", "WEB-1", "WestEurope", {"x": "y"}))

    vms = listed(types={VM}).items

    assert [a.name for a in vms if a.id.lower().endswith("/web-1")] == ["web-1"]


def test_types_filter_in_any_case_and_only_what_is_needed_is_listed(azure, listed):
    groups = listed(types={"microsoft.resources/resourcegroups"}).items

    assert sorted(a.name for a in groups) == ["data", "dev", "web"]
    assert not any("/resources" in path or "virtualMachines" in path for _, path in azure.calls)


def test_location_filters_like_a_region(azure, listed):
    page = listed(region="westeurope")

    assert {a.region for a in page.items} == {"westeurope"}
    assert sorted(a.name for a in page.items) == ["web", "web-1", "web-2"]


def test_pages_continue_only_their_own_query(azure, listed):
    first = listed(types={VM}, limit=2)
    rest = listed(types={VM}, limit=2, next_token=first.next_token)

    assert [a.name for a in first.items] == ["web-1", "web-2"] and first.next_token
    assert [a.name for a in rest.items] == ["dev-1"] and rest.next_token is None
    with pytest.raises(BadRequest):
        listed(limit=2, next_token=first.next_token)


def test_only_the_connections_subscriptions_are_listed(azure, listed):
    page = listed(azure_connection(subscription_ids=[SUB_B]))

    assert {a.id.split("/")[2] for a in page.items} == {SUB_B}
    assert not any(SUB_A in path for _, path in azure.calls)


def test_a_failing_subscription_is_reported_and_the_others_still_answer(azure, listed):
    azure.subscriptions[SUB_B].failure = (403, "AuthorizationFailed")

    page = listed()

    assert sorted((e.region, e.service, e.error) for e in page.errors) == [
        (SUB_B, "resourceGroups", "AuthorizationFailed"),
        (SUB_B, "resources", "AuthorizationFailed"),
    ]  # no VM of SUB_B was listed, so its power states are not asked for
    assert all("Reader" in e.detail for e in page.errors)
    assert {a.id.split("/")[2] for a in page.items} == {SUB_A, SUB_B}  # SUB_B itself is still listed
    assert [a.name for a in page.items if a.type == VM] == ["web-1", "web-2"]


def test_a_chosen_subscription_the_application_cannot_see_is_reported(azure, listed):
    page = listed(azure_connection(subscription_ids=[SUB_A, SUB_HIDDEN]))

    assert [(e.region, e.error) for e in page.errors] == [(SUB_HIDDEN, "SubscriptionNotVisible")]
    assert all(a.id.startswith(f"/subscriptions/{SUB_A}") for a in page.items)


def test_a_refused_secret_is_422_saying_what_to_fix(azure, listed):
    with pytest.raises(Unprocessable) as raised:
        listed(azure_connection(application_secret="Wrong~secret"))

    assert raised.value.extensions["azure_error"] == "AADSTS7000215"


def test_throttled_everywhere_is_503_after_retries(azure, listed):
    for subscription in azure.subscriptions.values():
        subscription.throttled = 100

    with pytest.raises(ServiceUnavailable) as raised:
        listed()

    assert "throttling" in raised.value.detail


def test_throttled_once_is_retried(azure, listed):
    azure.subscriptions[SUB_A].throttled = 1

    assert listed().errors == []


def test_resource_manager_unreachable_is_503(azure, listed):
    azure.arm_unreachable = True

    with pytest.raises(ServiceUnavailable) as raised:
        listed()

    assert raised.value.slug == "azure-unreachable"


def resources_calls(azure, subscription):
    return sum(path == f"/subscriptions/{subscription}/resources" for _, path in azure.calls)


def test_pages_follow_resource_managers_next_link_and_read_each_of_its_pages_once(azure, listed):
    azure.page_size = 1  # /resources answers one resource per page, and a nextLink to the next
    everything = listed()
    full_listing = {sub: resources_calls(azure, sub) for sub in (SUB_A, SUB_B)}
    azure.calls.clear()

    walked, token, pages = [], None, 0
    while True:
        page = listed(limit=2, next_token=token)
        walked += page.items
        pages += 1
        token = page.next_token
        if token is None:
            break

    assert [a.id for a in walked] == [a.id for a in everything.items]  # every asset once, in the same order
    assert pages == 5 and full_listing == {SUB_A: 3, SUB_B: 1}
    # Page 1 reads the first page of each subscription's resources (and shows none of them: the subscription and
    # two resource groups come first); later pages read that first page once more when they reach it, then
    # follow the nextLinks: one call more per subscription than one listing, not one listing per page.
    assert {sub: resources_calls(azure, sub) for sub in (SUB_A, SUB_B)} == {SUB_A: 4, SUB_B: 2}


def test_a_token_continues_only_its_connection_and_tenant(azure, listed):
    from dataclasses import replace

    token = listed(limit=2).next_token

    for other in (replace(azure_connection(), connection_id="c-2"), replace(azure_connection(), tenant_id="t-2")):
        with pytest.raises(BadRequest) as refused:
            listed(other, limit=2, next_token=token)
        assert "not one this listing issued" in refused.value.detail
    assert listed(limit=2, next_token=token).items  # its own connection goes on


def test_a_connection_whose_subscriptions_changed_refuses_the_old_token(azure, listed):
    token = listed(limit=2).next_token

    with pytest.raises(BadRequest) as refused:
        listed(azure_connection(subscription_ids=[SUB_A]), limit=2, next_token=token)

    assert "changed" in refused.value.detail
