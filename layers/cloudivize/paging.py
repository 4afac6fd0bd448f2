"""Paging over lists computed live (assets): the token carries an offset bound to the query it came from."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from typing import TypeVar

from cloudivize.errors import BadRequest

T = TypeVar("T")
# Far beyond any listing (a page holds at most a few hundred items).
MAX_OFFSET = 1_000_000


def _fingerprint(query: Sequence[object]) -> str:
    return hashlib.sha256(json.dumps([str(part) for part in query]).encode()).hexdigest()[:16]


def page_of(
    items: Sequence[T], *, limit: int, token: str | None, query: Sequence[object]
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token for the next, which only the same ``query`` accepts."""
    offset = 0
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            offset, bound = decoded["offset"], decoded["query"]
        except (binascii.Error, ValueError, KeyError, TypeError, RecursionError):
            offset, bound = None, None
        # Only the exact integer this module wrote (not 1e999, not true) is an offset.
        if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
            raise BadRequest("The next_token is not one this listing issued; start again without it.")
        if bound != _fingerprint(query):
            raise BadRequest("The next_token belongs to another query; start again without it.")
    end = offset + limit
    if end >= len(items):
        return list(items[offset:]), None
    next_token = json.dumps({"offset": end, "query": _fingerprint(query)}).encode()
    return list(items[offset:end]), base64.urlsafe_b64encode(next_token).decode().rstrip("=")
