"""The developer documentation the local stack serves: OpenAPI generated from the handlers, and Swagger UI."""

from __future__ import annotations

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


SWAGGER_UI_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Cloudivize API (local)</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
  <script>
    window.onload = () => {{
      window.ui = SwaggerUIBundle({{ url: "{OPENAPI_PATH}", dom_id: "#swagger-ui", persistAuthorization: true }});
    }};
  </script>
</body>
</html>
"""
