"""The HTTP front of the local API Gateway: reads requests, hands them to the gateway, writes responses.

Whatever reaches the port is answered as API Gateway answers it: every method goes to the gateway (which answers
an unknown one 405), what the HTTP layer itself refuses (a malformed request line, too long a header, a body
it will not read, a request that does not arrive in time) is problem+json with a request id, never the base
class's HTML, and no client holds a server thread for longer than the read timeouts. Each response leaves in one
send, on a connection with Nagle's algorithm off: nothing waits for a client's delayed ACK.
"""

from __future__ import annotations

import http.client
import io
import socket
import threading
import time
import uuid
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from infrastructure.local.gateway.docs import StaticAsset, swagger_ui_asset
from infrastructure.local.gateway.proxy import REQUEST_ID_HEADER, HttpResponse, LocalApiGateway
from infrastructure.local.gateway.proxy_event import HttpRequest
from infrastructure.local.ports import ensure_port_free

# API Gateway's payload limit: larger bodies are refused before any function runs.
MAX_BODY_BYTES = 10 * 1024 * 1024
# A browser opens many connections at once (page, Swagger UI, parallel fetches); socketserver's default
# backlog of 5 reset some of them before the server could accept them.
LISTEN_BACKLOG = 128
MAX_REQUEST_LINE_BYTES = 65536  # as http.server: a longer request line is 414


@dataclass(frozen=True)
class ReadTimeouts:
    """How long a client may take, in seconds: a deadline for each part, so trickling bytes cannot stretch it."""

    # The request line and headers; also how long an idle keep-alive connection is kept.
    headers: float = 5.0
    body: float = 10.0  # API Gateway's 10 MB at a slow client's pace
    # After the last answer on a connection: what the client still sends is read and dropped for this long.
    linger: float = 2.0


DEFAULT_READ_TIMEOUTS = ReadTimeouts()

# Fixed sentences for what the base class refuses: its own messages quote the request line, whose query
# string may carry a secret.
_REFUSALS: dict[HTTPStatus, tuple[str, str]] = {
    HTTPStatus.BAD_REQUEST: ("The request is not well-formed HTTP/1.1.", "bad-request"),
    HTTPStatus.REQUEST_URI_TOO_LONG: (f"The request line is over {MAX_REQUEST_LINE_BYTES} bytes.", "uri-too-long"),
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: (
        "A header line is too long, or there are too many headers.",
        "header-fields-too-large",
    ),
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: ("Send HTTP/1.1 (or HTTP/1.0).", "http-version-not-supported"),
}


class _DeadlineReader(io.RawIOBase):
    """The connection's reads, each given only the time left before the current deadline."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._deadline = 0.0
        self.received = 0  # bytes since ``begin_request``: has the client started a request?

    def begin_request(self, seconds: float) -> None:
        self.received = 0
        self.expect_within(seconds)

    def expect_within(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the read deadline has passed")
        self._connection.settimeout(remaining)
        try:
            count = self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(None)  # writes are not bound by a read deadline
        self.received += count
        return count


class _GatewayHttpServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client must not keep the process alive on shutdown
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], gateway: LocalApiGateway, read_timeouts: ReadTimeouts) -> None:
        super().__init__(address, _RequestHandler)
        self.gateway = gateway
        self.read_timeouts = read_timeouts

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        # A lingering close. Closing a socket with unread input resets the connection, and a reset can destroy
        # the answer before the client reads it (a 413 refusing a body still being sent, a 408, a 431).
        try:
            request.shutdown(socket.SHUT_WR)  # the answer is complete
            deadline = time.monotonic() + self.read_timeouts.linger
            while (remaining := deadline - time.monotonic()) > 0:
                request.settimeout(remaining)
                if not request.recv(65536):
                    break  # the client has closed its side too
        except OSError:
            pass  # gone already, or still sending at the deadline: closed all the same
        self.close_request(request)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _GatewayHttpServer
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect of API Gateway
    # A refusal before the version is read (or of a request line without one) is still written as HTTP/1.x:
    # HTTP/0.9 answers have no status line and no headers, which no client of this API could read.
    default_request_version = "HTTP/1.0"
    # TCP_NODELAY on each accepted connection: whatever is written leaves at once, never held back by Nagle's
    # algorithm waiting for the ACK of an earlier segment.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # replaced by a reader that keeps the deadlines
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        # As the base class, except: any method reaches the gateway, and a late client is answered 408.
        self.raw_requestline, self.requestline, self.command, self.path = b"", "", None, ""
        self.request_version, self.headers = self.default_request_version, http.client.HTTPMessage()
        self._reader.begin_request(self.server.read_timeouts.headers)
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE_BYTES + 1)
            if not self.raw_requestline:
                self.close_connection = True  # the client closed the connection
                return
            if len(self.raw_requestline) > MAX_REQUEST_LINE_BYTES:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.parse_request():
                return  # refused by send_error, or a blank line: the connection is closed
            self._serve()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            # An idle keep-alive connection just closes; a request that began is told why it ends.
            if self._reader.received or self.raw_requestline:
                self._refuse(
                    HTTPStatus.REQUEST_TIMEOUT,
                    "Request timeout",
                    "The whole request did not arrive in time; the connection is closed.",
                    "request-timeout",
                )
        except ConnectionError:
            self.close_connection = True  # the client went away: no one to answer

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What the base class refuses (request line, version, headers), as the gateway answers: problem+json."""
        status = HTTPStatus(code)
        detail, slug = _REFUSALS.get(status, (status.description + ".", "bad-request"))
        self.close_connection = True  # what is left of the request cannot be trusted to frame the next one
        self._refuse(status, status.phrase, detail, slug)

    def _serve(self) -> None:
        request = self._request()
        asset = swagger_ui_asset(request.raw_path) if request.method in ("GET", "HEAD") else None
        if asset is not None:
            self._write(_asset_response(asset))
            return
        length = _content_length(self.headers.get("Content-Length"))
        refusal = _body_refusal(length, chunked="chunked" in self.headers.get("Transfer-Encoding", "").lower())
        if refusal is not None:
            self.close_connection = True  # the body is left unread, so the connection cannot be reused
            self._write(self.server.gateway.refuse(request, *refusal))
            return
        if length:
            self._reader.expect_within(self.server.read_timeouts.body)
            body = self.rfile.read(length)
            if len(body) < length:
                self.close_connection = True  # the client closed the connection mid-body
                return
            request = replace(request, body=body)
        self._write(self.server.gateway.handle(request))

    def _request(self) -> HttpRequest:
        """The request as far as it has been read (a refusal may come before the headers, or the path)."""
        target = urlsplit(self.path or "")
        return HttpRequest(
            method=self.command or "",
            raw_path=target.path or "/",
            query=target.query,
            headers=tuple(self.headers.items()),
            body=b"",
            source_ip=self.client_address[0],
        )

    def _refuse(self, status: HTTPStatus, title: str, detail: str, slug: str) -> None:
        response = self.server.gateway.refuse(self._request(), status, title, detail, slug)
        self._write(response.with_header("Connection", "close"))

    def _write(self, response: HttpResponse) -> None:
        """The whole response in one write (``wfile`` is unbuffered: each write is a ``send``). Written apart, the
        head leaves at once and the body waits for its ACK (Nagle), which the client delays by up to 40 ms."""
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        # What end_headers() would write on its own, joined with the body instead.
        head = b"".join([*self._headers_buffer, b"\r\n"])
        self._headers_buffer = []
        self.wfile.write(head if self.command == "HEAD" else head + response.body)

    def log_message(self, format: str, *args: object) -> None:
        # The gateway logs each request with its id; the base class would repeat it on stderr.
        pass


def _asset_response(asset: StaticAsset) -> HttpResponse:
    # The files the local docs page loads are the HTTP layer's, like a web server's static files: the gateway
    # routes only what API Gateway would. They carry a request id all the same.
    headers = (
        ("Content-Type", asset.content_type),
        ("Cache-Control", asset.cache_control),
        (REQUEST_ID_HEADER, str(uuid.uuid4())),
    )
    return HttpResponse(int(HTTPStatus.OK), headers, asset.body)


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

    def __init__(
        self, host: str, port: int, gateway: LocalApiGateway, *, read_timeouts: ReadTimeouts = DEFAULT_READ_TIMEOUTS
    ) -> None:
        ensure_port_free(host, port, "API")
        self._server = _GatewayHttpServer((host, port), gateway, read_timeouts)
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
