"""HTTP answers in the shapes Azure's services give them: (status, headers, body)."""

from __future__ import annotations

import json
import uuid
from typing import Any

Answer = tuple[int, dict[str, str], bytes]


def json_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, json.dumps(body).encode()


def aad_error(status: int, error: str, code: int, description: str) -> Answer:
    """Entra ID's token endpoint error: the AADSTS code leads the description, as MSAL shows it."""
    trace = f"Trace ID: {uuid.uuid4()} Correlation ID: {uuid.uuid4()} Timestamp: 2026-01-01 00:00:00Z"
    return json_answer(status, {"error": error, "error_description": f"AADSTS{code}: {description} {trace}",
                                "error_codes": [code], "trace_id": str(uuid.uuid4())})  # fmt: skip


def service_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    """Resource Manager's and Microsoft Graph's error body: {"error": {"code", "message"}}."""
    return json_answer(status, {"error": {"code": code, "message": message}}, headers)
