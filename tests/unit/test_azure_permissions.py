"""Azure RBAC evaluation over what Microsoft.Authorization/permissions answers: wildcards, notActions, roles."""

import pytest

from cloudivize.azure_access.permissions import allows, missing

START = "Microsoft.Compute/virtualMachines/start/action"
TAG_WRITE = "Microsoft.Resources/tags/write"
READER = {"actions": ["*/read"], "notActions": []}
CONTRIBUTOR = {
    "actions": ["*"],
    "notActions": ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"],
}
VM_CONTRIBUTOR = {"actions": ["Microsoft.Compute/virtualMachines/*"], "notActions": []}


@pytest.mark.parametrize(
    ("permissions", "action", "expected"),
    [
        ([READER], "Microsoft.Compute/virtualMachines/read", True),
        ([READER], START, False),
        ([CONTRIBUTOR], START, True),
        ([CONTRIBUTOR], TAG_WRITE, True),
        ([CONTRIBUTOR], "Microsoft.Authorization/roleAssignments/write", False),  # excluded by its notActions
        ([VM_CONTRIBUTOR], START, True),
        ([VM_CONTRIBUTOR], TAG_WRITE, False),
        ([{"actions": ["microsoft.compute/VIRTUALMACHINES/START/ACTION"]}], START, True),  # case-insensitive
        ([{"actions": ["Microsoft.Compute/*/action"]}], START, True),  # "*" spans "/"
        ([{"actions": ["Microsoft.Compute/virtualMachines/start"]}], START, False),  # no prefix matching
        ([{"actions": ["Microsoft.Compute/virtualMachines.*"]}], START, False),  # "." is literal
        ([{"actions": ["*"], "notActions": ["Microsoft.Compute/virtualMachines/*"]}], START, False),
        ([], START, False),
        ([{"actions": [], "notActions": []}], START, False),
    ],
)
def test_an_action_is_allowed_when_a_role_grants_it_and_does_not_exclude_it(permissions, action, expected):
    assert allows(permissions, action) is expected


def test_a_not_action_only_narrows_its_own_role():
    excluding = {"actions": ["*"], "notActions": ["Microsoft.Compute/virtualMachines/start/action"]}

    assert allows([excluding], START) is False
    assert allows([excluding, VM_CONTRIBUTOR], START) is True  # another role grants it


def test_snake_case_entries_from_sdk_models_are_read_too():
    assert allows([{"actions": ["*"], "not_actions": [TAG_WRITE]}], TAG_WRITE) is False


def test_missing_lists_what_is_not_allowed_in_order():
    assert missing([READER, VM_CONTRIBUTOR], [START, TAG_WRITE, "Microsoft.Resources/tags/read"]) == [TAG_WRITE]
