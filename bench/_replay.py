"""moto's answers replayed: each distinct request answered by moto once, then its answer given again (after the
wire's latency), so that a benchmark times Cloudivize's own work and not the emulator's CPU, which runs in the
benchmark's process under the same GIL (AWS's server time in production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Replay:
    """moto's answers, kept per request (method, URL, body) once given and replayed after the same latency."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str, bytes], tuple[int, dict[str, str], bytes]] = {}
        self.enabled = False

    @contextmanager
    def installed(self) -> Iterator[None]:
        from moto.core import botocore_stubber

        live = botocore_stubber.BotocoreStubber.process_request
        replay = self

        def process_request(stubber: Any, request: Any) -> Any:
            if not replay.enabled:
                return live(stubber, request)
            body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
            key = (request.method, request.url, body)
            if key not in replay.answers:
                replay.answers[key] = live(stubber, request)
            return replay.answers[key]

        botocore_stubber.BotocoreStubber.process_request = process_request
        try:
            yield
        finally:  # the other benchmarks of the run get moto as it is
            botocore_stubber.BotocoreStubber.process_request = live
