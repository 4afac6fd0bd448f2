"""Schemathesis against the running local stack over real HTTP: every operation of the document the stack serves,
as the demo user, every check, a fixed seed and a bounded number of cases, zero failures."""

from __future__ import annotations

import pytest
import schemathesis

from infrastructure.local.gateway.docs import OPENAPI_PATH

pytestmark = pytest.mark.integration

SEED = 20261201
# Cases per operation in the fuzzing phase; the examples and coverage phases add their own, bounded by the schema.
MAX_EXAMPLES = 25


def contract_config(base_url: str, token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            # The examples, coverage and fuzzing phases; the stateful phase runs only from the command line.
            "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
            # Every check: max_response_time is off unless given a limit, and timing is not what this suite tests.
            "checks": {"enabled": True},
        }
    )


@pytest.fixture(scope="session")
def served_schema(local_stack, demo_token):
    config = contract_config(local_stack.api_url, demo_token)
    return schemathesis.openapi.from_url(local_stack.api_url + OPENAPI_PATH, config=config)


schema = schemathesis.pytest.from_fixture("served_schema")


@schema.parametrize()
def test_the_api_answers_as_its_document_says(case):
    case.call_and_validate()
