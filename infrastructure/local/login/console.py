"""The web console's static files (``console/dist``, which the console's build writes) served at the console's
URL, with its runtime configuration ``/config.json`` generated from the stack's own URLs and ids.

Paths without a file answer ``index.html`` (the console routes in the browser). Until the console is built every
path answers 503 with a page saying how to build it. Every answer carries the security headers the deployed
hosting sets: a CSP allowing connections to the API, the managed login and the emulator (the pool's JWKS) only,
no framing, no MIME sniffing, no referrer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, send_from_directory
from werkzeug.security import safe_join

from infrastructure.local.aws.provisioning import AwsResources, HostedSignIn
from infrastructure.local.login.managed_login import LOGOUT_PATH
from infrastructure.local.login.pages import message_page
from infrastructure.resources import OAUTH_SCOPES, WEB_CLIENT_IDENTITY_PROVIDERS

REPO_ROOT = Path(__file__).resolve().parents[3]
CONSOLE_DIST = REPO_ROOT / "console" / "dist"
CONFIG_PATH = "/config.json"
NOT_BUILT = "The console is not built: run make run (it builds it)."


def console_config(*, api_url: str, auth_url: str, resources: AwsResources, sign_in: HostedSignIn) -> dict[str, Any]:
    """The console's ``config.json``: exactly the keys the console reads (docs/architecture.md)."""
    return {
        "apiUrl": api_url,
        "authority": resources.issuer,
        "metadataUrl": f"{auth_url}/{resources.user_pool_id}/.well-known/openid-configuration",
        "clientId": resources.client_id,
        "redirectUri": sign_in.callback_url,
        "postLogoutRedirectUri": sign_in.logout_url,
        "logoutEndpoint": auth_url + LOGOUT_PATH,
        "scope": " ".join(OAUTH_SCOPES),
        "identityProviders": list(WEB_CLIENT_IDENTITY_PROVIDERS),
    }


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(connect_to: tuple[str, ...]) -> dict[str, str]:
    connect = " ".join(("'self'", *dict.fromkeys(origin(url) for url in connect_to)))
    return {
        "Content-Security-Policy": f"default-src 'self'; connect-src {connect}; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def console_app(config: dict[str, Any], *, connect_to: tuple[str, ...], dist: Path = CONSOLE_DIST) -> Flask:
    """``dist`` served with the SPA fallback, and ``config``, with the headers allowing ``connect_to`` origins."""
    app = Flask(__name__, static_folder=None)
    headers = security_headers(connect_to)

    @app.get(CONFIG_PATH)
    def config_json() -> Any:
        return config, 200, {"Cache-Control": "no-store"}

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def static_file(path: str) -> Any:
        if not (dist / "index.html").is_file():
            return message_page("Cloudivize console", NOT_BUILT), 503, {"Retry-After": "10"}
        found = safe_join(str(dist), path) if path else None
        if found is not None and Path(found).is_file():
            return send_from_directory(dist, path)
        return send_from_directory(dist, "index.html", max_age=0)  # a route of the console: it decides

    @app.after_request
    def secured(response: Response) -> Response:
        response.headers.update(headers)
        return response

    return app
