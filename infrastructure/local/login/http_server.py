"""A WSGI application served over HTTP from a background thread: werkzeug's threaded server, bound at once.

Bound when made, served once given its application: the stack needs each server's URL (its port may be 0) before
it can provision what the applications read (the app client's CallbackURLs name the console's URL).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from infrastructure.local.ports import ensure_port_free

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _QuietHandler(WSGIRequestHandler):
    def setup(self) -> None:
        super().setup()
        # werkzeug writes headers and body apart: without this, Nagle holds the body ~40 ms on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # An access line would carry query strings: authorization codes, states, the Amazon code.
        pass


class HttpServer:
    def __init__(self, host: str, port: int, what: str) -> None:
        ensure_port_free(host, port, what)
        self._what = what
        self._app: WsgiApp | None = None
        self._server = make_server(host, port, self._dispatch, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name=what, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, app: WsgiApp) -> None:
        self._app = app
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self._app is not None, f"the {self._what} serves only once started"
        return self._app(environ, start_response)
