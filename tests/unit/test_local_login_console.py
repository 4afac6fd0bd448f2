"""The console's server (``infrastructure.local.login.console``) over real HTTP: the built files with the SPA
fallback, the generated config.json, the security headers, and the 503 page while the console is not built."""

from __future__ import annotations

import pytest
import requests

from infrastructure.local.login.console import console_app
from infrastructure.local.login.http_server import HttpServer

CONFIG = {"apiUrl": "http://127.0.0.1:8330", "clientId": "c"}
CONNECT_TO = ("http://127.0.0.1:8330", "http://127.0.0.1:8331/", "http://127.0.0.1:4566")


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(dist):
        server = HttpServer("127.0.0.1", 0, "console")
        server.start(console_app(CONFIG, connect_to=CONNECT_TO, dist=dist))
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def test_an_unbuilt_console_answers_503_saying_how_to_build_it_but_config_json_is_served(serve, tmp_path):
    url = serve(tmp_path / "dist")

    page = requests.get(url + "/", timeout=10)

    assert page.status_code == 503
    assert "The console is not built: run make run (it builds it)" in page.text
    assert requests.get(url + "/config.json", timeout=10).json() == CONFIG


def test_files_are_served_and_paths_without_a_file_answer_index_html_with_the_security_headers(serve, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>console</title>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    url = serve(dist)

    script = requests.get(url + "/assets/app.js", timeout=10)
    route = requests.get(url + "/connections/123", timeout=10)
    escape = requests.get(url + "/../../etc/passwd", timeout=10)

    assert script.status_code == 200 and script.text == "console.log(1)"
    assert route.status_code == 200 and "<title>console</title>" in route.text
    assert escape.status_code == 200 and "<title>console</title>" in escape.text
    assert route.headers["Content-Security-Policy"] == (
        "default-src 'self'; connect-src 'self' http://127.0.0.1:8330 http://127.0.0.1:8331 http://127.0.0.1:4566; "
        "frame-ancestors 'none'"
    )
    assert route.headers["X-Content-Type-Options"] == "nosniff"
    assert route.headers["Referrer-Policy"] == "no-referrer"
