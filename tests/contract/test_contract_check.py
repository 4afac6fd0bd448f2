"""The contract check the integration suite runs on every response: it passes what the document describes and
names what it does not (status, media type, header, body), for documented and undocumented paths alike."""

from __future__ import annotations

import json

import pytest
import requests

from .openapi_contract import Contract, ContractViolation, is_api_path, published_document

BASE = "http://127.0.0.1:8330"
CONNECTION = {
    "id": "c-1",
    "provider": "aws",
    "name": "Production",
    "status": "verified",
    "version": 3,
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T09:30:00Z",
    "last_verified_at": None,
    "aws": {"account_id": "123456789012", "role_arn": "arn:aws:iam::123456789012:role/Cloudivize", "regions": None},
    "azure": None,
}
NOT_FOUND = {"type": "https://cloudivize.com/problems/not-found", "title": "Not found", "status": 404, "detail": "No."}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(published_document())


def response(
    method: str, path: str, status: int, body: object = None, *, content_type: str | None = None, **headers: str
) -> requests.Response:
    answered = requests.Response()
    answered.request = requests.Request(method, BASE + path).prepare()
    answered.status_code = status
    answered._content = b"" if body is None else json.dumps(body).encode()
    if content_type:
        answered.headers["Content-Type"] = content_type
    answered.headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return answered


def with_request_id(**headers: str) -> dict[str, str]:
    return {"X_Request_Id": "r-1", **headers}


def test_a_described_response_passes(contract):
    contract.check(response("GET", "/connections/c-1", 200, CONNECTION, content_type="application/json",
                            **with_request_id(ETag='"3"')))  # fmt: skip
    contract.check(response("DELETE", "/connections/c-1", 204, **with_request_id()))
    contract.check(response("GET", "/connections/c-1", 404, NOT_FOUND, content_type="application/problem+json",
                            **with_request_id()))  # fmt: skip


@pytest.mark.parametrize(
    ("answered", "named"),
    [
        (response("GET", "/connections/c-1", 418, NOT_FOUND, content_type="application/problem+json",
                  **with_request_id()), "418"),
        (response("GET", "/connections/c-1", 404, NOT_FOUND, content_type="application/json", **with_request_id()),
         "application/json"),
        (response("GET", "/connections/c-1", 200, CONNECTION, content_type="application/json", **with_request_id()),
         "ETag"),
        (response("GET", "/connections/c-1", 404, NOT_FOUND, content_type="application/problem+json"),
         "X-Request-Id"),
        (response("GET", "/connections/c-1", 200, {**CONNECTION, "status": "great"}, content_type="application/json",
                  **with_request_id(ETag='"3"')), "great"),
        (response("GET", "/connections/c-1", 404, {"detail": [{"loc": ["path"]}]},
                  content_type="application/problem+json", **with_request_id()), "required"),
    ],
    ids=["undocumented status", "wrong media type", "missing ETag", "missing request id", "body off schema",
         "FastAPI 422 body"],
)  # fmt: skip
def test_what_the_document_does_not_describe_fails_naming_it(contract, answered, named):
    with pytest.raises(ContractViolation) as refused:
        contract.check(answered)

    assert f"GET /connections/c-1 -> {answered.status_code}" in str(refused.value)
    assert named in str(refused.value)


def test_an_undocumented_path_must_be_the_shared_404_problem(contract):
    contract.check(response("GET", "/no-such-route", 404, NOT_FOUND, content_type="application/problem+json",
                            **with_request_id()))  # fmt: skip

    with pytest.raises(ContractViolation, match="must be 404"):
        contract.check(response("GET", "/no-such-route", 200, {}, content_type="application/json"))


def test_an_unserved_method_must_be_the_shared_405_problem_with_allow(contract):
    problem = {"type": "https://cloudivize.com/problems/method-not-allowed", "title": "Method not allowed",
               "status": 405, "detail": "/me answers GET, not DELETE."}  # fmt: skip
    contract.check(response("DELETE", "/me", 405, problem, content_type="application/problem+json",
                            **with_request_id(Allow="GET")))  # fmt: skip

    with pytest.raises(ContractViolation, match="Allow"):
        contract.check(response("DELETE", "/me", 405, problem, content_type="application/problem+json",
                                **with_request_id()))  # fmt: skip


def test_a_cors_preflight_is_the_gateways_with_no_body(contract):
    contract.check(response("OPTIONS", "/connections", 204, **with_request_id()))

    with pytest.raises(ContractViolation, match="no body"):
        contract.check(response("OPTIONS", "/connections", 204, {"x": 1}, **with_request_id()))


def test_only_the_document_and_swagger_ui_are_not_api_paths():
    assert [path for path in ("/openapi.json", "/docs", "/docs/swagger-ui.min.css", "/me", "/docsx", "/connections")
            if not is_api_path(path)] == ["/openapi.json", "/docs", "/docs/swagger-ui.min.css"]  # fmt: skip
