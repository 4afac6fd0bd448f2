"""The HTTP front of the local API Gateway: reads requests, hands them to the gateway, writes responses."""

from __future__ import annotations

import threading
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from infrastructure.local.gateway.proxy import HttpResponse, LocalApiGateway
from infrastructure.local.gateway.proxy_event import HttpRequest
from infrastructure.local.ports import ensure_port_free

# API Gateway's payload limit: larger bodies are refused before any function runs.
MAX_BODY_BYTES = 10 * 1024 * 1024


class _GatewayHttpServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client must not keep the process alive on shutdown

    def __init__(self, address: tuple[str, int], gateway: LocalApiGateway) -> None:
        super().__init__(address, _RequestHandler)
        self.gateway = gateway


class _RequestHandler(BaseHTTPRequestHandler):
    server: _GatewayHttpServer
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect of API Gateway

    def _serve(self) -> None:
        target = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            raw_path=target.path or "/",
            query=target.query,
            headers=tuple(self.headers.items()),
            body=b"",
            source_ip=self.client_address[0],
        )
        gateway = self.server.gateway
        length = _content_length(self.headers.get("Content-Length"))
        refusal = _body_refusal(length, chunked="chunked" in self.headers.get("Transfer-Encoding", "").lower())
        if refusal is not None:
            self.close_connection = True  # the body is left unread, so the connection cannot be reused
            self._write(gateway.refuse(request, *refusal))
            return
        if length:
            request = replace(request, body=self.rfile.read(length))
        self._write(gateway.handle(request))

    def _write(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        # The gateway logs each request with its id; the base class would repeat it on stderr.
        pass

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


def _content_length(header: str | None) -> int | None:
    """The declared body size (0 when absent), or None when it is not a number."""
    try:
        length = int(header or 0)
    except ValueError:
        return None
    return length if length >= 0 else None


def _body_refusal(length: int | None, *, chunked: bool) -> tuple[HTTPStatus, str, str, str] | None:
    """Why the body will not be read at all (status, title, detail, slug), if it will not."""
    if chunked:
        return HTTPStatus.LENGTH_REQUIRED, "Length required", "Send the body with a Content-Length.", "length-required"
    if length is None:
        return HTTPStatus.BAD_REQUEST, "Bad request", "The Content-Length header is not a number.", "bad-request"
    if length > MAX_BODY_BYTES:
        detail = f"The body is over {MAX_BODY_BYTES} bytes, API Gateway's limit."
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Payload too large", detail, "payload-too-large"
    return None


class ApiServer:
    """The gateway served over HTTP from a background thread."""

    def __init__(self, host: str, port: int, gateway: LocalApiGateway) -> None:
        ensure_port_free(host, port, "API")
        self._server = _GatewayHttpServer((host, port), gateway)
        # A short poll interval: shutdown waits for the loop to notice, and Ctrl-C should feel immediate.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-api", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()  # waits for serve_forever to return
        self._server.server_close()
        self._thread.join()
