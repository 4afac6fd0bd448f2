"""Schemathesis against the running local stack over real HTTP: every operation of the published document, as the
demo user, every check, a fixed seed and a bounded number of cases, zero failures.

The schema is the committed openapi.json (which ``test_openapi_document`` holds equal to what the handlers generate
and ``test_served_document`` to what the stack serves); the stack's URL and the token reach each call from the
session fixtures. (``schemathesis.pytest.from_fixture`` would load it from a fixture instead, but 4.32 reads
``Function._nodeid``, which pytest 9 no longer has.)
"""

from __future__ import annotations

import pytest
import schemathesis

from .openapi_contract import PUBLISHED_DOCUMENT

pytestmark = pytest.mark.integration

SEED = 20261201
# Cases per operation in the fuzzing phase; the examples and coverage phases add theirs, bounded by the schema.
MAX_EXAMPLES = 15

# Schemathesis's default for "a schema-valid request is accepted", and what else may answer one on operations whose
# input the document cannot fully describe.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
OPAQUE_TOKEN_REFUSED = "400"  # a next_token only the listing that issued it can tell from a made-up one
# The version may come as "version" in the body or as If-Match: both but disagreeing is 400, neither is 428. A rule
# across the body and a header, which no schema states.
VERSION_RULE_REFUSED = ["400", "428"]
# A connection is verified live before it is stored: a role or application the cloud does not let Cloudivize in
# is 422, as is an Idempotency-Key reused with another body. Neither is a property of the request's shape.
LIVE_VERIFICATION_REFUSED = "422"
# A query parameter the operation does not name is ignored, as AWS's own APIs ignore one (a client adding a cache
# buster keeps working); schemathesis counts such a request as one to refuse.
NEGATIVE_REFUSED = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429", "5xx"]
UNKNOWN_QUERY_IGNORED = "200"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        # The phases a pytest run has: examples, coverage, fuzzing (stateful runs only from the command line).
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
        # Every check. max_response_time stays off without a limit: timing is not what this suite asserts.
        "checks": {"enabled": True},
        "operations": [
            {
                "include-name": [
                    "GET /connections",
                    "GET /connections/{connection_id}/assets",
                    "GET /connections/{connection_id}/activity",
                    "GET /audit",
                ],
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, OPAQUE_TOKEN_REFUSED]},
                    "negative_data_rejection": {"expected-statuses": [*NEGATIVE_REFUSED, UNKNOWN_QUERY_IGNORED]},
                },
            },
            {
                "include-name": "PATCH /connections/{connection_id}",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *VERSION_RULE_REFUSED]}},
            },
            {
                "include-name": "POST /connections",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, LIVE_VERIFICATION_REFUSED]}},
            },
        ],
    }
)
schema = schemathesis.openapi.from_path(PUBLISHED_DOCUMENT, config=CONFIG)


@schemathesis.hook
def before_call(context, case, kwargs):
    """A new Azure connection is verified by signing in at Microsoft Entra ID (the local stack's demo Azure), which
    knows none of the generated directories and answers every such create 422: it is sent unverified instead, so the
    fuzzing reaches the store (a body whose ``verify`` is not a boolean stays as generated, and is refused before
    any sign-in)."""
    body = case.body
    if case.operation.label == "POST /connections" and isinstance(body, dict) and body.get("provider") == "azure":
        if body.get("verify", True) is True:
            body["verify"] = False


@schema.parametrize()
def test_the_api_answers_as_its_document_says(case, local_stack, demo_token):
    case.call_and_validate(base_url=local_stack.api_url, headers={"Authorization": f"Bearer {demo_token}"})
