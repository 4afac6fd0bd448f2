"""The request body, read as the JSON it must be before any route sees it.

API Gateway hands a function any bytes with any ``Content-Type``; Powertools would parse a form as an empty
object, or fail on bytes that are not UTF-8. So every body is read here first, once, by one rule: it is JSON
(``application/json`` or a ``+json`` type, any letter case, UTF-8), it decodes, it is not absurdly deep or
numeric, or the request is refused (415, 400) before a use case can write anything from it. An accepted
body reaches the resolver as UTF-8 text labelled ``application/json``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from http import HTTPStatus
from typing import Any

from cloudivize.errors import BadRequest, CloudivizeError

JSON_MEDIA_TYPE = "application/json"
# Deeper than any document the API takes (settings are two levels), shallow enough for every parser on the way.
MAX_DEPTH = 32
# Longer than any number the API takes (a version, a limit); Python refuses ints over 4,300 digits anyway.
MAX_NUMBER_CHARACTERS = 40
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class UnsupportedMediaType(CloudivizeError):
    status, title, slug = HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type", "unsupported-media-type"


class MalformedJson(BadRequest):
    title, slug = "Malformed JSON", "malformed-json"


class _Refused(ValueError):
    """A JSON text this API does not read (too deep, too long a number, NaN)."""


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/<anything>+json``, parameters aside, in any letter case."""
    media_type, _, _ = (content_type or "").partition(";")
    kind, _, subtype = media_type.strip().lower().partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _malformed(detail: str, error_type: str) -> MalformedJson:
    return MalformedJson(detail, errors=[{"field": "body", "in": "body", "type": error_type, "message": detail}])


def _number(text: str, convert: type) -> Any:
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise _Refused(f"a number longer than {MAX_NUMBER_CHARACTERS} characters")
    value = convert(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise _Refused("a number too large for a 64-bit float")
    return value


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name}, which is not JSON")


def _depth(document: Any) -> int:
    """How many objects/arrays deep, without recursion (the document may be deep)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def parse(text: str) -> Any:
    """The JSON document in ``text``; raises ``BadRequest`` (400) naming what is wrong."""
    try:
        document = json.loads(
            text,
            parse_int=lambda digits: _number(digits, int),
            parse_float=lambda digits: _number(digits, float),
            parse_constant=_no_constant,
        )
    except _Refused as refused:
        raise _malformed(f"The request body holds {refused}.", "json_unsupported") from None
    except RecursionError:
        raise _malformed(f"The request body is nested deeper than {MAX_DEPTH} levels.", "json_too_deep") from None
    except ValueError:  # JSONDecodeError included
        raise _malformed("The request body is not valid JSON.", "json_invalid") from None
    if _depth(document) > MAX_DEPTH:
        raise _malformed(f"The request body is nested deeper than {MAX_DEPTH} levels.", "json_too_deep")
    return document


def read_json_body(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` with its body checked and normalized (UTF-8 text, ``application/json``); raises 415 or 400."""
    body = event.get("body")
    content_type = _header(event, "Content-Type")
    method = str(event.get("httpMethod") or "").upper()
    if not body and (content_type is None or method not in BODY_METHODS):
        return event  # nothing to read (e.g. POST /connections/{id}/verify, a GET)
    if not is_json_media_type(content_type):
        sent = f"'{content_type.split(';')[0].strip()}'" if content_type else "no Content-Type"
        raise UnsupportedMediaType(
            f"The request body must be JSON, sent as 'Content-Type: {JSON_MEDIA_TYPE}' (this request sent {sent}).",
            errors=[
                {"field": "Content-Type", "in": "header", "type": "media_type", "message": f"use {JSON_MEDIA_TYPE}"}
            ],
        )
    charset = _charset(content_type or "")
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"JSON is read as UTF-8 only: send 'Content-Type: {JSON_MEDIA_TYPE}' without charset={charset}.",
            errors=[{"field": "Content-Type", "in": "header", "type": "charset", "message": "use UTF-8"}],
        )
    raw = body or ""
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode("utf-8")
        text = data.decode("utf-8")
    except (binascii.Error, UnicodeError):
        raise _malformed("The request body is not UTF-8 text.", "utf8_invalid") from None
    if text.strip():
        parse(text)
    return {
        **event,
        "body": text,
        "isBase64Encoded": False,
        "headers": _with_json_type(event.get("headers")),
        "multiValueHeaders": _with_json_type(event.get("multiValueHeaders"), multi=True),
    }


def _with_json_type(headers: dict[str, Any] | None, *, multi: bool = False) -> dict[str, Any] | None:
    # Powertools recognises JSON by the exact lower-case type: say it that way.
    if headers is None:
        return None
    kept = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    kept["Content-Type"] = [JSON_MEDIA_TYPE] if multi else JSON_MEDIA_TYPE
    return kept
