"""The API contract: a real HTTP response checked against the published OpenAPI document with openapi-core.

A response whose status, media type, headers or body the document does not describe is a contract failure. A
request to a path the document does not have must get the shared 404 problem, and a method a documented path
does not serve the shared 405 problem, both as the document defines them.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cloudivize.errors import PROBLEM_CONTENT_TYPE
from cloudivize.openapi import PROBLEM_STATUSES, REQUEST_ID_HEADER
from infrastructure.resources import PREFLIGHT_STATUS

REPO_ROOT = Path(__file__).resolve().parents[2]
PUBLISHED_DOCUMENT = REPO_ROOT / "openapi.json"
DOCUMENT_URI = "urn:cloudivize:openapi"
# Served beside the API, not part of it: the document itself and Swagger UI (its page and assets).
NOT_API_PATHS = ("/openapi.json", "/docs")


class ContractViolation(AssertionError):
    pass


def is_api_path(path: str) -> bool:
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in NOT_API_PATHS)


def schema_validator(document: dict[str, Any], pointer: str) -> OAS31Validator:
    """A validator of the schema at ``pointer`` (``#/components/schemas/...``) in ``document``, its ``$ref``s
    resolved in the document too."""
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, DRAFT202012))
    return OAS31Validator(
        {"$ref": DOCUMENT_URI + pointer}, registry=registry, format_checker=OAS31Validator.FORMAT_CHECKER
    )


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @cached_property
    def _openapi(self) -> OpenAPI:
        # openapi-core reads only application/json (and JSON:API) as JSON out of the box.
        config = Config(extra_media_type_deserializers={PROBLEM_CONTENT_TYPE: json_loads})
        return OpenAPI.from_dict(self.document, config=config)

    def check(self, response: requests.Response) -> None:
        """Raise ``ContractViolation`` unless the document describes ``response`` to its request."""
        request = RequestsOpenAPIRequest(response.request)
        label = f"{request.method.upper()} {request.path} -> {response.status_code}"
        try:
            self._openapi.validate_response(request, RequestsOpenAPIResponse(response))
        except PathNotFound:
            self._check_shared(response, "NotFound", label, why="the document has no such path")
        except OperationNotFound:
            if request.method == "options" and response.status_code == PREFLIGHT_STATUS:
                self._check_preflight(response, label)
            else:
                self._check_shared(response, "MethodNotAllowed", label, why="the path has no such method")
        except Exception as error:  # noqa: BLE001 - every openapi-core finding is reported the same way
            raise ContractViolation(f"{label}: {_findings(error)}\nbody: {response.text[:2000]}") from None

    def _check_preflight(self, response: requests.Response, label: str) -> None:
        """A CORS preflight is the gateway's, on every routed path, by the CORS policy (tests/integration/test_cors.py
        holds its headers): no operation of the API, so no operation in the document, and never a body."""
        if response.content or REQUEST_ID_HEADER not in response.headers:
            raise ContractViolation(f"{label}: a preflight answers no body and carries {REQUEST_ID_HEADER}")

    def _check_shared(self, response: requests.Response, component: str, label: str, *, why: str) -> None:
        shared = self.document["components"]["responses"][component]
        status = next(status for status, known in PROBLEM_STATUSES.items() if known.component == component)
        if response.status_code != status:
            raise ContractViolation(f"{label}: {why}, so the answer must be {status} ({component})")
        [(media_type, content)] = shared["content"].items()
        if response.headers.get("Content-Type", "").split(";")[0].strip() != media_type:
            raise ContractViolation(f"{label}: Content-Type {response.headers.get('Content-Type')!r}, not {media_type}")
        for name, header in shared.get("headers", {}).items():
            definition = self._resolve(header)
            if definition.get("required") and name not in response.headers:
                raise ContractViolation(f"{label}: the required header {name} is missing")
        validator = schema_validator(self.document, content["schema"]["$ref"])
        error = next(iter(validator.iter_errors(response.json())), None)
        if error is not None:
            raise ContractViolation(f"{label}: the body is not a {component} problem: {error.message}")

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node


def _findings(error: Exception) -> str:
    causes = [str(error)]
    for attribute in ("schema_errors", "__cause__"):
        found = getattr(error, attribute, None)
        if found:
            causes += [str(item) for item in (found if isinstance(found, list | tuple) else [found])]
    return "; ".join(dict.fromkeys(causes))


def published_document() -> dict[str, Any]:
    return json.loads(PUBLISHED_DOCUMENT.read_text())
