"""The route table (CDK API and local server are built from it) and the handlers' own routes never drift."""

import importlib
import json

import pytest

from cloudivize.api import openapi_json
from infrastructure.routes import FUNCTIONS, ROUTES, allowed_methods, match_route

API_FUNCTIONS = sorted({route.function for route in ROUTES})


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_each_function_serves_exactly_its_routes(function):
    router = importlib.import_module(FUNCTIONS[function].module).router

    paths = json.loads(openapi_json(router))["paths"]
    served = {(method.upper(), path) for path, operations in paths.items() for method in operations}

    assert served == {(r.method, r.path) for r in ROUTES if r.function == function}


def test_every_route_has_a_function_and_every_function_has_code():
    for route in ROUTES:
        assert route.function in FUNCTIONS
    for spec in FUNCTIONS.values():
        assert hasattr(importlib.import_module(spec.module), "lambda_handler")


def test_matching_extracts_path_parameters():
    route, parameters = match_route("PATCH", "/connections/abc-1")

    assert (route.function, parameters) == ("connections", {"connection_id": "abc-1"})
    assert match_route("PUT", "/connections/abc-1") is None
    assert allowed_methods("/connections/abc-1") == ["DELETE", "GET", "PATCH"]
