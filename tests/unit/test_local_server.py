"""The local API's HTTP server over real sockets: bursts, slow or partial clients, any method, malformed requests.

The server is the one ``make run`` serves, in this process, in front of the real gateway (with an authorizer
that refuses every token and no function behind it: what is tested here is answered before either).
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cloudivize.errors import PROBLEM_CONTENT_TYPE
from infrastructure.local.cli import DEFAULT_API_PORT, _parser
from infrastructure.local.gateway.api_server import MAX_REQUEST_LINE_BYTES, ApiServer, ReadTimeouts
from infrastructure.local.gateway.authorizer import Unauthorized
from infrastructure.local.gateway.docs import SWAGGER_UI_SCRIPT_PATH, SWAGGER_UI_STYLESHEET_PATH
from infrastructure.local.gateway.proxy import REQUEST_ID_HEADER, LocalApiGateway
from infrastructure.local.gateway.proxy_event import ApiStage

# Small enough to keep the tests quick, large enough for a loopback client that sends at once.
READ_TIMEOUTS = ReadTimeouts(headers=0.3, body=0.3, linger=0.3)
CLIENT_TIMEOUT_SECONDS = 10  # only a bound for a broken server: no test waits for it
BURST = 64  # half the listen backlog; socketserver's default of 5 held 6


class RefuseEveryToken:
    def claims(self, authorization: str | None) -> dict[str, Any]:
        raise Unauthorized("The token is not a valid ID token of this user pool.")


def no_function(function: str, event: dict[str, Any]) -> Any:
    raise AssertionError(f"{function} must not be invoked")


def new_server() -> ApiServer:
    gateway = LocalApiGateway(
        authorizer=RefuseEveryToken(),
        invoke=no_function,
        stage=ApiStage(account_id="123456789012", api_id="local", stage="v1"),
        openapi=lambda: json.dumps({"openapi": "3.1.0", "paths": {}}),
    )
    return ApiServer("127.0.0.1", 0, gateway, read_timeouts=READ_TIMEOUTS)


@pytest.fixture
def server() -> Iterator[ApiServer]:
    api = new_server()
    api.start()
    yield api
    api.stop()


def address(api: ApiServer) -> tuple[str, int]:
    host, port = api.url.removeprefix("http://").split(":")
    return host, int(port)


def connect(api: ApiServer) -> socket.socket:
    return socket.create_connection(address(api), timeout=CLIENT_TIMEOUT_SECONDS)


def response_to(client: socket.socket) -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(client)
    response.begin()
    return response


def send(api: ApiServer, raw: bytes) -> tuple[http.client.HTTPResponse, socket.socket]:
    client = connect(api)
    client.sendall(raw)
    return response_to(client), client


def assert_problem(response: http.client.HTTPResponse, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.getheader("Content-Type") == PROBLEM_CONTENT_TYPE
    assert uuid.UUID(response.getheader(REQUEST_ID_HEADER))
    body = json.loads(response.read())
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def assert_closed_by_server(client: socket.socket) -> None:
    assert client.recv(1) == b""
    client.close()


# --- 1. A burst of connections -------------------------------------------------------------------------------


def test_a_burst_of_connections_made_before_the_server_accepts_any_is_queued_and_each_is_answered():
    api = new_server()  # listening, not yet accepting: every connection waits in the backlog
    clients = [connect(api) for _ in range(BURST)]  # beyond the backlog, a connect would not complete
    for client in clients:
        client.sendall(b"GET /no-such-route HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n")
    api.start()
    try:
        statuses = [response_to(client).status for client in clients]
    finally:
        for client in clients:
            client.close()
        api.stop()

    assert statuses == [404] * BURST


# --- 2. Read timeouts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "partial",
    [
        pytest.param(b"GE", id="part of the request line"),
        pytest.param(b"GET /me\r\n", id="a bare request line"),
        pytest.param(b"GET /me HTTP/1.1\r\nHost: local\r\nAuthorization: Bear", id="part of the headers"),
        pytest.param(
            b"POST /connections HTTP/1.1\r\nHost: local\r\nContent-Length: 10\r\n\r\nabc", id="part of the body"
        ),
    ],
)
def test_a_client_that_sends_part_of_a_request_is_answered_408_and_disconnected(server, partial):
    response, client = send(server, partial)

    assert_problem(response, 408)
    assert response.getheader("Connection") == "close"
    assert_closed_by_server(client)


def test_an_idle_connection_is_closed_without_an_answer(server):
    client = connect(server)

    assert_closed_by_server(client)


def test_a_client_that_trickles_its_headers_cannot_stretch_the_deadline(server):
    client = connect(server)
    client.sendall(b"GET /me HTTP/1.1\r\nX-Slow: ")
    sent = 0
    # One byte at a time, each well within the timeout: only a deadline for the whole headers ends this.
    while not select.select([client], [], [], 0.05)[0]:
        client.sendall(b"a")
        sent += 1
        assert sent < 200, "the server still reads a request whose headers should have timed out"

    assert_problem(response_to(client), 408)
    client.close()


def test_a_keep_alive_connection_serves_requests_one_after_another(server):
    client = connect(server)
    statuses = []
    for _ in range(3):
        client.sendall(b"GET /no-such-route HTTP/1.1\r\nHost: local\r\n\r\n")
        response = response_to(client)
        response.read()
        statuses.append(response.status)
    client.close()

    assert statuses == [404, 404, 404]


# --- 3. Any method, any malformed request: problem+json -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "allow"),
    [
        ("TRACE", "/me", "GET"),
        ("PROPFIND", "/me", "GET"),
        ("get", "/me", "GET"),  # methods are case-sensitive
        ("BREW", "/connections", "GET, POST"),
        ("CONNECT", "example.com:443", ""),
        ("PROPFIND", "/no-such-route", ""),
    ],
)
def test_an_unknown_method_is_a_405_problem_naming_the_allowed_methods(server, method, target, allow):
    connection = http.client.HTTPConnection(*address(server), timeout=CLIENT_TIMEOUT_SECONDS)
    connection.request(method, target, headers={"Authorization": "Bearer whatever"})

    response = connection.getresponse()

    assert_problem(response, 405)
    assert response.getheader("Allow") == allow
    connection.close()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        pytest.param(b"GARBAGE\r\n\r\n", 400, id="one word"),
        pytest.param(b"GET /me?token=s3cret HTTP/1.1 extra\r\n\r\n", 400, id="four words"),
        pytest.param(b"GET /me?token=s3cret FTP/1.1\r\n\r\n", 400, id="not HTTP"),
        pytest.param(b"POST /me\r\n\r\n", 400, id="no version, not GET"),
        pytest.param(b"GET /me HTTP/2.0\r\n\r\n", 505, id="HTTP/2 in clear text"),
        pytest.param(b"GET /" + b"a" * MAX_REQUEST_LINE_BYTES + b" HTTP/1.1\r\n\r\n", 414, id="request line too long"),
        pytest.param(b"GET /me HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431, id="header line too long"),
        pytest.param(
            b"GET /me HTTP/1.1\r\n" + b"".join(b"X-%d: a\r\n" % n for n in range(101)) + b"\r\n",
            431,
            id="too many headers",
        ),
    ],
)
def test_a_malformed_request_is_a_problem_never_html_and_never_echoes_the_request(server, raw, status):
    response, client = send(server, raw)

    body = assert_problem(response, status)
    assert "s3cret" not in json.dumps(body)
    assert response.getheader("Connection") == "close"
    assert_closed_by_server(client)


# --- 4. One write per response, on a connection without Nagle's delay ---------------------------------------


@dataclass
class Sends:
    """The server's sends, with whether TCP_NODELAY was set on the socket each went out on."""

    calls: list[tuple[str, int, bool]] = field(default_factory=list)  # (method, bytes, no delay)


@pytest.fixture
def sends(server, monkeypatch) -> Sends:
    """Every send the server makes (on accepted sockets, whose local port is the server's), counted as made."""
    recorded = Sends()
    server_port = address(server)[1]
    for method in ("send", "sendall", "sendmsg"):
        original = getattr(socket.socket, method)

        def counted(sock, data, *args, _method=method, _original=original):
            if sock.getsockname()[1] == server_port:
                size = sum(len(part) for part in data) if _method == "sendmsg" else len(data)
                no_delay = bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                recorded.calls.append((_method, size, no_delay))
            return _original(sock, data, *args)

        monkeypatch.setattr(socket.socket, method, counted)
    return recorded


def test_each_response_head_and_body_leave_in_one_send_on_a_socket_without_nagle(server, sends):
    connection = http.client.HTTPConnection(*address(server), timeout=CLIENT_TIMEOUT_SECONDS)
    sizes = []
    for method, path in [
        ("GET", "/no-such-route"),  # a problem from the gateway
        ("GET", "/me"),  # 401 with a challenge
        ("GET", SWAGGER_UI_SCRIPT_PATH),  # over a megabyte
        ("HEAD", SWAGGER_UI_SCRIPT_PATH),  # the head alone
    ]:
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read()
        head = sum(len(f"{name}: {value}\r\n") for name, value in response.getheaders())
        sizes.append(len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + head + len(b"\r\n") + len(body))
    connection.close()

    assert sends.calls == [("sendall", size, True) for size in sizes]


def test_a_refusal_is_one_send_too(server, sends):
    response, client = send(server, b"GARBAGE\r\n\r\n")
    assert_problem(response, 400)
    assert_closed_by_server(client)

    assert [(method, no_delay) for method, _, no_delay in sends.calls] == [("sendall", True)]


# --- 5. Swagger UI's files -----------------------------------------------------------------------------------


def powertools_swagger_file(name: str) -> bytes:
    import aws_lambda_powertools

    return (Path(aws_lambda_powertools.__file__).parent / "event_handler/openapi/swagger_ui" / name).read_bytes()


@pytest.mark.parametrize(
    ("path", "content_type", "file_name"),
    [
        (SWAGGER_UI_SCRIPT_PATH, "text/javascript; charset=utf-8", "swagger-ui-bundle.min.js"),
        (SWAGGER_UI_STYLESHEET_PATH, "text/css; charset=utf-8", "swagger-ui.min.css"),
    ],
)
def test_swagger_uis_files_are_served_from_powertools_with_a_cache_header(server, path, content_type, file_name):
    connection = http.client.HTTPConnection(*address(server), timeout=CLIENT_TIMEOUT_SECONDS)
    connection.request("GET", path + "?v=1")
    response = connection.getresponse()

    assert response.status == 200
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("Cache-Control") == "public, max-age=86400"
    assert uuid.UUID(response.getheader(REQUEST_ID_HEADER))
    assert response.read() == powertools_swagger_file(file_name)

    connection.request("HEAD", path)
    head = connection.getresponse()
    assert head.status == 200
    assert int(head.getheader("Content-Length")) == len(powertools_swagger_file(file_name))
    assert head.read() == b""
    connection.close()


def test_a_swagger_ui_file_answers_only_get_and_head(server):
    connection = http.client.HTTPConnection(*address(server), timeout=CLIENT_TIMEOUT_SECONDS)
    connection.request("POST", SWAGGER_UI_SCRIPT_PATH, body=b"{}")

    assert_problem(connection.getresponse(), 404)
    connection.close()


# --- 6. The default port -------------------------------------------------------------------------------------

COMMON_FRONTEND_DEV_PORTS = {3000, 4200, 5173, 8000, 8080}  # React/Next, Angular, Vite, Django/http.server, Vue


def test_the_default_ports_are_none_of_the_common_frontend_dev_servers():
    run = _parser().parse_args(["run"])

    assert run.api_port == DEFAULT_API_PORT == 8330
    assert {run.api_port, run.aws_port}.isdisjoint(COMMON_FRONTEND_DEV_PORTS)


def test_the_readme_gives_the_default_api_url():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    assert f"http://127.0.0.1:{DEFAULT_API_PORT}" in readme
