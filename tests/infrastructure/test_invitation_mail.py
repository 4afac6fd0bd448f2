"""Invitations are emailed from the sender identity the context names, by the invitations function only; without
that context the stack still synthesizes (cdk-nag clean) and no function may send email."""

from __future__ import annotations

import json

import pytest

from infrastructure import constants
from infrastructure.routes import FUNCTIONS, Access
from infrastructure.stack import CTX_INVITATION_SENDER, build_app, stack_of

from .cfn import as_list, role_statements
from .conftest import SKIP_BUNDLING

SENDER = "invitations@cloudivize.example"


@pytest.fixture(scope="module")
def with_sender(tmp_path_factory):
    app = build_app(
        context={**SKIP_BUNDLING, CTX_INVITATION_SENDER: SENDER}, outdir=str(tmp_path_factory.mktemp("cdk.out"))
    )
    stack = stack_of(app)
    template = app.synth().get_stack_by_name(stack.stack_name).template  # raises on any cdk-nag finding
    return stack, template


def _email_statements(stack, template, name: str) -> list[dict]:
    role_id = stack.get_logical_id(stack.functions[name].role.node.default_child)
    return [
        s for s in role_statements(template, role_id) if any(str(a).startswith("ses:") for a in as_list(s["Action"]))
    ]


def _environment(stack, template, name: str) -> dict:
    function_id = stack.get_logical_id(stack.functions[name].function.node.default_child)
    return template["Resources"][function_id]["Properties"]["Environment"]["Variables"]


def test_only_the_invitations_function_sends_and_only_from_the_sender_identity(with_sender):
    stack, template = with_sender
    senders = [name for name, spec in FUNCTIONS.items() if Access.SEND_INVITATIONS in spec.access]

    assert senders == ["invitations"]
    [statement] = _email_statements(stack, template, "invitations")
    assert statement["Action"] == "ses:SendEmail"
    resource = json.dumps(statement["Resource"])
    assert ":ses:" in resource and f":identity/{SENDER}" in resource
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": SENDER}}
    assert _environment(stack, template, "invitations")[constants.ENV_INVITATION_SENDER] == SENDER
    for name in set(FUNCTIONS) - {"invitations"}:
        assert _email_statements(stack, template, name) == [], name
        assert constants.ENV_INVITATION_SENDER not in _environment(stack, template, name), name


def test_without_a_sender_no_function_may_send_email_and_invitations_are_logged(synth):
    for name in FUNCTIONS:
        assert _email_statements(synth.stack, synth.template, name) == [], name
        assert constants.ENV_INVITATION_SENDER not in _environment(synth.stack, synth.template, name), name


def test_unused_invitations_expire_by_the_tables_ttl(synth):
    table_id = synth.logical_id(synth.stack.data.table)
    ttl = synth.template["Resources"][table_id]["Properties"]["TimeToLiveSpecification"]

    assert ttl == {"AttributeName": constants.TABLE_TTL_ATTRIBUTE, "Enabled": True}
