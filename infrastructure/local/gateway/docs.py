"""The developer documentation the local stack serves: OpenAPI generated from the handlers, and Swagger UI."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import distribution, version
from pathlib import Path

from infrastructure.local.lambda_runtime import load_function_module
from infrastructure.routes import FUNCTIONS, ROUTES

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"


def openapi_document() -> str:
    """The published OpenAPI 3 JSON of every API function's routes (``openapi.json`` at the repository root)."""
    api_functions = sorted({route.function for route in ROUTES})
    routers = [load_function_module(FUNCTIONS[name]).router for name in api_functions]
    # Imported late, like the handlers: the shared layer reads the handler environment when it loads.
    from cloudivize.api import openapi_json

    return openapi_json(*routers)


# Swagger UI as Powertools ships it (the files its own ``enable_swagger`` serves): the page works offline and
# runs the version installed with the project, not whatever a CDN serves today.
_POWERTOOLS = "aws-lambda-powertools"
_SWAGGER_UI_FOLDER = Path("aws_lambda_powertools", "event_handler", "openapi", "swagger_ui")
SWAGGER_UI_SCRIPT_PATH = f"{DOCS_PATH}/swagger-ui-bundle.min.js"
SWAGGER_UI_STYLESHEET_PATH = f"{DOCS_PATH}/swagger-ui.min.css"
_SWAGGER_UI_FILES = {  # path served -> (file in Powertools, content type)
    SWAGGER_UI_SCRIPT_PATH: ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
    SWAGGER_UI_STYLESHEET_PATH: ("swagger-ui.min.css", "text/css; charset=utf-8"),
}
# Cached for a day: the page asks for the files with the Powertools version, so an upgrade is loaded at once.
SWAGGER_UI_CACHE_CONTROL = "public, max-age=86400"
_VERSIONED = f"?v={version(_POWERTOOLS)}"


@dataclass(frozen=True)
class StaticAsset:
    content_type: str
    cache_control: str
    body: bytes


def swagger_ui_asset(path: str) -> StaticAsset | None:
    """The Swagger UI file served at ``path`` (the query string aside), if one is."""
    if path not in _SWAGGER_UI_FILES:
        return None
    file_name, content_type = _SWAGGER_UI_FILES[path]
    return StaticAsset(content_type, SWAGGER_UI_CACHE_CONTROL, _powertools_file(file_name))


@cache
def _powertools_file(file_name: str) -> bytes:
    # Found through the distribution, not an import: Powertools must not load before the handler environment.
    return Path(str(distribution(_POWERTOOLS).locate_file(_SWAGGER_UI_FOLDER / file_name))).read_bytes()


# validatorUrl: null, or Swagger UI sends the document to swagger.io's online validator.
SWAGGER_UI_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Cloudivize API (local)</title>
  <link rel="stylesheet" href="{SWAGGER_UI_STYLESHEET_PATH}{_VERSIONED}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{SWAGGER_UI_SCRIPT_PATH}{_VERSIONED}"></script>
  <script>
    window.onload = () => {{
      window.ui = SwaggerUIBundle({{
        url: "{OPENAPI_PATH}",
        dom_id: "#swagger-ui",
        persistAuthorization: true,
        validatorUrl: null,
      }});
    }};
  </script>
</body>
</html>
"""
