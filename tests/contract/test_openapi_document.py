"""The published OpenAPI document: committed as generated, valid OpenAPI 3.1, and truthful about what every
operation answers (statuses, media types, headers, examples)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from cloudivize import api as cloudivize_api
from cloudivize.errors import PROBLEM_CONTENT_TYPE
from cloudivize.openapi import (
    BEARER_SCHEME,
    BODY_STATUSES,
    GATEWAY_STATUSES,
    MAX_BODY_KIB,
    ORGANIZATION_PARAMETER,
    ORGANIZATION_STATUSES,
    PARAMETER_STATUSES,
    PROBLEM_STATUSES,
    REQUEST_ID_HEADER,
)
from infrastructure.local.gateway.docs import openapi_document
from infrastructure.routes import ROUTES
from tests.utils import keys_in

from .openapi_contract import PUBLISHED_DOCUMENT, schema_validator


@pytest.fixture(scope="module")
def generated() -> str:
    return openapi_document()


@pytest.fixture(scope="module")
def document(generated) -> dict[str, Any]:
    return json.loads(generated)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_committed_document_is_the_generated_one(generated):
    committed = PUBLISHED_DOCUMENT.read_text() if PUBLISHED_DOCUMENT.exists() else ""

    assert committed == generated, "openapi.json is not what the handlers generate: run `make openapi` and commit it"
    assert generated.endswith("}\n")


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)  # raises with the first violation

    assert document["openapi"].startswith("3.1.")


def test_every_route_is_an_operation_and_only_those(document):
    documented = {(method, path) for method, path, _ in operations(document)}

    assert documented == {(route.method, route.path) for route in ROUTES}


def test_the_bearer_scheme_applies_to_every_operation_and_the_server_is_relative(document):
    scheme = document["components"]["securitySchemes"][BEARER_SCHEME]

    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert document["security"] == [{BEARER_SCHEME: []}]
    assert all("security" not in operation for _, _, operation in operations(document))
    assert [server["url"] for server in document["servers"]] == ["/"]


def test_no_fastapi_validation_error_shape_remains(document):
    text = json.dumps(document)

    assert "HTTPValidationError" not in text and "ValidationError" not in text
    assert '"loc"' not in text


def test_no_pydantic_constraint_is_left_as_an_unknown_keyword(document):
    # A constraint pydantic cannot turn into JSON Schema lands as its own name, which validators silently ignore.
    leaked = {"ge", "gt", "le", "lt", "min_length", "max_length", "multiple_of"} & set(keys_in(document["components"]))

    assert leaked == set()


def test_every_problem_is_one_shared_problem_json_response(document):
    shared = document["components"]["responses"]

    assert sorted(shared) == sorted(known.component for known in PROBLEM_STATUSES.values())
    for response in shared.values():
        assert response["content"] == {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                component = PROBLEM_STATUSES[int(status)].component
                assert response == {"$ref": f"#/components/responses/{component}"}, (method, path, status)


def test_the_problem_schema_is_rfc_9457_with_named_field_errors(document):
    schemas = document["components"]["schemas"]

    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail"]
    assert schemas["Problem"]["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert schemas["FieldError"]["required"] == ["field", "in", "type", "message"]


@pytest.mark.parametrize(("method", "path"), [(route.method, route.path) for route in ROUTES])
def test_every_operation_lists_what_the_gateway_and_its_inputs_can_answer(document, method, path):
    operation = document["paths"][path][method.lower()]
    expected = set(GATEWAY_STATUSES) | set(ORGANIZATION_STATUSES)
    if "requestBody" in operation:
        expected |= set(BODY_STATUSES)
    own = [parameter for parameter in operation.get("parameters", []) if parameter != ORGANIZATION_PARAMETER]
    if own:
        expected |= set(PARAMETER_STATUSES)

    assert expected <= {int(status) for status in operation["responses"]}
    # Every operation acts in the organization the header names (or the caller's default).
    assert ORGANIZATION_PARAMETER in operation["parameters"]


def test_the_gateways_own_answers_are_all_documented():
    from infrastructure.api import GATEWAY_PROBLEMS

    answered = {problem.status for problem in GATEWAY_PROBLEMS}
    # 400, 413 and 415 concern a request body (API Gateway's body checks and size limit); 404 is a path that no
    # route serves, which no documented operation is.
    assert answered - set(GATEWAY_STATUSES) == {400, 404, 413, 415}
    assert {400, 413, 415} <= set(BODY_STATUSES)


# What each operation answers when it succeeds, and the problems its use case raises: the handlers' truth.
EXPECTED_ANSWERS = {
    ("GET", "/me"): (200, set()),
    ("GET", "/settings"): (200, set()),
    ("PUT", "/settings"): (200, set()),
    ("GET", "/onboarding/aws"): (200, {403, 503}),
    ("GET", "/onboarding/azure"): (200, set()),
    ("POST", "/connections"): (201, {403, 409, 422, 503}),
    ("GET", "/connections"): (200, {400}),
    ("GET", "/connections/{connection_id}"): (200, {404}),
    ("PATCH", "/connections/{connection_id}"): (200, {400, 403, 404, 412, 422, 428, 503}),
    ("DELETE", "/connections/{connection_id}"): (204, {404}),
    ("POST", "/connections/{connection_id}/verify"): (200, {403, 404, 422, 503}),
    ("GET", "/connections/{connection_id}/assets"): (200, {400, 403, 404, 422, 503}),
    ("POST", "/connections/{connection_id}/actions"): (200, {403, 404, 422, 503}),
    ("GET", "/connections/{connection_id}/activity"): (200, {400, 403, 404, 422, 503}),
    ("POST", "/invitations"): (201, {403, 422, 503}),
    ("GET", "/invitations"): (200, {403}),
    ("DELETE", "/invitations/{invitation_id}"): (204, {403, 404}),
    ("GET", "/me/invitations"): (200, set()),
    ("POST", "/invitations/{invitation_id}/accept"): (200, {403, 404, 409}),
}


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED_ANSWERS))
def test_every_operation_lists_its_success_and_its_use_cases_problems(document, method, path):
    success, raised = EXPECTED_ANSWERS[(method, path)]
    statuses = {int(status) for status in document["paths"][path][method.lower()]["responses"]}

    assert {status for status in statuses if status < 400} == {success}
    assert raised <= statuses


def test_a_created_connection_has_its_location_and_etag_and_every_response_a_request_id(document):
    connections = document["paths"]["/connections"]["post"]["responses"]["201"]

    assert set(connections["headers"]) == {REQUEST_ID_HEADER, "Location", "ETag"}
    assert connections["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Connection"}
    for method in ("get", "patch"):
        assert "ETag" in document["paths"]["/connections/{connection_id}"][method]["responses"]["200"]["headers"]
    deleted = document["paths"]["/connections/{connection_id}"]["delete"]["responses"]["204"]
    assert "content" not in deleted
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            headers = resolved(document, response)["headers"]
            assert resolved(document, headers[REQUEST_ID_HEADER])["required"] is True, (method, path, status)
    assert REQUEST_ID_HEADER == cloudivize_api.REQUEST_ID_HEADER
    assert MAX_BODY_KIB * 1024 == cloudivize_api.MAX_BODY_BYTES  # the 413's description names the real limit


def examples_in(node: Any, pointer: str = "#") -> Iterator[tuple[str, Any]]:
    """(the JSON pointer of a schema, one of its examples) for every schema example in the document."""
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list) and "$ref" not in node:
            for example in node["examples"]:
                yield pointer, example
        for key, value in node.items():
            yield from examples_in(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from examples_in(value, f"{pointer}/{index}")


def test_every_example_validates_against_its_schema(document):
    found = list(examples_in(document))

    assert len(found) >= 10  # the request bodies' and the shared schemas' examples at least
    for pointer, example in found:
        errors = [error.message for error in schema_validator(document, pointer).iter_errors(example)]
        assert errors == [], f"the example at {pointer} does not validate: {errors}"


def test_the_request_body_examples_are_whole_bodies(document):
    schemas = document["components"]["schemas"]

    for name in ("AwsConnectionCreate", "AzureConnectionCreate", "ConnectionPatch", "ActionRequest", "UserSettings"):
        assert schemas[name]["examples"], name


def test_a_version_the_document_calls_an_integer_is_one_the_api_takes():
    from pydantic import ValidationError

    from cloudivize.models.connections import ConnectionPatch

    assert ConnectionPatch.model_validate_json('{"version": 3.0}').version == 3  # JSON Schema: 3.0 is an integer
    for refused in ('{"version": "3"}', '{"version": true}', '{"version": 3.5}'):
        with pytest.raises(ValidationError):
            ConnectionPatch.model_validate_json(refused)
