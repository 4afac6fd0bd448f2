"""Operating on Azure resources (cloudivize.cloud_assets.run_action for an Azure connection) against the fake."""

import pytest

from cloudivize.cloud_assets import run_action
from cloudivize.errors import Forbidden, ServiceUnavailable, Unprocessable
from cloudivize.models.assets import ActionRequest
from tests.azure_fake import (
    READER,
    STORAGE,
    SUB_A,
    SUB_B,
    SUB_HIDDEN,
    TAG_CONTRIBUTOR,
    VM_CONTRIBUTOR,
    WEB_1,
    WEB_2,
    azure_connection,
    azure_provider,
)


@pytest.fixture
def operator(azure):
    """The application holds Virtual Machine Contributor and Tag Contributor on the production subscription."""
    azure.subscriptions[SUB_A].permissions = [READER, VM_CONTRIBUTOR, TAG_CONTRIBUTOR]
    return azure


def act(action, *asset_ids, connection=None, **fields):
    return run_action(
        azure_provider(),
        connection or azure_connection(),
        ActionRequest(action=action, asset_ids=list(asset_ids), **fields),
    )


def vm(fake, name):
    return next(v for v in fake.subscriptions[SUB_A].vms if v.name == name)


@pytest.mark.parametrize(
    ("action", "target", "operation", "state", "power"),
    [
        ("start", WEB_2, "start", "starting", "running"),
        ("deallocate", WEB_1, "deallocate", "deallocating", "deallocated"),
        ("stop", WEB_1, "deallocate", "deallocating", "deallocated"),  # stop means deallocate on Azure
        ("restart", WEB_1, "restart", "restarting", "running"),
        ("reboot", WEB_1, "restart", "restarting", "running"),
    ],
)
def test_vm_power_actions_ask_azure_and_answer_per_vm(operator, action, target, operation, state, power):
    [result] = act(action, target).results

    assert result.ok is True and result.state == state
    assert ("POST", f"{target}/{operation}") in operator.calls
    assert vm(operator, target.rsplit("/", 1)[1]).power == power
    assert (result.detail is not None and "deallocates" in result.detail) == (action == "stop")


def test_one_bad_asset_does_not_fail_the_others(operator):
    gone = WEB_1.replace("web-1", "gone")
    asked = [WEB_2, gone, STORAGE, f"/subscriptions/{SUB_HIDDEN}", "i-0abc", WEB_1.lower()]

    results = act("start", *asked).results

    assert [r.asset_id for r in results] == asked  # in the order asked
    assert [r.ok for r in results] == [True, False, False, False, False, True]
    assert "ResourceNotFound" in results[1].detail
    assert "Not a virtual machine" in results[2].detail
    assert "AuthorizationFailed" not in (results[3].detail or "")
    assert "Azure resource id" in results[4].detail


def test_assets_outside_the_connections_subscriptions_are_refused_without_a_call(operator):
    [result] = act("start", WEB_2, connection=azure_connection(subscription_ids=[SUB_B])).results

    assert result.ok is False and "connection's subscriptions" in result.detail
    assert ("POST", f"{WEB_2}/start") not in operator.calls


def test_tags_are_merged_with_the_tags_api(operator):
    results = act("tag", STORAGE, WEB_1, tags={"owner": "ops", "env": "prod"}).results

    assert [r.ok for r in results] == [True, True]
    assert operator.subscriptions[SUB_A].resources[0].tags == {"env": "prod", "owner": "ops"}
    assert vm(operator, "web-1").tags == {"env": "prod", "owner": "ops"}
    assert {(b["scope"], b["operation"]) for b in operator.tag_bodies} == {(STORAGE, "Merge"), (WEB_1, "Merge")}


def test_untag_removes_the_keys_whatever_their_values(operator):
    vm(operator, "web-1").tags.update(owner="ops")

    [removed] = act("untag", WEB_1, tags={"env": "", "absent": "x"}).results
    [nothing] = act("untag", WEB_2, tags={"env": ""}).results

    assert removed.ok and vm(operator, "web-1").tags == {"owner": "ops"}
    assert operator.tag_bodies == [{"scope": WEB_1, "operation": "Delete", "properties": {"tags": {"env": "prod"}}}]
    assert nothing.ok and "None of these tags" in nothing.detail


def test_subscriptions_and_resource_groups_can_be_tagged(operator):
    results = act("tag", f"/subscriptions/{SUB_A}", tags={"owner": "ops"}).results

    assert results[0].ok is True


@pytest.mark.parametrize(
    ("action", "target", "fields", "permission"),
    [
        ("start", WEB_2, {}, "Microsoft.Compute/virtualMachines/start/action"),
        ("stop", WEB_1, {}, "Microsoft.Compute/virtualMachines/deallocate/action"),
        ("deallocate", WEB_1, {}, "Microsoft.Compute/virtualMachines/deallocate/action"),
        ("restart", WEB_1, {}, "Microsoft.Compute/virtualMachines/restart/action"),
        ("tag", WEB_1, {"tags": {"a": "b"}}, "Microsoft.Resources/tags/write"),
        ("untag", WEB_1, {"tags": {"env": ""}}, "Microsoft.Resources/tags/write"),
    ],
)
def test_what_the_role_does_not_allow_is_403_naming_the_permission(azure, action, target, fields, permission):
    with pytest.raises(Forbidden) as raised:  # Reader only
        act(action, WEB_2, target, **fields)

    problem = raised.value.to_problem()
    assert problem["status"] == 403
    assert problem["missing_permission"] == permission and problem["azure_error"] == "AuthorizationFailed"
    assert f"allows {permission} on /subscriptions/" in problem["detail"]


def test_a_custom_role_excluding_one_action_is_403_for_that_action_only(azure):
    azure.subscriptions[SUB_A].permissions = [
        {"actions": ["Microsoft.Compute/virtualMachines/*"],
         "notActions": ["Microsoft.Compute/virtualMachines/deallocate/action"]},
    ]  # fmt: skip

    assert act("restart", WEB_1).results[0].ok is True
    with pytest.raises(Forbidden) as raised:
        act("stop", WEB_1)
    assert raised.value.extensions["missing_permission"] == "Microsoft.Compute/virtualMachines/deallocate/action"


def test_tagging_needs_tags(operator):
    with pytest.raises(Unprocessable):
        act("tag", WEB_1)


def test_throttling_that_persists_is_503(operator):
    operator.subscriptions[SUB_A].throttled = 100

    with pytest.raises(ServiceUnavailable):
        act("start", WEB_2)


def test_a_refused_secret_is_one_422_before_any_action(azure):
    with pytest.raises(Unprocessable) as raised:
        act("start", WEB_1, WEB_2, connection=azure_connection(application_secret="Wrong~secret"))

    assert raised.value.extensions["azure_error"] == "AADSTS7000215"
    assert azure.calls == []
